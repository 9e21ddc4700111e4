"""The bundle manifest: collection time with a zone, host name, collector, asset hints."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import manifest
from ingest.parsers.base import ParserError

DOCUMENTED = {
    "collected_at": "2026-03-01T10:00:00+02:00",
    "hostname": "node-17.dc1.example.net",
    "collector": {"name": "reanimator-collector", "version": "1.4.0"},
    "asset": {
        "serial": "MXQ2390RHW",
        "asset_tag": "RZ-000417",
        "vendor": "HPE",
        "model": "ProLiant DL360 Gen10 Plus",
        "uuid": "35383350-3837-584D-5132-333730444C51",
    },
    "commands": [{"name": "dmidecode", "exit_code": 0, "duration_s": 0.41}],
}


def encode(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def with_changes(**changes: Any) -> bytes:
    return encode({**DOCUMENTED, **changes})


def refusal(data: bytes, path: str = "manifest.json") -> ParserError:
    with pytest.raises(ParserError) as caught:
        manifest.parse(path, data)
    return caught.value


def test_documented_manifest_parses_with_time_in_utc() -> None:
    parsed = manifest.parse("manifest.json", encode(DOCUMENTED))

    assert parsed.collected_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert parsed.collected_at.tzinfo == UTC
    assert parsed.hostname == "node-17.dc1.example.net"
    assert (parsed.collector_name, parsed.collector_version) == ("reanimator-collector", "1.4.0")
    assert parsed.asset.serial == "MXQ2390RHW"
    assert parsed.asset.asset_tag == "RZ-000417"
    assert parsed.asset.uuid == "35383350-3837-584D-5132-333730444C51"
    assert parsed.asset.source == "manifest"
    assert parsed.asset.hostname == "node-17.dc1.example.net"
    assert parsed.commands == (manifest.CommandRun(name="dmidecode", exit_code=0, duration_s=0.41),)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01T08:00:00Z", datetime(2026, 3, 1, 8, 0, tzinfo=UTC)),
        ("2026-03-01T03:00:00-05:00", datetime(2026, 3, 1, 8, 0, tzinfo=UTC)),
        ("2026-03-01 13:30:00.250+05:30", datetime(2026, 3, 1, 8, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_any_zone_is_converted_to_utc(value: str, expected: datetime) -> None:
    assert manifest.parse("m.json", with_changes(collected_at=value)).collected_at == expected


@pytest.mark.parametrize("value", ["2026-03-01T10:00:00", "2026-03-01"])
def test_time_without_zone_is_refused(value: str) -> None:
    error = refusal(with_changes(collected_at=value))

    assert error.code == "invalid_collected_at"
    assert "no zone" in error.message


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T10:00:00Z", "", 1772352000, None])
def test_unparsable_or_missing_time_is_refused(value: Any) -> None:
    assert refusal(with_changes(collected_at=value)).code == "invalid_collected_at"


def test_manifest_without_collected_at_is_refused() -> None:
    doc = {key: value for key, value in DOCUMENTED.items() if key != "collected_at"}

    error = refusal(encode(doc))

    assert error.code == "invalid_collected_at"
    assert "missing" in error.message


def test_unknown_keys_are_ignored() -> None:
    parsed = manifest.parse("m.json", with_changes(spool_id=17, collector={"name": "c", "build": "abc"}))

    assert parsed.collector_name == "c"
    assert parsed.hostname == DOCUMENTED["hostname"]


def test_only_collected_at_is_required() -> None:
    parsed = manifest.parse("m.json", encode({"collected_at": "2026-03-01T08:00:00Z"}))

    assert parsed.hostname == ""
    assert parsed.asset.serial == ""
    assert parsed.commands == ()


def test_null_hints_mean_absent() -> None:
    parsed = manifest.parse("m.json", with_changes(hostname=None, asset={"serial": None, "asset_tag": "T1"}))

    assert parsed.hostname == ""
    assert (parsed.asset.serial, parsed.asset.asset_tag) == ("", "T1")


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"hostname": 17}, "hostname must be a string, got number"),
        ({"collector": "reanimator"}, "collector must be an object, got string"),
        ({"asset": {"serial": 12345}}, "asset: serial must be a string"),
        ({"asset": ["MXQ"]}, "asset must be an object, got array"),
        ({"commands": {"name": "x"}}, "commands must be a list"),
        ({"commands": [{"exit_code": 0}]}, "commands[0]: name"),
        ({"commands": [{"name": "x", "exit_code": True}]}, "exit_code must be an integer, got boolean"),
        ({"commands": [{"name": "x", "duration_s": "fast"}]}, "duration_s must be a number"),
    ],
)
def test_wrong_types_are_clear_errors(changes: dict[str, Any], named: str) -> None:
    error = refusal(with_changes(**changes))

    assert error.code == "invalid_manifest"
    assert named in error.message


def test_manifest_that_is_not_an_object_is_refused() -> None:
    error = refusal(b"[]")

    assert error.code == "invalid_manifest"
    assert "array" in error.message


def test_manifest_not_in_utf8_is_refused() -> None:
    assert refusal(b'{"collected_at": "2026-03-01T08:00:00Z", "hostname": "n\xe9"}').code == "invalid_encoding"


def test_malformed_manifest_is_refused() -> None:
    assert refusal(b'{"collected_at": ').code == "malformed_json"


def test_utf8_bom_is_tolerated() -> None:
    assert manifest.parse("m.json", b"\xef\xbb\xbf" + encode(DOCUMENTED)).hostname == DOCUMENTED["hostname"]


# --- sniff --------------------------------------------------------------------------------


def test_sniff_recognises_a_manifest_by_content_under_any_name() -> None:
    assert manifest.sniff("spool/meta/info.json", encode(DOCUMENTED))
    assert manifest.sniff("x", encode({"collected_at": "2026-03-01T08:00:00Z", "hostname": "n"}))


def test_sniff_recognises_a_broken_manifest_by_its_name_so_it_is_reported() -> None:
    assert manifest.sniff("bundle/manifest.json", encode({"collected_at": "yesterday"}))
    assert manifest.sniff("MANIFEST.JSON", b"{}")


@pytest.mark.parametrize(
    "data",
    [
        encode({"format": "reanimator-inventory", "version": 1, "collected_at": "x", "collector": {}}),
        encode({"json_format_version": [1, 0], "smartctl": {"version": [7, 1]}, "local_time": {"time_t": 1}}),
        encode({"collected_at": "2026-03-01T08:00:00Z"}),  # a time alone says nothing about a bundle
        b"# dmidecode 3.3\nHandle 0x0001, DMI type 1, 27 bytes\n",
        b"\xff\xfe\x00garbage",
    ],
    ids=["inventory", "smartctl", "time-only", "text", "binary"],
)
def test_sniff_rejects_other_documents(data: bytes) -> None:
    assert not manifest.sniff("data.json", data)


@settings(max_examples=200, deadline=None)
@given(path=st.text(max_size=40), data=st.binary(max_size=512))
def test_sniff_never_raises_and_parse_raises_only_parser_errors(path: str, data: bytes) -> None:
    assert manifest.sniff(path, data) in (True, False)
    parsed: manifest.Manifest | None = None
    error: ParserError | None = None
    try:
        parsed = manifest.parse(path, data)
    except ParserError as raised:
        error = raised

    assert (parsed is None) != (error is None)
    assert error is None or error.code
    assert parsed is None or parsed.collected_at.tzinfo is not None
