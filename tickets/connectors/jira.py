"""Jira: REST search by JQL (`/rest/api/2/search`), `updated >= cursor`, oldest first, paged
with startAt; or, with `"search_path": "rest/api/3/search/jql"` in the field mapping, Jira
Cloud's enhanced search, paged with nextPageToken.

Field mapping (TicketConnector.field_mapping), all optional:

    {"title": "summary", "description": "description", "priority": "priority.name",
     "category": "issuetype.name", "reporter": "reporter.displayName",
     "serials": ["customfield_10071"], "asset_tags": ["customfield_10072"],
     "hostnames": ["customfield_10073"], "projects": ["customfield_10074"],
     "status": {"Waiting for vendor": "in_progress"}, "search_path": "rest/api/2/search"}

Paths are dotted paths into an issue's `fields`. Reference fields may hold a string (split on
commas and whitespace), a list, or option objects ({"value": ...} or {"name": ...}). Without a
`status` entry for its name, a ticket's status follows Jira's status category (To Do, In
Progress, Done).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.dateparse import parse_datetime

from tickets.choices import TicketStatus
from tickets.connectors.base import ConnectorError, Page
from tickets.connectors.http import HttpClient
from tickets.models import TicketConnector

SEARCH_PATH = "rest/api/2/search"
DEFAULT_MAPPING: dict[str, Any] = {
    "title": "summary",
    "description": "description",
    "priority": "priority.name",
    "category": "issuetype.name",
    "reporter": "reporter.displayName",
}
REFERENCE_KEYS = ("serials", "asset_tags", "hostnames", "projects")
STATUS_CATEGORIES = {"new": TicketStatus.OPEN, "indeterminate": TicketStatus.IN_PROGRESS, "done": TicketStatus.CLOSED}
MAX_PAGES = 1000  # a run stops there; the cursor lets the next run go on


class JiraConnector:
    def __init__(self, config: TicketConnector, client: HttpClient) -> None:
        self.config = config
        self.client = client
        self.mapping = {**DEFAULT_MAPPING, **(config.field_mapping or {})}
        try:
            self.zone = ZoneInfo(config.time_zone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise ConnectorError(f"Unknown time zone {config.time_zone!r}.") from None

    # --- the query ---------------------------------------------------------------------------
    def jql(self, cursor: datetime | None) -> str:
        clauses = []
        if self.config.query.strip():
            clauses.append(f"({self.config.query.strip()})")
        if cursor is not None:
            # JQL compares to the minute, in the account's zone: start at the cursor's minute.
            # Tickets of that minute come again; the upsert leaves them unchanged.
            local = cursor.astimezone(self.zone)
            clauses.append(f'updated >= "{local:%Y-%m-%d %H:%M}"')
        where = " AND ".join(clauses)
        return f"{where} ORDER BY updated ASC, key ASC".strip()

    def _fields(self) -> str:
        names = {"summary", "description", "status", "priority", "issuetype", "created", "updated"}
        names |= {"resolutiondate", "reporter"}
        for key in ("title", "description", "priority", "category", "reporter"):
            path = self.mapping.get(key)
            if isinstance(path, str) and path:
                names.add(path.split(".", 1)[0])
        for key in REFERENCE_KEYS:
            for path in _as_list(self.mapping.get(key)):
                names.add(str(path).split(".", 1)[0])
        return ",".join(sorted(names))

    # --- paging ------------------------------------------------------------------------------
    def pages(self, cursor: datetime | None) -> Iterator[Page]:
        """Pages oldest first. With startAt paging every page is asked for again from the
        newest minute seen so far, skipping the issues of that minute already read: an issue
        updated while the run pages moves to the end of the result and is read there, and it
        never shifts the issues not yet read out of reach (plain startAt paging would skip one
        for every issue updated meanwhile, for good, since the cursor moves past it)."""
        path = str(self.mapping.get("search_path") or SEARCH_PATH).strip("/")
        url = self.config.base_url.rstrip("/") + "/" + path
        # Jira Cloud's enhanced search (rest/api/3/search/jql) pages by token only.
        by_token = path.endswith("/jql")
        fields = self._fields()
        since, start_at, token = cursor, 0, None
        read: list[datetime] = []  # updated times of the issues read in this run
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"jql": self.jql(since), "maxResults": self.config.page_size, "fields": fields}
            if token:
                params["nextPageToken"] = token
            elif not by_token:
                params["startAt"] = start_at
            body = self.client.get_json(url, params)
            if not isinstance(body, dict) or not isinstance(body.get("issues"), list):
                raise ConnectorError("Jira answered a search result without `issues`.")
            issues = [issue for issue in body["issues"] if isinstance(issue, dict)]
            page = self._page(issues)
            yield page
            read.extend(t for t in (_parse_time(i.get("updated_at")) for i in page.items) if t is not None)
            if by_token:
                token = body.get("nextPageToken")
                if not token or body.get("isLast") is True or not issues:
                    return
                continue
            total = body.get("total")
            if not issues or body.get("isLast") is True or (isinstance(total, int) and start_at + len(issues) >= total):
                return
            if page.cursor is not None and (since is None or page.cursor > since):
                since = page.cursor
            if since is None:
                start_at += len(issues)
            else:
                minute = since.replace(second=0, microsecond=0)
                start_at = sum(1 for t in read if t >= minute)

    def _page(self, issues: list[dict[str, Any]]) -> Page:
        page = Page()
        for issue in issues:
            item = self.item(issue)
            page.items.append(item)
            updated = _parse_time(item.get("updated_at"))
            if updated is not None and (page.cursor is None or updated > page.cursor):
                page.cursor = updated
        return page

    # --- mapping -----------------------------------------------------------------------------
    def item(self, issue: dict[str, Any]) -> dict[str, Any]:
        """One issue in the push shape. Missing or malformed fields are left for the push
        validation to reject, with the issue's key in the error."""
        fields = issue.get("fields") or {}
        key = str(issue.get("key") or issue.get("id") or "")
        references = {name: _reference_values(fields, _as_list(self.mapping.get(name))) for name in REFERENCE_KEYS}
        return {
            "external_id": key,
            "title": _text(_path(fields, self.mapping["title"]))[:500],
            "description": _text(_path(fields, self.mapping["description"])),
            "status": self._status(fields.get("status")),
            "priority": _text(_path(fields, self.mapping["priority"]))[:64],
            "category": _text(_path(fields, self.mapping["category"]))[:128],
            "reporter": _text(_path(fields, self.mapping["reporter"]))[:200],
            "opened_at": fields.get("created"),
            "updated_at": fields.get("updated"),
            "closed_at": fields.get("resolutiondate"),
            "url": f"{self.config.base_url.rstrip('/')}/browse/{key}" if key else "",
            "references": {name: values for name, values in references.items() if values},
            "raw": issue,
        }

    def _status(self, status: Any) -> str:
        if not isinstance(status, dict):
            return TicketStatus.OPEN
        overrides = self.mapping.get("status") or {}
        name = status.get("name")
        if isinstance(overrides, dict) and name in overrides:
            return str(overrides[name])
        category = str((status.get("statusCategory") or {}).get("key") or "")
        return STATUS_CATEGORIES.get(category, TicketStatus.OPEN)


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _path(fields: dict[str, Any], path: Any) -> Any:
    value: Any = fields
    for part in str(path or "").split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text(value: Any) -> str:
    """A field as plain text: strings as they are; Atlassian Document Format (API v3
    descriptions) flattened to its text; option objects by their value or name."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if value.get("type") == "doc" or "content" in value:
            return _adf_text(value).strip()
        for key in ("value", "name", "displayName"):
            if isinstance(value.get(key), str):
                return value[key]
        return ""
    return str(value)


def _adf_text(node: Any) -> str:
    if isinstance(node, dict):
        own = node.get("text", "") if node.get("type") == "text" else ""
        inner = "".join(_adf_text(child) for child in node.get("content") or [])
        block = node.get("type") in {"paragraph", "heading", "listItem", "codeBlock", "blockquote"}
        return own + inner + ("\n" if block else "")
    if isinstance(node, list):
        return "".join(_adf_text(child) for child in node)
    return ""


_SPLIT = re.compile(r"[\s,;]+")


def _reference_values(fields: dict[str, Any], paths: list[Any]) -> list[str]:
    values: list[str] = []
    for path in paths:
        for value in _as_list(_path(fields, path)):
            text = _text(value)
            values.extend(part for part in _SPLIT.split(text) if part)
    return list(dict.fromkeys(values))[:100]


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed
