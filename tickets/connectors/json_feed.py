"""A generic JSON feed: a URL that answers the push shape (tickets.payload).

The connector asks for `?updated_since=<cursor, ISO 8601>` and follows the answer's `next`
URL, if any, page after page. Feeds that ignore `updated_since` still work: the upsert leaves
what did not change untouched.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from tickets.connectors.base import ConnectorError, Page
from tickets.connectors.http import HttpClient, safe_url
from tickets.models import TicketConnector

MAX_PAGES = 1000


class JsonFeedConnector:
    def __init__(self, config: TicketConnector, client: HttpClient) -> None:
        self.config = config
        self.client = client

    def pages(self, cursor: datetime | None) -> Iterator[Page]:
        url: str | None = self.config.base_url
        params: dict[str, Any] | None = {"updated_since": cursor.isoformat()} if cursor else None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            if not url or url in seen:
                return
            seen.add(url)
            body = self.client.get_json(url, params)
            params = None  # `next` links carry their own query
            if not isinstance(body, dict) or not isinstance(body.get("tickets"), list):
                raise ConnectorError(f"The feed at {safe_url(url)} did not answer {{'tickets': [...]}}.")
            page = Page(items=[item for item in body["tickets"] if isinstance(item, dict)])
            for item in page.items:
                updated = parse_datetime(str(item.get("updated_at") or ""))
                if updated is not None and updated.tzinfo and (page.cursor is None or updated > page.cursor):
                    page.cursor = updated
            yield page
            following = body.get("next")
            url = urllib.parse.urljoin(url, following) if isinstance(following, str) and following else None
