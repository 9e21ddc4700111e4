"""The bundle manifest: when the logs were taken, on which host, by which collector, and what
the collector was told about the server (asset hints).

```json
{"collected_at": "2026-03-01T10:00:00+02:00", "hostname": "node-17",
 "collector": {"name": "reanimator-collector", "version": "1.4.0"},
 "asset": {"serial": "...", "asset_tag": "...", "vendor": "...", "model": "...", "uuid": "..."},
 "commands": [{"name": "dmidecode", "exit_code": 0, "duration_s": 0.4}]}
```

`collected_at` is the one field that must be there and it must carry a zone: a naive time
would be a guess about the server's clock, and DESIGN.md forbids guessing collection times.
Unknown keys are ignored so that newer collectors keep working with older servers.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ingest.parsers.base import AssetRecord, ParserError

NAME = "manifest"

# A manifest is a few hundred bytes; anything far larger is some other JSON document.
_MAX_SNIFF_BYTES = 1024 * 1024
_UTF8_BOM = b"\xef\xbb\xbf"
_CONTENT_KEYS = frozenset({"collector", "hostname", "asset"})
_INVENTORY_FORMAT = "reanimator-inventory"


@dataclass(frozen=True)
class CommandRun:
    """One tool run reported by our collector; a failed run explains a missing tool output."""

    name: str
    exit_code: int | None = None
    duration_s: float | None = None


@dataclass(frozen=True)
class Manifest:
    collected_at: datetime  # UTC-aware
    hostname: str = ""
    collector_name: str = ""
    collector_version: str = ""
    # Hints about the server, raw as written; source is "manifest", firmware stays empty.
    asset: AssetRecord = field(default_factory=lambda: AssetRecord(source=NAME))
    commands: tuple[CommandRun, ...] = ()


def sniff(path: str, data: bytes) -> bool:
    """True for a JSON object that is a manifest by name (manifest.json) or by its keys.
    A file named manifest.json is always taken, even when broken: parse() then reports what
    is wrong with it instead of the bundle falling back to another source's time."""
    if posixpath.basename(path).lower() == "manifest.json":
        return True
    try:
        if len(data) > _MAX_SNIFF_BYTES or not data.removeprefix(_UTF8_BOM).lstrip().startswith(b"{"):
            return False
        doc = json.loads(data.removeprefix(_UTF8_BOM).decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") == _INVENTORY_FORMAT:
            return False
        return "collected_at" in doc and bool(_CONTENT_KEYS & doc.keys())
    except Exception:
        return False


def parse(path: str, data: bytes) -> Manifest:
    doc = _load_object(path, data)
    collected_at = parse_zoned_timestamp(doc.get("collected_at"), where=f"{path}: collected_at")
    collector = _optional_object(doc, "collector", path)
    asset = _optional_object(doc, "asset", path)
    hostname = _optional_string(doc, "hostname", path)
    return Manifest(
        collected_at=collected_at,
        hostname=hostname,
        collector_name=_optional_string(collector, "name", f"{path}: collector"),
        collector_version=_optional_string(collector, "version", f"{path}: collector"),
        asset=AssetRecord(
            source=NAME,
            hostname=hostname,
            serial=_optional_string(asset, "serial", f"{path}: asset"),
            asset_tag=_optional_string(asset, "asset_tag", f"{path}: asset"),
            vendor=_optional_string(asset, "vendor", f"{path}: asset"),
            model=_optional_string(asset, "model", f"{path}: asset"),
            uuid=_optional_string(asset, "uuid", f"{path}: asset"),
        ),
        commands=_commands(doc.get("commands"), path),
    )


def parse_zoned_timestamp(value: Any, *, where: str) -> datetime:
    """An ISO 8601 time that states its zone, in UTC. Shared with the inventory format."""
    if value is None:
        raise ParserError("invalid_collected_at", f"{where} is missing; an ISO 8601 time with a zone is required")
    if not isinstance(value, str) or not value.strip():
        raise ParserError("invalid_collected_at", f"{where} must be an ISO 8601 time with a zone, got {value!r}")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ParserError("invalid_collected_at", f"{where}: {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ParserError(
            "invalid_collected_at",
            f"{where}: {value!r} has no zone; write it as UTC ('Z') or with an offset such as '+02:00'",
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ParserError("invalid_collected_at", f"{where}: {value!r} is out of range") from None


def _load_object(path: str, data: bytes) -> dict[str, Any]:
    try:
        text = data.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError:
        raise ParserError("invalid_encoding", f"{path}: the manifest is not UTF-8") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParserError("malformed_json", f"{path}: the manifest is not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ParserError("malformed_json", f"{path}: the manifest is nested too deeply") from None
    if not isinstance(doc, dict):
        raise ParserError("invalid_manifest", f"{path}: the manifest must be a JSON object, got {_kind(doc)}")
    return doc


def _optional_object(doc: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParserError("invalid_manifest", f"{where}: {key} must be an object, got {_kind(value)}")
    return value


def _optional_string(doc: dict[str, Any], key: str, where: str) -> str:
    value = doc.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParserError("invalid_manifest", f"{where}: {key} must be a string, got {_kind(value)}")
    return value


def _commands(value: Any, path: str) -> tuple[CommandRun, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ParserError("invalid_manifest", f"{path}: commands must be a list, got {_kind(value)}")
    return tuple(_command(entry, f"{path}: commands[{index}]") for index, entry in enumerate(value))


def _command(entry: Any, where: str) -> CommandRun:
    if not isinstance(entry, dict):
        raise ParserError("invalid_manifest", f"{where} must be an object, got {_kind(entry)}")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ParserError("invalid_manifest", f"{where}: name must be a non-empty string")
    exit_code = entry.get("exit_code")
    # bool is an int subclass; `true` as an exit code is a collector bug, not a status
    if exit_code is not None and (isinstance(exit_code, bool) or not isinstance(exit_code, int)):
        raise ParserError("invalid_manifest", f"{where}: exit_code must be an integer, got {_kind(exit_code)}")
    duration = entry.get("duration_s")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float)):
        raise ParserError("invalid_manifest", f"{where}: duration_s must be a number, got {_kind(duration)}")
    return CommandRun(name=name, exit_code=exit_code, duration_s=float(duration) if duration is not None else None)


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for messages written to integrators."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
