"""The shared result type of every bundle parser.

A parser reads tool output (bytes) and says what it saw: records with raw values, exactly as
the tool printed them. Normalisation (registry.normalisation) and identity resolution happen
later, in the ingest services, so a parser never decides what a serial "means".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ParserError(Exception):
    """The only exception a parser may raise: the input is not what the parser handles,
    or it is malformed. `code` is machine-readable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ComponentRecord:
    """One physical part as one tool saw it. Values are raw strings ("" when absent)."""

    component_class: str  # a registry.choices.ComponentClass value: "CPU", "DIMM", "SSD", ...
    source: str  # parser name, e.g. "dmidecode", "smartctl", "redfish"
    slot: str = ""  # locator as the tool names it: "DIMM_A1", "CPU1", "/dev/sda", "PSU 2"
    vendor: str = ""
    model: str = ""
    serial: str = ""
    firmware: str = ""
    # Facts about the part type: capacity_bytes (int), speed_mts, cores, threads, mac, part_number,
    # interface ("SATA", "SAS", "NVMe"), rotation_rpm, form_factor, ... (JSON-serialisable).
    specs: dict[str, Any] = field(default_factory=dict)
    # Health at collection time: smart_passed (bool), power_on_hours (int), media_errors (int),
    # percentage_used (int), temperature_c (int), reallocated_sectors (int), status ("OK", ...).
    health: dict[str, Any] = field(default_factory=dict)


@dataclass
class AssetRecord:
    """What a tool says about the server itself. Any field may be ""."""

    source: str = ""
    vendor: str = ""
    model: str = ""
    serial: str = ""
    uuid: str = ""
    asset_tag: str = ""
    hostname: str = ""
    # Asset-level firmware by name: {"BIOS": "2.3.4", "BMC": "5.10"}.
    firmware: dict[str, str] = field(default_factory=dict)


@dataclass
class ParseResult:
    """The output of one parser over one file (or one Redfish tree)."""

    parser: str
    asset: AssetRecord = field(default_factory=AssetRecord)
    components: list[ComponentRecord] = field(default_factory=list)
    # A collection time found in the tool output itself (e.g. smartctl's local_time), UTC-aware.
    collected_at: datetime | None = None
    # Things worth telling the operator that did not stop parsing ("3 DIMM slots empty").
    warnings: list[str] = field(default_factory=list)
    # Paths of the bundle members this result was built from.
    members: list[str] = field(default_factory=list)
