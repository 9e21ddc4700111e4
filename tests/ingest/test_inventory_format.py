"""The Reanimator inventory format, version 1: its schema, its documented example, its errors."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ingest.parsers import inventory
from ingest.parsers.base import ParserError

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "bundle-format.md"
_EXAMPLE_BLOCK = re.compile(r"<!-- inventory-example[^>]*-->\s*```json\n(.*?)```", re.DOTALL)


@pytest.fixture(scope="module")
def documented_example() -> dict[str, Any]:
    """The example integrators copy from docs/bundle-format.md, so the doc cannot drift."""
    match = _EXAMPLE_BLOCK.search(DOC_PATH.read_text(encoding="utf-8"))
    assert match is not None, "docs/bundle-format.md lost its inventory example"
    return json.loads(match.group(1))


def encode(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def refusal(doc: Any, path: str = "inventory.json") -> ParserError:
    with pytest.raises(ParserError) as caught:
        inventory.parse(path, encode(doc) if not isinstance(doc, bytes) else doc)
    return caught.value


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(inventory.SCHEMA_PATH.read_text(encoding="utf-8"))

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_accepts_the_documented_example(documented_example: dict[str, Any]) -> None:
    assert list(inventory.schema_validator().iter_errors(documented_example)) == []


def test_documented_example_parses_into_asset_and_components(documented_example: dict[str, Any]) -> None:
    result = inventory.parse("bundle.json", encode(documented_example))

    assert result.parser == "inventory"
    assert result.collected_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert result.asset.serial == "S123456X9123456"
    assert result.asset.asset_tag == "RZ-000418"
    assert result.asset.hostname == "node-17.dc1.example.net"
    assert result.asset.firmware == {"BIOS": "3.4", "BMC": "1.71.11"}
    assert [c.component_class for c in result.components] == ["CPU", "DIMM", "NVME", "HDD", "NIC", "PSU"]
    nvme = result.components[2]
    assert (nvme.serial, nvme.firmware, nvme.source) == ("S3VJNA0K700123", "EDA5202Q", "inventory")
    assert nvme.specs["capacity_bytes"] == 3840755982336
    assert nvme.health == {"smart_passed": True, "power_on_hours": 21877, "percentage_used": 3, "media_errors": 0}
    assert result.components[0].serial == ""  # absent means unknown, never None
    assert result.members == ["bundle.json"]


def test_every_documented_class_is_accepted() -> None:
    classes = ["CPU", "DIMM", "SSD", "HDD", "NVME", "NIC", "PSU", "GPU", "BMC", "RAID", "MOTHERBOARD", "OTHER"]
    doc = {"format": "reanimator-inventory", "version": 1, "components": [{"class": c} for c in classes]}

    assert [c.component_class for c in inventory.parse("i.json", encode(doc)).components] == classes


def test_nulls_mean_unknown_and_extensions_are_ignored() -> None:
    doc = {
        "format": "reanimator-inventory",
        "version": 1,
        "hostname": None,
        "asset": {"serial": "ABC", "uuid": None, "x-rack": "B07"},
        "components": [{"class": "PSU", "serial": None, "slot": "PSU1", "x-note": {"any": "thing"}}],
        "x-export-id": 42,
    }

    result = inventory.parse("i.json", encode(doc))

    assert (result.asset.serial, result.asset.uuid, result.asset.hostname) == ("ABC", "", "")
    assert result.components[0].serial == ""
    assert result.collected_at is None  # optional here; the bundle then needs another time source


@pytest.mark.parametrize(
    ("mutate", "json_path"),
    [
        (lambda d: d.pop("components"), "$: 'components' is a required property"),
        (lambda d: d["components"][1].update({"class": "RAM"}), "$.components[1].class"),
        (
            lambda d: d["components"][1]["specs"].update({"capacity_bytes": "32 GB"}),
            "$.components[1].specs.capacity_bytes",
        ),
        (lambda d: d["components"][2]["health"].update({"smart_passed": "yes"}), "$.components[2].health.smart_passed"),
        (lambda d: d["components"][3].update({"serail": "X"}), "$.components[3]: unknown key(s) 'serail'"),
        (lambda d: d["asset"]["firmware"].update({"BIOS": 3.4}), "$.asset.firmware.BIOS"),
        (lambda d: d["asset"].update({"serial": 12345}), "$.asset.serial"),
        (lambda d: d.update({"components": {"class": "CPU"}}), "$.components"),
        (lambda d: d["components"][0].pop("class"), "$.components[0]: 'class' is a required property"),
    ],
    ids=[
        "no-components",
        "bad-class",
        "capacity-text",
        "smart-text",
        "typo-key",
        "firmware-number",
        "serial-number",
        "components-object",
        "no-class",
    ],
)
def test_schema_violations_name_the_json_path(documented_example: dict[str, Any], mutate: Any, json_path: str) -> None:
    doc = copy.deepcopy(documented_example)
    mutate(doc)

    error = refusal(doc)

    assert error.code == "invalid_inventory"
    assert json_path in error.message
    assert error.message.startswith("inventory.json: ")


def test_later_version_is_refused_with_a_message_saying_so(documented_example: dict[str, Any]) -> None:
    error = refusal({**documented_example, "version": 2})

    assert error.code == "invalid_inventory"
    assert "$.version" in error.message
    assert "version 2 is not supported" in error.message


def test_document_that_is_not_an_object_is_refused() -> None:
    error = refusal([{"format": "reanimator-inventory"}])

    assert error.code == "invalid_inventory"
    assert "$: " in error.message


def test_time_without_zone_is_refused(documented_example: dict[str, Any]) -> None:
    error = refusal({**documented_example, "collected_at": "2026-03-01T08:00:00"})

    assert error.code == "invalid_collected_at"
    assert "$.collected_at" in error.message


def test_inventory_not_in_utf8_is_refused() -> None:
    raw = b'{"format": "reanimator-inventory", "version": 1, "hostname": "n\xe9", "components": []}'

    assert refusal(raw).code == "invalid_encoding"


def test_malformed_inventory_is_refused() -> None:
    assert refusal(b'{"format": "reanimator-inventory", ').code == "malformed_json"


def test_many_errors_are_counted_in_one_message(documented_example: dict[str, Any]) -> None:
    doc = copy.deepcopy(documented_example)
    for component in doc["components"]:
        component["class"] = "RAM"

    assert "(and 5 more)" in refusal(doc).message


# --- sniff --------------------------------------------------------------------------------


def test_sniff_recognises_the_format_key_under_any_name(documented_example: dict[str, Any]) -> None:
    assert inventory.sniff("export/2026-03-01.txt", encode(documented_example))
    assert inventory.sniff("bundle.json", b"\xef\xbb\xbf" + encode(documented_example))


@pytest.mark.parametrize(
    "data",
    [
        encode({"format": "something-else", "version": 1, "components": []}),
        encode({"collected_at": "2026-03-01T08:00:00Z", "note": "reanimator-inventory"}),
        b"reanimator-inventory",
        b'{"format": "reanimator-inventory", ',
    ],
    ids=["other-format", "marker-in-a-value", "text", "malformed"],
)
def test_sniff_rejects_other_documents(data: bytes) -> None:
    assert not inventory.sniff("inventory.json", data)


# --- the compiled fast path must accept exactly what the published schema accepts ---------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-5, max_value=10**13) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)
_component_keys = st.sampled_from(
    ["class", "slot", "vendor", "model", "serial", "firmware", "specs", "health", "x-a", "bogus"]
)
_top_keys = st.sampled_from(["format", "version", "collected_at", "hostname", "collector", "asset", "components", "x"])


@given(
    component_changes=st.dictionaries(_component_keys, _json_values, max_size=3),
    top_changes=st.dictionaries(_top_keys, _json_values, max_size=2),
)
def test_fast_validation_agrees_with_the_schema(component_changes: dict, top_changes: dict) -> None:
    from ingest.parsers.inventory import _fast_check, schema_validator

    doc = {
        "format": "reanimator-inventory",
        "version": 1,
        "asset": {"serial": "S1"},
        "components": [{"class": "SSD", "serial": "X1", **component_changes}],
        **top_changes,
    }
    reference = schema_validator().is_valid(doc)
    try:
        _fast_check()(doc)
        fast = True
    except fastjsonschema.JsonSchemaException:
        fast = False
    assert fast == reference, doc
