from django.urls import path

from registry import views
from timeline import views as timeline_views

app_name = "registry"

urlpatterns = [
    path("assets/", views.asset_list, name="asset-list"),
    path("assets/<int:pk>/", views.asset_detail, name="asset-detail"),
    path("assets/<int:pk>/timeline", timeline_views.asset_timeline, name="asset-timeline"),
    path("components/", views.component_list, name="component-list"),
    path("components/<int:pk>/", views.component_detail, name="component-detail"),
    path("components/<int:pk>/timeline", timeline_views.component_timeline, name="component-timeline"),
]
