"""Identity normalisation: the rules of DESIGN.md's "Identity" section as pure functions.

Nothing here touches the database, so parsers, services and tests share one definition of
what a serial or a vendor name is. The placeholder list itself is data (the PlaceholderSerial
table, editable in admin); `PlaceholderMatcher.from_rows` turns those rows into a matcher and
`DEFAULT_PLACEHOLDERS` seeds the table and serves callers that have no database at hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_WHITESPACE = re.compile(r"\s+")

# (value, kind) pairs; kind "exact" compares the normalised serial, "regex" fullmatches it.
DEFAULT_PLACEHOLDERS: tuple[tuple[str, str], ...] = (
    ("NOT SPECIFIED", "exact"),
    ("NOT SPECIFIED.", "exact"),
    ("NOT AVAILABLE", "exact"),
    ("NOT APPLICABLE", "exact"),
    ("NOT PRESENT", "exact"),
    ("NOT SET", "exact"),
    ("TO BE FILLED BY O.E.M.", "exact"),
    ("TO BE FILLED BY OEM", "exact"),
    ("DEFAULT STRING", "exact"),
    ("SYSTEM SERIAL NUMBER", "exact"),
    ("CHASSIS SERIAL NUMBER", "exact"),
    ("BASE BOARD SERIAL NUMBER", "exact"),
    ("SERIAL NUMBER", "exact"),
    ("SERIALNUMBER", "exact"),
    ("SERNUM", "exact"),
    ("0123456789", "exact"),
    ("123456789", "exact"),
    ("1234567890", "exact"),
    ("N/A", "exact"),
    ("NA", "exact"),
    ("NONE", "exact"),
    ("NULL", "exact"),
    ("UNKNOWN", "exact"),
    ("EMPTY", "exact"),
    ("INVALID", "exact"),
    ("NO DIMM", "exact"),
    ("OEM", "exact"),
    ("TBD", "exact"),
    ("UNDEFINED", "exact"),
    # all zeros, all X, all F, all dashes/dots/underscores (masked serials such as "--")
    (r"0+", "regex"),
    (r"X+", "regex"),
    (r"F+", "regex"),
    (r"[-_.*#?]+", "regex"),
    (r"\(?NULL\)?|\[?EMPTY\]?|<EMPTY>", "regex"),
)


def normalise_text(raw: str | None) -> str:
    """Trim, collapse inner whitespace, upper-case. `None` becomes ""."""
    if raw is None:
        return ""
    return _WHITESPACE.sub(" ", str(raw)).strip().upper()


@dataclass(frozen=True)
class PlaceholderMatcher:
    """Decides whether a normalised serial is a placeholder rather than a serial."""

    exact: frozenset[str] = frozenset()
    patterns: tuple[re.Pattern[str], ...] = field(default_factory=tuple)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]]) -> PlaceholderMatcher:
        exact: set[str] = set()
        patterns: list[re.Pattern[str]] = []
        for value, kind in rows:
            if kind == "regex":
                patterns.append(re.compile(value, re.IGNORECASE))
            else:
                exact.add(normalise_text(value))
        return cls(exact=frozenset(exact), patterns=tuple(patterns))

    @classmethod
    def default(cls) -> PlaceholderMatcher:
        return cls.from_rows(DEFAULT_PLACEHOLDERS)

    def is_placeholder(self, normalised: str) -> bool:
        if not normalised:
            return True
        if normalised in self.exact:
            return True
        return any(p.fullmatch(normalised) for p in self.patterns)


def normalise_serial(raw: str | None, placeholders: PlaceholderMatcher | None = None) -> str:
    """The normalised serial, or "" when the raw value is empty or a placeholder."""
    value = normalise_text(raw)
    matcher = placeholders if placeholders is not None else PlaceholderMatcher.default()
    return "" if matcher.is_placeholder(value) else value


def normalise_uuid(raw: str | None) -> str:
    """SMBIOS/Redfish system UUIDs: lower-case canonical form; placeholders give ""."""
    value = normalise_text(raw).replace("{", "").replace("}", "")
    if not value:
        return ""
    hexdigits = value.replace("-", "")
    if len(hexdigits) != 32 or not re.fullmatch(r"[0-9A-F]{32}", hexdigits):
        return ""
    # all-zero and all-F UUIDs are what firmware reports when nobody set one
    if set(hexdigits) <= {"0"} or set(hexdigits) <= {"F"}:
        return ""
    h = hexdigits.lower()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


# Vendor aliases seed the VendorAlias table. Keys are normalised (normalise_text) spellings
# found in tool outputs, including JEDEC manufacturer ids as dmidecode and Redfish print them.
DEFAULT_VENDOR_ALIASES: dict[str, str] = {
    "HGST": "HGST",
    "HITACHI": "HGST",
    "HITACHI GLOBAL STORAGE TECHNOLOGIES": "HGST",
    "WESTERN DIGITAL": "WDC",
    "WD": "WDC",
    "WDC": "WDC",
    "SAMSUNG": "SAMSUNG",
    "SAMSUNG ELECTRONICS": "SAMSUNG",
    "SAMSUNG ELECTRONICS CO LTD": "SAMSUNG",
    "SAMSUNG ELECTRONICS CO., LTD.": "SAMSUNG",
    "00CE00B300000000": "SAMSUNG",
    "80CE": "SAMSUNG",
    "CE00000000000000": "SAMSUNG",
    "SK HYNIX": "SK HYNIX",
    "HYNIX": "SK HYNIX",
    "HYNIX SEMICONDUCTOR": "SK HYNIX",
    "80AD": "SK HYNIX",
    "AD00000000000000": "SK HYNIX",
    "00AD00B300000000": "SK HYNIX",
    "MICRON": "MICRON",
    "MICRON TECHNOLOGY": "MICRON",
    "802C": "MICRON",
    "2C00000000000000": "MICRON",
    "002C00B300000000": "MICRON",
    "KINGSTON": "KINGSTON",
    "0198": "KINGSTON",
    "SEAGATE": "SEAGATE",
    "ST": "SEAGATE",
    "TOSHIBA": "TOSHIBA",
    "KIOXIA": "KIOXIA",
    "INTEL": "INTEL",
    "INTEL CORPORATION": "INTEL",
    "INTEL(R) CORPORATION": "INTEL",
    "GENUINEINTEL": "INTEL",
    "AMD": "AMD",
    "ADVANCED MICRO DEVICES, INC.": "AMD",
    "ADVANCED MICRO DEVICES": "AMD",
    "AUTHENTICAMD": "AMD",
    "DELL": "DELL",
    "DELL INC.": "DELL",
    "HP": "HPE",
    "HPE": "HPE",
    "HEWLETT PACKARD ENTERPRISE": "HPE",
    "HEWLETT-PACKARD": "HPE",
    "SUPERMICRO": "SUPERMICRO",
    "SUPER MICRO COMPUTER": "SUPERMICRO",
    "SUPER MICRO COMPUTER, INC.": "SUPERMICRO",
    "MELLANOX": "MELLANOX",
    "MELLANOX TECHNOLOGIES": "MELLANOX",
    "BROADCOM": "BROADCOM",
    "BROADCOM / LSI": "BROADCOM",
    "LSI": "BROADCOM",
    "LSI LOGIC / SYMBIOS LOGIC": "BROADCOM",
    "NVIDIA": "NVIDIA",
    "NVIDIA CORPORATION": "NVIDIA",
}


def normalise_vendor(raw: str | None, aliases: dict[str, str] | None = None) -> str:
    """Canonical vendor name: normalised text mapped through the alias table."""
    value = normalise_text(raw)
    if value in {"", "NOT SPECIFIED", "UNKNOWN", "N/A", "NONE", "TO BE FILLED BY O.E.M."}:
        return ""
    table = aliases if aliases is not None else DEFAULT_VENDOR_ALIASES
    return table.get(value, value)
