from django.urls import re_path

from timeline.api import views

urlpatterns = [
    re_path(r"^assets/(?P<pk>\d+)/timeline/?$", views.AssetTimelineView.as_view(), name="asset-timeline"),
    re_path(r"^assets/(?P<pk>\d+)/components/?$", views.AssetComponentsView.as_view(), name="asset-components"),
    re_path(r"^components/(?P<pk>\d+)/timeline/?$", views.ComponentTimelineView.as_view(), name="component-timeline"),
    re_path(
        r"^components/(?P<pk>\d+)/installations/?$",
        views.ComponentInstallationsView.as_view(),
        name="component-installations",
    ),
]
