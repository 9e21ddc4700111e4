"""A small JSON-over-HTTP client for connectors (standard library urllib, no extra
dependency): retries network errors and 5xx with exponential backoff, waits as long as a
429's Retry-After says, and keeps credentials out of every message it raises or logs."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from tickets.connectors.base import ConnectorError
from tickets.models import TicketConnector

logger = logging.getLogger(__name__)

# Replaced in tests to record the waits instead of waiting.
sleep = time.sleep


@dataclass
class RetryPolicy:
    attempts: int = 5
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    max_retry_after_seconds: float = 300.0
    timeout_seconds: float = 30.0

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            attempts=settings.REANIMATOR_TICKET_SYNC_ATTEMPTS,
            backoff_seconds=settings.REANIMATOR_TICKET_SYNC_BACKOFF_SECONDS,
            timeout_seconds=settings.REANIMATOR_TICKET_SYNC_TIMEOUT_SECONDS,
        )

    def backoff(self, attempt: int) -> float:
        return float(min(self.backoff_max_seconds, self.backoff_seconds * (2 ** (attempt - 1))))


def redact(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def safe_url(url: str) -> str:
    """The URL without user info (https://user:pass@host/...) and without its query."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class HttpClient:
    def __init__(
        self,
        *,
        username: str = "",
        secret: str = "",
        policy: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._secret = secret
        self._username = username
        self.policy = policy or RetryPolicy.from_settings()
        self._headers = {"Accept": "application/json", "User-Agent": "reanimator-ticket-sync", **(headers or {})}
        if secret and username:
            pair = base64.b64encode(f"{username}:{secret}".encode()).decode()
            self._headers["Authorization"] = f"Basic {pair}"
        elif secret:
            self._headers["Authorization"] = f"Bearer {secret}"

    @classmethod
    def for_connector(cls, config: TicketConnector) -> HttpClient:
        return cls(username=config.username, secret=config.secret)

    def _redact(self, text: str) -> str:
        auth = self._headers.get("Authorization", "")
        return redact(text, self._secret, auth.split(" ", 1)[-1] if auth else "")

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
        shown = safe_url(url)
        last_problem = ""
        for attempt in range(1, self.policy.attempts + 1):
            request = urllib.request.Request(url, headers=self._headers, method="GET")  # noqa: S310 - http(s) only
            try:
                with urllib.request.urlopen(request, timeout=self.policy.timeout_seconds) as response:  # noqa: S310
                    body = response.read()
            except urllib.error.HTTPError as exc:
                status = exc.code
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                exc.close()
                if status == 429:
                    wait = self._retry_after(retry_after, attempt)
                    last_problem = f"GET {shown} answered 429 (rate limited)"
                elif status >= 500:
                    wait = self.policy.backoff(attempt)
                    last_problem = f"GET {shown} answered {status}"
                else:
                    raise ConnectorError(self._redact(f"GET {shown} answered {status}; not retried.")) from None
            except ValueError:  # http.client.InvalidURL, an unknown scheme: no retry helps
                raise ConnectorError(f"GET {shown}: not a usable URL.") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                last_problem = f"GET {shown} failed: {type(exc).__name__}: {reason}"
                wait = self.policy.backoff(attempt)
            else:
                try:
                    return json.loads(body)
                except ValueError:
                    raise ConnectorError(f"GET {shown} answered something that is not JSON.") from None
            if attempt < self.policy.attempts:
                logger.warning(
                    "ticket source request failed, retrying",
                    extra={"problem": self._redact(last_problem), "attempt": attempt, "wait_seconds": wait},
                )
                sleep(wait)
        raise ConnectorError(self._redact(f"{last_problem}; gave up after {self.policy.attempts} attempts."))

    def _retry_after(self, header: str | None, attempt: int) -> float:
        """Seconds to wait for a 429: its Retry-After (seconds or an HTTP date), capped."""
        if header:
            value = header.strip()
            seconds: float | None = None
            if value.isdigit():
                seconds = float(value)
            else:
                try:
                    seconds = (parsedate_to_datetime(value) - timezone.now()).total_seconds()
                except (TypeError, ValueError):
                    seconds = None
            if seconds is not None:
                return max(0.0, min(seconds, self.policy.max_retry_after_seconds))
        return self.policy.backoff(attempt)
