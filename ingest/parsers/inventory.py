"""Reanimator's own inventory format, version 1: the door for any integrator whose collector is
not ours (a CMDB export, a vendor tool, a script). The contract is the JSON Schema in
ingest/schemas/inventory-v1.schema.json and the prose in docs/bundle-format.md.

The document may be a whole bundle (a single JSON upload) or one member of an archive. It is
recognised by `"format": "reanimator-inventory"`, never by its file name. Values stay raw here,
as with every parser; normalisation happens later.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from ingest.parsers.base import AssetRecord, ComponentRecord, ParserError, ParseResult
from ingest.parsers.manifest import parse_zoned_timestamp

NAME = "inventory"
FORMAT = "reanimator-inventory"
SUPPORTED_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "inventory-v1.schema.json"

_UTF8_BOM = b"\xef\xbb\xbf"
_FORMAT_MARKER = FORMAT.encode()
_MESSAGE_LIMIT = 300


@cache
def schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    # jsonschema resolves every "$ref" through its registry on every value it checks: for a
    # server's 60 parts that was most of the parse. The definitions are not recursive, so they
    # are inlined once here; the published schema file keeps its $defs for readers.
    return Draft202012Validator(_inline_local_refs(schema, schema.get("$defs", {})))


def _inline_local_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1:
            return _inline_local_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline_local_refs(value, defs) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inline_local_refs(item, defs) for item in node]
    return node


def sniff(path: str, data: bytes) -> bool:
    """True for a JSON object whose "format" is "reanimator-inventory"."""
    return recognise(data) is not None


def recognise(data: bytes, *, decoded: Any = None) -> dict[str, Any] | None:
    """The decoded document when `data` is an inventory (what sniff() answers), else None:
    a caller that goes on to read it with parse_document() decodes it once, not twice.
    `decoded` is `data` decoded already, when the caller has it."""
    try:
        # the substring test keeps large foreign JSON (lshw, Redfish) from being parsed twice
        if _FORMAT_MARKER not in data or not data.removeprefix(_UTF8_BOM).lstrip().startswith(b"{"):
            return None
        doc = decoded if decoded is not None else json.loads(data.removeprefix(_UTF8_BOM).decode("utf-8"))
    except Exception:
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT else None


def parse(path: str, data: bytes) -> ParseResult:
    return parse_document(path, _load(path, data))


def parse_document(path: str, doc: Any) -> ParseResult:
    """parse() of a document that is decoded already."""
    _require_supported_version(path, doc)
    _validate(path, doc)
    collected_at = doc.get("collected_at")
    return ParseResult(
        parser=NAME,
        asset=_asset(doc.get("asset") or {}, hostname=doc.get("hostname") or ""),
        components=[_component(entry) for entry in doc["components"]],
        collected_at=parse_zoned_timestamp(collected_at, where=f"{path}: $.collected_at") if collected_at else None,
        members=[path],
    )


def _load(path: str, data: bytes) -> Any:
    try:
        text = data.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParserError("invalid_encoding", f"{path}: the inventory is not UTF-8 (byte offset {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParserError(
            "malformed_json", f"{path}: the inventory is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    except RecursionError:
        raise ParserError("malformed_json", f"{path}: the inventory is nested too deeply") from None


def _require_supported_version(path: str, doc: Any) -> None:
    """A newer version gets its own message: the integrator is ahead of us, not wrong."""
    if not isinstance(doc, dict):
        return  # the schema reports the wrong type with its path
    version = doc.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version != SUPPORTED_VERSION:
        raise ParserError(
            "invalid_inventory",
            f"{path}: $.version: version {version} is not supported; this server reads version {SUPPORTED_VERSION}",
        )


@cache
def _fast_check() -> Callable[[Any], Any]:
    """The schema compiled to Python by fastjsonschema: the happy path of every inventory.
    Only a document it refuses goes through jsonschema, whose errors carry the JSON path."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    inlined = _inline_local_refs(schema, schema.get("$defs", {}))
    # fastjsonschema knows up to draft 7; the keywords this schema uses mean the same there.
    inlined["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(inlined)


def _validate(path: str, doc: Any) -> None:
    try:
        _fast_check()(doc)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    errors = list(schema_validator().iter_errors(doc))
    if not errors:
        return
    worst = best_match(errors)
    others = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    raise ParserError("invalid_inventory", f"{path}: {_describe(worst)}{others}")


def _describe(error: ValidationError) -> str:
    message = _unknown_keys_message(error) or error.message
    if len(message) > _MESSAGE_LIMIT:
        message = message[:_MESSAGE_LIMIT] + "..."
    return f"{error.json_path}: {message}"


def _unknown_keys_message(error: ValidationError) -> str | None:
    """jsonschema words a typo as "'serail' does not match any of the regexes: '^x-'";
    integrators deserve to hear that the key is unknown."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return None
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    unknown = [key for key in error.instance if key not in known and not any(p.search(key) for p in patterns)]
    if not unknown:
        return None
    listed = ", ".join(repr(key) for key in unknown)
    return f"unknown key(s) {listed}; known keys are {', '.join(known)}, and extension keys start with 'x-'"


def _asset(asset: dict[str, Any], *, hostname: str) -> AssetRecord:
    return AssetRecord(
        source=NAME,
        vendor=asset.get("vendor") or "",
        model=asset.get("model") or "",
        serial=asset.get("serial") or "",
        uuid=asset.get("uuid") or "",
        asset_tag=asset.get("asset_tag") or "",
        hostname=hostname,
        firmware=dict(asset.get("firmware") or {}),
    )


def _component(entry: dict[str, Any]) -> ComponentRecord:
    return ComponentRecord(
        component_class=entry["class"],
        source=NAME,
        slot=entry.get("slot") or "",
        vendor=entry.get("vendor") or "",
        model=entry.get("model") or "",
        serial=entry.get("serial") or "",
        firmware=entry.get("firmware") or "",
        specs=dict(entry.get("specs") or {}),
        health=dict(entry.get("health") or {}),
    )
