"""A local HTTP server that speaks the shape of Jira's REST search API (GET
/rest/api/2/search: jql, startAt, maxResults, fields), bound to 127.0.0.1 on a free port.

It understands the one JQL clause the connector adds (`updated >= "YYYY-MM-DD HH:MM"`, UTC)
and `ORDER BY updated ASC, key ASC`, pages with startAt/maxResults/total, and can be told to
answer particular requests with an error (`fail`), or to hold one request until released
(`hold`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_UPDATED = re.compile(r'updated >= "(\d{4}-\d{2}-\d{2} \d{2}:\d{2})"')


def jira_time(value: datetime) -> str:
    """Jira's timestamp format: 2026-03-02T08:15:30.000+0000."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def issue(key: str, updated: datetime, *, summary: str = "", description: str = "", **fields: Any) -> dict[str, Any]:
    return {
        "id": str(abs(hash(key)) % 100000),
        "key": key,
        "self": f"https://jira.example.com/rest/api/2/issue/{key}",
        "fields": {
            "summary": summary or f"Issue {key}",
            "description": description,
            "status": {"name": "Open", "statusCategory": {"key": "new"}},
            "priority": {"name": "Major"},
            "issuetype": {"name": "Incident"},
            "reporter": {"displayName": "Dana Ops"},
            "created": jira_time(updated),
            "updated": jira_time(updated),
            "resolutiondate": None,
            **fields,
        },
    }


@dataclass
class Request:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeJira:
    issues: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    # request number (1-based, counting every request) -> (status, headers)
    fail: dict[int, tuple[int, dict[str, str]]] = field(default_factory=dict)
    # answer every request from this one on (1-based) with 500: a source that stays down
    fail_from: int | None = None
    # called with the request number before answering: lets a test change issues mid-run
    on_request: Callable[[int], None] | None = None
    hold: threading.Event | None = None  # when set up, requests wait for it
    arrived: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def search_by_token(self, params: dict[str, str]) -> dict[str, Any]:
        return _token_page(self, params)

    def search(self, params: dict[str, str]) -> dict[str, Any]:
        jql = params.get("jql", "")
        selected = self.issues
        match = _UPDATED.search(jql)
        if match:
            since = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            selected = [i for i in selected if _updated(i) >= since]
        selected = sorted(selected, key=lambda i: (_updated(i), i["key"]))
        start, size = int(params.get("startAt", 0)), int(params.get("maxResults", 50))
        return {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(selected),
            "issues": selected[start : start + size],
        }


def _token_page(state: FakeJira, params: dict[str, str]) -> dict[str, Any]:
    """Jira Cloud's enhanced search: no startAt, no total; an opaque nextPageToken."""
    start = int(params.get("nextPageToken", "0").removeprefix("tok-") or 0)
    page = state.search({**params, "startAt": str(start)})
    end = start + len(page["issues"])
    body: dict[str, Any] = {"issues": page["issues"], "isLast": end >= page["total"]}
    if end < page["total"]:
        body["nextPageToken"] = f"tok-{end}"
    return body


def _updated(item: dict[str, Any]) -> datetime:
    return datetime.strptime(item["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.000%z")


def _handler(state: FakeJira) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            state.requests.append(Request(parts.path, params, dict(self.headers.items())))
            number = len(state.requests)
            state.arrived.set()
            if state.hold is not None:
                state.hold.wait(timeout=120)
            if number in state.fail:
                status, headers = state.fail[number]
                self._answer(status, {"errorMessages": ["planned failure"]}, headers)
                return
            if state.on_request is not None:
                state.on_request(number)
            if state.fail_from is not None and number >= state.fail_from:
                self._answer(500, {"errorMessages": ["Internal server error"]})
                return
            if parts.path == "/rest/api/2/search":
                self._answer(200, state.search(params))
                return
            if parts.path == "/rest/api/3/search/jql":
                self._answer(200, state.search_by_token(params))
                return
            self._answer(404, {"errorMessages": ["no such resource"]})

        def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

    return Handler


@contextmanager
def serve(state: FakeJira | None = None, handler: type[BaseHTTPRequestHandler] | None = None) -> Iterator[FakeJira]:
    state = state or FakeJira()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler or _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        if state.hold is not None:
            state.hold.set()
        server.shutdown()
        server.server_close()
