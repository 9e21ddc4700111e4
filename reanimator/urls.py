from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from reanimator import views
from reanimator.api.errors import api_not_found
from reanimator.health import health

admin.site.site_header = "Reanimator administration"
admin.site.site_title = "Reanimator"
admin.site.index_title = "Registry, intake and history"

urlpatterns = [
    path("health", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/ingest/", include("ingest.api.urls")),
    path("api/", include("timeline.api.urls")),
    path("api/", include("tickets.api.urls")),
    path("api/", include("registry.api.urls")),
    # pages
    path("", views.dashboard, name="dashboard"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("ingest/", include("ingest.urls")),
    path("tickets/", include("tickets.urls")),
    path("", include("registry.urls")),
]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)
