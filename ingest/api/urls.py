from django.urls import re_path

from ingest.api import views
from registry.api.urls import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("logbundles", views.LogBundleViewSet, basename="logbundle")

urlpatterns = [
    re_path(r"^logbundle/?$", views.BundleUploadView.as_view(), name="logbundle-upload"),
    re_path(r"^collector/?$", views.CollectorDownloadView.as_view(), name="collector-download"),
    *router.urls,
]
