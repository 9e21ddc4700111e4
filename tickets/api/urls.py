from django.urls import re_path

from registry.api.urls import OptionalSlashRouter
from tickets.api import views

router = OptionalSlashRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("connectors/tickets/runs", views.SyncRunViewSet, basename="syncrun")

urlpatterns = [
    re_path(r"^connectors/tickets/sync/?$", views.TicketSyncView.as_view(), name="tickets-sync"),
    re_path(r"^assets/(?P<pk>\d+)/tickets/?$", views.AssetTicketsView.as_view(), name="asset-tickets"),
    re_path(r"^components/(?P<pk>\d+)/tickets/?$", views.ComponentTicketsView.as_view(), name="component-tickets"),
    *router.urls,
]
