"""Pull connectors: one small interface (tickets.connectors.base.Connector), one module per
service desk. `build_connector` turns a TicketConnector row into its connector."""

from __future__ import annotations

from tickets.choices import ConnectorKind
from tickets.connectors.base import Connector, ConnectorError, Page
from tickets.connectors.http import HttpClient
from tickets.connectors.jira import JiraConnector
from tickets.connectors.json_feed import JsonFeedConnector
from tickets.models import TicketConnector

__all__ = ["Connector", "ConnectorError", "Page", "build_connector"]


def build_connector(config: TicketConnector, *, client: HttpClient | None = None) -> Connector:
    client = client or HttpClient.for_connector(config)
    if config.kind == ConnectorKind.JIRA:
        return JiraConnector(config, client)
    if config.kind == ConnectorKind.JSON_FEED:
        return JsonFeedConnector(config, client)
    raise ConnectorError(f"Unknown connector kind {config.kind!r}.")
