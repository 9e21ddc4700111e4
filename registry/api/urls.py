from rest_framework.routers import DefaultRouter

from registry.api import views


class OptionalSlashRouter(DefaultRouter):
    """/api/assets and /api/assets/ both answer (the brief names them without the slash)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("customers", views.CustomerViewSet)
router.register("projects", views.ProjectViewSet)
router.register("locations", views.LocationViewSet)
router.register("assets", views.AssetViewSet)
router.register("components", views.ComponentViewSet, basename="component")
router.register("lots", views.LotViewSet)

urlpatterns = router.urls
