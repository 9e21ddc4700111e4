"""nvme-cli parser: `nvme list -o json` in both shapes, `nvme smart-log -o json`, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import nvme
from ingest.parsers.base import ParserError

# nvme-cli 2.x (`nvme list -v -o json`): Devices -> Subsystems -> Controllers -> Namespaces.
# A dual-port drive (two controllers, one serial) and a drive with two namespaces.
NESTED_LIST = {
    "Devices": [
        {
            "HostNQN": "nqn.2014-08.org.nvmexpress:uuid:0000",
            "Subsystems": [
                {
                    "Subsystem": "nvme-subsys0",
                    "Controllers": [
                        {
                            "Controller": "nvme0",
                            "SerialNumber": "S64ANS0T515282K",
                            "ModelNumber": "SAMSUNG MZQL23T8HCLS-00A07",
                            "Firmware": "GDC5602Q",
                            "Transport": "pcie",
                            "Address": "0000:c1:00.0",
                            "Namespaces": [
                                {"NameSpace": "nvme0n1", "NSID": 1, "PhysicalSize": 1000000000000},
                                {"NameSpace": "nvme0n2", "NSID": 2, "PhysicalSize": 2840000000000},
                            ],
                        }
                    ],
                },
                {
                    "Subsystem": "nvme-subsys1",
                    "Namespaces": [{"NameSpace": "nvme1n1", "NSID": 1, "PhysicalSize": 7680000000000}],
                    "Controllers": [
                        {"Controller": "nvme1", "SerialNumber": "PHAB1234", "ModelNumber": "DUAL", "Firmware": "1"},
                        {"Controller": "nvme2", "SerialNumber": "PHAB1234", "ModelNumber": "DUAL", "Firmware": "1"},
                    ],
                },
            ],
        }
    ]
}


def _code_or_ok(call: Callable[[], object]) -> str:
    """ "ok", or the code of the ParserError raised; any other exception fails the test."""
    try:
        call()
    except ParserError as exc:
        return exc.code
    return "ok"


def test_netbox_agent_nvme_list_gives_one_toshiba_drive(corpus_dir: Path) -> None:
    path = corpus_dir / "dmidecode-netbox-agent/inventory/nvme.json"
    data = path.read_bytes()
    assert nvme.sniff(str(path), data) is True
    result = nvme.parse(str(path), data)
    assert len(result.components) == 1
    drive = result.components[0]
    assert drive.component_class == "NVME"
    assert drive.source == "nvme"
    assert (drive.slot, drive.model, drive.serial, drive.firmware) == (
        "/dev/nvme0n1",
        "KXG60ZNV1T02 NVMe TOSHIBA 1024GB",
        "19FA109SK07N",
        "10604103",
    )
    assert drive.specs == {"interface": "NVMe", "capacity_bytes": 1024209543168}
    assert result.collected_at is None


def test_nested_list_gives_one_component_per_drive() -> None:
    result = nvme.parse("list.json", json.dumps(NESTED_LIST).encode())
    assert [(c.slot, c.serial) for c in result.components] == [
        ("/dev/nvme0", "S64ANS0T515282K"),
        ("/dev/nvme1", "PHAB1234"),
    ]
    first, dual = result.components
    assert first.specs["capacity_bytes"] == 3840000000000  # both namespaces
    assert first.specs["pci_address"] == "0000:c1:00.0"
    assert first.firmware == "GDC5602Q"
    assert dual.specs["capacity_bytes"] == 7680000000000  # shared namespace counted once


def test_flat_list_folds_namespaces_of_one_drive() -> None:
    doc = {
        "Devices": [
            {"DevicePath": "/dev/nvme0n1", "SerialNumber": "A1", "ModelNumber": "M", "PhysicalSize": 100},
            {"DevicePath": "/dev/nvme0n2", "SerialNumber": "A1", "ModelNumber": "M", "PhysicalSize": 50},
            {"DevicePath": "/dev/nvme1n1", "SerialNumber": "", "ModelNumber": "M", "PhysicalSize": 10},
        ]
    }
    result = nvme.parse("l", json.dumps(doc).encode())
    assert [(c.slot, c.specs["capacity_bytes"]) for c in result.components] == [
        ("/dev/nvme0n1", 150),
        ("/dev/nvme1n1", 10),
    ]
    assert any("no serial" in w for w in result.warnings)


def test_empty_device_list_parses_with_a_warning() -> None:
    result = nvme.parse("l", b'{"Devices": []}')
    assert result.components == []
    assert result.warnings == ["l: nvme list reports no devices"]


def test_smart_log_gives_no_component_and_quotes_health_in_celsius(corpus_dir: Path) -> None:
    path = corpus_dir / "nvme-smartctl-netdata/nvme-smart-log.json"
    data = path.read_bytes()
    assert nvme.sniff(str(path), data) is True
    result = nvme.parse(str(path), data)
    assert result.components == []
    assert len(result.warnings) == 1
    assert "temperature_c=37" in result.warnings[0]
    assert nvme.smart_log_health(json.loads(data)) == {
        "temperature_c": 37,
        "percentage_used": 2,
        "power_on_hours": 4974,
        "media_errors": 0,
        "smart_passed": True,
    }


def test_sniff_rejects_smartctl_json_and_other_content(corpus_dir: Path) -> None:
    smart = corpus_dir / "smartctl-json-scrutiny/testdata/smart-nvme.json"
    assert nvme.sniff("nvme0.json", smart.read_bytes()) is False
    assert nvme.sniff("nvme.json", b"Node SN Model\n/dev/nvme0n1 ...") is False
    assert nvme.sniff("nvme.json", b"") is False


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_output"),
        (b'{"Devices": [', "malformed_json"),
        (b'"text"', "not_nvme"),
        (b'{"Devices": {"a": 1}}', "not_nvme"),
        (b'{"something": "else"}', "not_nvme"),
    ],
)
def test_bad_input_raises_a_specific_parser_error(data: bytes, code: str) -> None:
    with pytest.raises(ParserError) as caught:
        nvme.parse("bad", data)
    assert caught.value.code == code


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_raise_nothing_but_parser_error(data: bytes) -> None:
    assert isinstance(nvme.sniff("x", data), bool)
    assert _code_or_ok(lambda: nvme.parse("x", data))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_device = st.dictionaries(
    st.sampled_from(
        [
            "DevicePath",
            "SerialNumber",
            "ModelNumber",
            "PhysicalSize",
            "Subsystems",
            "Controllers",
            "Namespaces",
            "Controller",
            "Firmware",
        ]
    ),
    _json_values,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_device | _json_values, max_size=4), st.booleans())
def test_arbitrary_nvme_shaped_json_raises_nothing_but_parser_error(devices: list, smart_log: bool) -> None:
    doc = {"critical_warning": devices} if smart_log else {"Devices": devices}
    assert _code_or_ok(lambda: nvme.parse("x", json.dumps(doc).encode()))
