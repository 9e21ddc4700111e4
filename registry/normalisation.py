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
from functools import cache, lru_cache

# Vendors, models, slots and firmware strings repeat across every bundle of a fleet; serials
# do not, and a bounded LRU lets them pass through without evicting the values that repeat.
_TEXT_MEMO_SIZE = 8192

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
    return _collapsed_upper(raw if type(raw) is str else str(raw))


@lru_cache(maxsize=_TEXT_MEMO_SIZE)
def _collapsed_upper(text: str) -> str:
    # str.split() and str.strip() know the same whitespace as the regex "\s" does
    return " ".join(text.split()).upper()


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
    @cache  # immutable, so one is enough; parsers without a database ask for it per part
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


_UUID_HEX = re.compile(r"[0-9A-F]{32}")


def normalise_uuid(raw: str | None) -> str:
    """SMBIOS/Redfish system UUIDs: lower-case canonical form; placeholders give ""."""
    value = normalise_text(raw).replace("{", "").replace("}", "")
    if not value:
        return ""
    hexdigits = value.replace("-", "")
    if len(hexdigits) != 32 or not _UUID_HEX.fullmatch(hexdigits):
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
    "SK HYNIX INC": "SK HYNIX",
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
    "SUPER MICRO": "SUPERMICRO",
    "HEWLETT PACKARD": "HPE",
    "ADVANCED MICRO DEVICES, INC. [AMD]": "AMD",
    "MICRON TECHNOLOGY, INC.": "MICRON",
    "BROADCOM INC. AND SUBSIDIARIES": "BROADCOM",
    "MELLANOX": "MELLANOX",
    "MELLANOX TECHNOLOGIES": "MELLANOX",
    "BROADCOM": "BROADCOM",
    "BROADCOM / LSI": "BROADCOM",
    "LSI": "BROADCOM",
    "LSI LOGIC / SYMBIOS LOGIC": "BROADCOM",
    "NVIDIA": "NVIDIA",
    "NVIDIA CORPORATION": "NVIDIA",
}


_TRADEMARKS = re.compile(r"\((R|TM|C)\)|®|™")
_TRAILING_NOTE = re.compile(r"\s*[\[(][^\])]*[\])]\s*$")  # "[AMD]", "(HYUNDAI ELECTRONICS)"
_CORPORATE_SUFFIX = re.compile(
    r"(?:^|[\s,.]+)(?:INCORPORATED|INC|CORPORATION|CORP|COMPANY|CO|LIMITED|LTD|LLC|GMBH|AG|S\.?A|PLC|"
    r"TECHNOLOGY|TECHNOLOGIES|ELECTRONICS|SEMICONDUCTOR|INTERNATIONAL)\.?$"
)
_NO_VENDOR = {"", "NOT SPECIFIED", "UNKNOWN", "N/A", "NONE", "EMPTY", "TO BE FILLED BY O.E.M.", "DEFAULT STRING"}


def vendor_stem(value: str) -> str:
    """A normalised vendor name without trademark marks, trailing notes and corporate
    suffixes: "SAMSUNG ELECTRONICS CO., LTD." -> "SAMSUNG", "INTEL(R) CORPORATION" -> "INTEL"."""
    stem = _TRADEMARKS.sub("", value).strip()
    while True:
        shorter = _TRAILING_NOTE.sub("", stem)
        shorter = _CORPORATE_SUFFIX.sub("", shorter).strip(" ,.")
        if not shorter or shorter == stem:
            return stem
        stem = shorter


def normalise_vendor(raw: str | None, aliases: dict[str, str] | None = None) -> str:
    """Canonical vendor name: the alias of the normalised text, else the alias of its stem,
    else the stem itself. Tools spell one maker many ways; the alias table (data, editable in
    admin) maps what the stem alone cannot, such as JEDEC ids."""
    value = normalise_text(raw)
    if value in _NO_VENDOR:
        return ""
    table = aliases if aliases is not None else DEFAULT_VENDOR_ALIASES
    if value in table:
        return table[value]
    jedec = vendor_from_jedec_id(value)
    if jedec:
        return table.get(jedec, jedec)
    stem = vendor_stem(value)
    return table.get(stem, stem)


# JEDEC JEP106 manufacturer codes as DIMM SPD data carries them (dmidecode and Redfish print
# them as hex when they cannot name the maker, e.g. "002C0632002C", "80CE", "0198").
_JEDEC_MANUFACTURERS = {
    "2C": "MICRON",
    "CE": "SAMSUNG",
    "AD": "SK HYNIX",
    "98": "KINGSTON",
    "C1": "INFINEON",
    "4F": "TRANSCEND",
    "9E": "CORSAIR",
    "FE": "ELPIDA",
    "0B": "NANYA",
    "94": "SMART MODULAR",
    "45": "SANDISK",
}
_JEDEC_HEX = re.compile(r"(?:0X)?([0-9A-F]{4,16})")


def vendor_from_jedec_id(value: str) -> str:
    """The maker of a hex JEDEC manufacturer code, or "". Continuation bytes (7F), the
    odd-parity bank marker (80) and bank counts (01-0F) before the id byte are skipped."""
    match = _JEDEC_HEX.fullmatch(value.replace(" ", ""))
    if not match or len(match.group(1)) % 2:
        return ""
    pairs = [match.group(1)[i : i + 2] for i in range(0, len(match.group(1)), 2)]
    for pair in pairs:
        if pair in {"00", "7F", "80"} or (pair[0] == "0" and pair != "0B"):
            continue
        return _JEDEC_MANUFACTURERS.get(pair, "")
    return ""


# ATA drives report no vendor field: smartctl and lshw print only the model, whose prefix
# names the maker. Checked in order, on the normalised model.
_MODEL_PREFIX_VENDORS: tuple[tuple[str, str], ...] = (
    ("MICRON", "MICRON"),
    ("MTFD", "MICRON"),
    ("SAMSUNG", "SAMSUNG"),
    ("MZ7", "SAMSUNG"),
    ("MZQ", "SAMSUNG"),
    ("MZ1", "SAMSUNG"),
    ("MZW", "SAMSUNG"),
    ("MZPL", "SAMSUNG"),
    ("INTEL", "INTEL"),
    ("SSDSC", "INTEL"),
    ("SSDPE", "INTEL"),
    ("SEAGATE", "SEAGATE"),
    ("ST", "SEAGATE"),
    ("WDC", "WDC"),
    ("WD", "WDC"),
    ("WUH", "WDC"),
    ("WUS", "WDC"),
    ("HGST", "HGST"),
    ("HUS", "HGST"),
    ("HUH", "HGST"),
    ("TOSHIBA", "TOSHIBA"),
    ("KIOXIA", "KIOXIA"),
    ("KCD", "KIOXIA"),
    ("KCM", "KIOXIA"),
    ("KINGSTON", "KINGSTON"),
    ("SK HYNIX", "SK HYNIX"),
    ("HFS", "SK HYNIX"),
)


@lru_cache(maxsize=1024)  # drive models repeat across a fleet; a handful per bundle
def vendor_from_model(model: str | None) -> str:
    """The maker named by a drive model's prefix ("MTFDDAV240TDU" -> "MICRON"), or ""."""
    value = normalise_text(model)
    for prefix, vendor in _MODEL_PREFIX_VENDORS:
        if value.startswith(prefix) and (len(prefix) > 2 or value[len(prefix) : len(prefix) + 1].isdigit()):
            return vendor
    return ""
