"""The interface every pull connector implements.

A connector turns "tickets updated since this cursor" into pages of items in the push shape
(tickets.payload), oldest first. Each page carries the cursor to resume from once that page
is stored, so a run that fails half-way keeps what it stored and the next run goes on from
there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class ConnectorError(Exception):
    """The source could not be read (after retries), or answered something unusable."""


@dataclass
class Page:
    items: list[dict[str, Any]] = field(default_factory=list)
    cursor: datetime | None = None  # the newest updated time in this page


class Connector(Protocol):
    def pages(self, cursor: datetime | None) -> Iterator[Page]: ...
