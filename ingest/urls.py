from django.urls import path

from ingest import views

app_name = "ingest"

urlpatterns = [
    path("", views.console, name="console"),
    path("bundles/", views.bundle_list, name="bundle-list"),
    path("bundles/<int:pk>/", views.bundle_detail, name="bundle-detail"),
    path("bundles/<int:pk>/reparse", views.bundle_reparse, name="bundle-reparse"),
]
