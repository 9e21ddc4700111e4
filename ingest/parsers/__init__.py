"""From bundle bytes to one merged inventory: which parser reads which member, and how the
answers of several tools about one server become one asset and one list of parts.

`inspect_bundle` is pure (no models, no database): the ingest services call it and turn the
answer into observations. The rules it enforces are DESIGN.md's "Time" and "Identity":
a bundle without a collection time or without any asset identity is refused, never guessed.

Per-format modules are found by name at call time, so a new format is one new module plus one
entry in `FILE_PARSERS` (and importing this package never imports them, which keeps the
`ingest.archive` <-> `ingest.parsers.base` import order free of cycles).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from ingest import archive
from ingest.parsers import inventory, manifest
from ingest.parsers.base import AssetRecord, ComponentRecord, ParserError, ParseResult
from ingest.parsers.manifest import Manifest
from registry.normalisation import (
    PlaceholderMatcher,
    normalise_serial,
    normalise_text,
    normalise_uuid,
    normalise_vendor,
)

if TYPE_CHECKING:
    from ingest.archive import ArchiveLimits

# Per-file parsers, most specific first; the first whose sniff() says yes reads the member.
# Self-describing JSON (a "format" key, smartctl's "smartctl" block) comes before shapes that
# are recognised by structure, and free text (FRU, lspci, dmidecode) comes last.
FILE_PARSERS: tuple[str, ...] = ("inventory", "smartctl", "nvme", "lshw", "ipmitool_fru", "lspci", "dmidecode")
REDFISH = "redfish"

DRIVE_CLASSES = frozenset({"SSD", "HDD", "NVME"})
DRIVE_FAMILY = "drive"

# Which tool to believe, per field, when tools disagree (best first). A tool that is not listed
# for a family ranks after the listed ones, in FALLBACK_PRIORITY order.
SOURCE_PRIORITY: dict[str, tuple[str, ...]] = {
    # smartctl and nvme talk to the drive itself; lshw guesses SSD/HDD from the kernel
    DRIVE_FAMILY: ("smartctl", "nvme", "inventory", "redfish", "lshw", "dmidecode"),
    # SMBIOS tables are written by the board firmware that trains the DIMMs and CPUs
    "DIMM": ("inventory", "dmidecode", "redfish", "lshw"),
    "CPU": ("inventory", "dmidecode", "redfish", "lshw"),
    # the PSU's own FRU EEPROM beats anything relayed
    "PSU": ("ipmitool_fru", "redfish", "dmidecode", "inventory"),
    "NIC": ("redfish", "lshw", "lspci"),
    "GPU": ("redfish", "lshw", "lspci"),
    "RAID": ("redfish", "lshw", "lspci"),
}
FALLBACK_PRIORITY: tuple[str, ...] = (
    "inventory",
    "redfish",
    "dmidecode",
    "lshw",
    "ipmitool_fru",
    "smartctl",
    "nvme",
    "lspci",
)
ASSET_PRIORITY: tuple[str, ...] = ("inventory", "dmidecode", "redfish", "lshw", "ipmitool_fru")

# Tool clocks further apart than this from the chosen collection time are worth a warning.
_CLOCK_DISAGREEMENT = timedelta(days=1)
# Words tools print where they have no value; they never beat a real value from another tool.
_UNSET_WORDS = frozenset(
    {"NOT SPECIFIED", "UNKNOWN", "N/A", "NA", "NONE", "NULL", "TO BE FILLED BY O.E.M.", "DEFAULT STRING", "-"}
)
_IDENTITY_FIELDS = ("serial", "uuid", "asset_tag")
_Input = TypeVar("_Input")  # what a parser reads: a member's bytes, or a document decoded already


class MemberOutcome(NamedTuple):
    path: str
    parser: str | None  # None: no parser recognised the member
    error: str | None  # the ParserError code when the parser refused it


@dataclass
class BundleInventory:
    container: str  # "tar.gz" | "tar" | "zip" | "json"
    manifest: Manifest | None
    collected_at: datetime  # UTC-aware
    hostname: str
    asset: AssetRecord  # merged; `source` names every contributor, best first, joined by "+"
    components: list[ComponentRecord]  # merged; `source` as for the asset
    results: list[ParseResult] = field(default_factory=list)
    member_outcomes: list[MemberOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def inspect_bundle(
    raw: bytes,
    *,
    limits: ArchiveLimits,
    now: datetime,
    placeholders: PlaceholderMatcher | None = None,
    vendor_aliases: dict[str, str] | None = None,
    max_future_skew: timedelta = timedelta(days=1),
) -> BundleInventory:
    """Read, recognise, parse and merge one bundle. Raises only ParserError (BundleError for
    bundle-level refusals); one member that fails to parse is a warning, not a refusal."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    placeholders = placeholders if placeholders is not None else PlaceholderMatcher.default()
    opened = archive.open_bundle(raw, limits=limits)
    scan = _scan_members(opened.members, opened.decoded)
    if not scan.results:
        raise _nothing_usable(scan)

    collected_at = _collection_time(scan.manifest, scan.results)
    if collected_at > now + max_future_skew:
        raise archive.BundleError(
            "collected_at_in_future",
            f"collected_at {collected_at.isoformat()} is later than now ({now.isoformat()}) plus {max_future_skew}; "
            "check the server's clock",
        )
    scan.warnings.extend(_clock_warnings(collected_at, scan.results))

    norm = _Normaliser(placeholders, vendor_aliases)
    asset = _merge_asset([result.asset for result in scan.results], norm)
    if scan.manifest is not None:
        asset = _apply_manifest_hints(asset, scan.manifest.asset, norm)
    hostname = (scan.manifest.hostname if scan.manifest is not None else "") or asset.hostname
    asset = replace(asset, hostname=hostname)
    if not any(norm.usable(name, getattr(asset, name)) for name in _IDENTITY_FIELDS):
        raise archive.BundleError(
            "no_asset_identity",
            "no usable system serial, system UUID or asset tag in any tool output or manifest hint",
        )

    components, merge_warnings = _merge_components(scan.results, norm)
    return BundleInventory(
        container=opened.container,
        manifest=scan.manifest,
        collected_at=collected_at,
        hostname=hostname,
        asset=asset,
        components=components,
        results=scan.results,
        member_outcomes=scan.outcomes,
        warnings=scan.warnings + merge_warnings + _result_warnings(scan.results),
    )


# --- recognising and parsing members --------------------------------------------------------


@dataclass
class _Scan:
    manifest: Manifest | None = None
    results: list[ParseResult] = field(default_factory=list)
    outcomes: list[MemberOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[tuple[str, ParserError]] = field(default_factory=list)


def _scan_members(members: Mapping[str, bytes], decoded: Mapping[str, Any]) -> _Scan:
    """Who reads each member: our own inventory format (the most specific of all), the
    manifest reader, the Redfish tree, or the first per-file parser that recognises it."""
    scan = _Scan()
    # an inventory is recognised before the loop below would ask it again
    file_parsers = [parser for parser in _available_parsers() if parser is not inventory]
    redfish = _load_parser(REDFISH)
    manifests: list[str] = []
    redfish_members: dict[str, bytes] = {}
    for path in sorted(members):
        data = members[path]
        document = inventory.recognise(data, decoded=decoded.get(path))
        if document is not None:
            _run_parser(scan, path, inventory.NAME, inventory.parse_document, document)
        elif manifest.sniff(path, data):
            manifests.append(path)
        elif redfish is not None and redfish.sniff(path, data):
            redfish_members[path] = data
        else:
            _parse_member(scan, path, data, file_parsers)
    _read_manifest(scan, manifests, members)
    if redfish is not None and redfish_members:
        _parse_redfish(scan, redfish, redfish_members)
    scan.outcomes.sort(key=lambda outcome: outcome.path)
    return scan


def _parse_member(scan: _Scan, path: str, data: bytes, parsers: Iterable[ModuleType]) -> None:
    parser = next((p for p in parsers if p.sniff(path, data)), None)
    if parser is None:
        scan.outcomes.append(MemberOutcome(path, None, None))
        return
    _run_parser(scan, path, parser.NAME, parser.parse, data)


def _run_parser(scan: _Scan, path: str, name: str, parse: Callable[[str, _Input], ParseResult], given: _Input) -> None:
    try:
        result = parse(path, given)
    except ParserError as exc:
        _record_failure(scan, [path], name, exc)
        return
    scan.results.append(_with_members(result, [path]))
    scan.outcomes.append(MemberOutcome(path, name, None))


def _parse_redfish(scan: _Scan, redfish: ModuleType, members: dict[str, bytes]) -> None:
    """A Redfish dump is a tree of resources that refer to each other: one parse for all."""
    paths = sorted(members)
    try:
        result = redfish.parse_tree(members)
    except ParserError as exc:
        _record_failure(scan, paths, redfish.NAME, exc)
        return
    scan.results.append(_with_members(result, paths))
    scan.outcomes.extend(MemberOutcome(path, redfish.NAME, None) for path in paths)


def _read_manifest(scan: _Scan, paths: list[str], members: Mapping[str, bytes]) -> None:
    """The manifest nearest the archive root counts. A manifest that is there but broken fails
    the bundle: it is the bundle's own statement of time and identity, and silently falling
    back to tool clocks would be the guess DESIGN.md forbids."""
    if not paths:
        return
    chosen, *extra = sorted(paths, key=lambda path: (path.count("/"), path))
    try:
        scan.manifest = manifest.parse(chosen, members[chosen])
    except ParserError as exc:
        raise archive.BundleError(exc.code, exc.message) from None
    scan.outcomes.append(MemberOutcome(chosen, manifest.NAME, None))
    for path in extra:
        scan.outcomes.append(MemberOutcome(path, manifest.NAME, "duplicate_manifest"))
        scan.warnings.append(f"{path}: a second manifest; {chosen} was used")


def _record_failure(scan: _Scan, paths: list[str], parser: str, exc: ParserError) -> None:
    scan.failures.append((paths[0], exc))
    scan.outcomes.extend(MemberOutcome(path, parser, exc.code) for path in paths)
    where = paths[0] if len(paths) == 1 else f"{len(paths)} {parser} members"
    scan.warnings.append(f"{where}: {parser} could not parse it ({exc.code}): {exc.message}")


def _with_members(result: ParseResult, paths: list[str]) -> ParseResult:
    return result if result.members else replace(result, members=list(paths))


def _nothing_usable(scan: _Scan) -> archive.BundleError:
    if scan.failures:
        # every recognised member failed: the first failure is the most useful answer
        path, exc = scan.failures[0]
        # parsers that know the member name already lead their message with it
        where = "" if exc.message.startswith(f"{path}:") else f"{path}: "
        return archive.BundleError(exc.code, f"no member could be parsed; {where}{exc.message}")
    unrecognised = sorted(o.path for o in scan.outcomes if o.parser is None)
    listed = ", ".join(unrecognised[:10]) + (", ..." if len(unrecognised) > 10 else "")
    what = f"{len(unrecognised)} unrecognised member(s): {listed}" if unrecognised else "nothing else"
    if scan.manifest is not None:
        # a manifest says nothing about the hardware; accepting it alone would record an empty server
        what = f"only a manifest and {what}"
    return archive.BundleError("unknown_format", f"no member is a recognised tool output or inventory ({what})")


def _available_parsers() -> list[ModuleType]:
    loaded = (_load_parser(name) for name in FILE_PARSERS)
    return [module for module in loaded if module is not None]


def _load_parser(name: str) -> ModuleType | None:
    """The parser module, or None when it is not installed. Errors inside a module that does
    exist are not hidden."""
    qualified = f"{__name__}.{name}"
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:
            return None
        raise


def _result_warnings(results: Iterable[ParseResult]) -> list[str]:
    return [f"{result.parser}: {warning}" for result in results for warning in result.warnings]


# --- collection time ----------------------------------------------------------------------


def _collection_time(found_manifest: Manifest | None, results: list[ParseResult]) -> datetime:
    """Manifest first, then the inventory document, then the latest tool clock."""
    if found_manifest is not None:
        return found_manifest.collected_at
    zoned = [r for r in results if r.collected_at is not None and r.collected_at.tzinfo is not None]
    inventory_times = [r.collected_at for r in zoned if r.parser == inventory.NAME and r.collected_at]
    tool_times = [r.collected_at for r in zoned if r.collected_at]
    if inventory_times or tool_times:
        return max(inventory_times or tool_times)
    raise archive.BundleError(
        "no_collected_at",
        "no collection time: the bundle has no manifest collected_at, no inventory collected_at, "
        "and no tool output that records a time",
    )


def _clock_warnings(collected_at: datetime, results: Iterable[ParseResult]) -> list[str]:
    """One line per tool whose clock disagrees with the bundle's time: a wrong BMC or host
    clock is worth knowing, but sixteen smartctl files need not say it sixteen times."""
    naive: dict[str, int] = {}
    off: dict[str, list[datetime]] = {}
    for result in results:
        if result.collected_at is None:
            continue
        if result.collected_at.tzinfo is None:
            naive[result.parser] = naive.get(result.parser, 0) + 1
        elif abs(result.collected_at - collected_at) > _CLOCK_DISAGREEMENT:
            off.setdefault(result.parser, []).append(result.collected_at)
    warnings = [f"{parser}: {count} output(s) carry a time without a zone; ignored" for parser, count in naive.items()]
    warnings.extend(
        f"{parser}: {len(times)} output(s) carry a clock more than {_CLOCK_DISAGREEMENT} away from "
        f"collected_at {collected_at.isoformat()} (e.g. {min(times).isoformat()})"
        for parser, times in off.items()
    )
    return warnings


# --- normalised comparison ----------------------------------------------------------------


class _Normaliser:
    """Normalises a field by its meaning, so "better source" and "conflict" use one rule."""

    def __init__(self, placeholders: PlaceholderMatcher, vendor_aliases: dict[str, str] | None) -> None:
        self._placeholders = placeholders
        self._vendor_aliases = vendor_aliases
        # Grouping, ranking, warnings and sorting each ask for the same values' keys: one
        # bundle's answers are kept for as long as the bundle is merged.
        self._keys: dict[tuple[str, str], str] = {}

    def key(self, field_name: str, raw: str) -> str:
        try:
            return self._keys[field_name, raw]
        except KeyError:
            key = self._keys[field_name, raw] = self._normalised(field_name, raw)
            return key

    def _normalised(self, field_name: str, raw: str) -> str:
        if field_name in ("serial", "asset_tag"):
            return normalise_serial(raw, self._placeholders)
        if field_name == "uuid":
            return normalise_uuid(raw)
        if field_name == "vendor":
            return normalise_vendor(raw, self._vendor_aliases)
        text = normalise_text(raw)
        return "" if text in _UNSET_WORDS else text

    def usable(self, field_name: str, raw: str) -> bool:
        return bool(self.key(field_name, raw))

    def serial(self, raw: str) -> str:
        return self.key("serial", raw)


def _rank(source: str, preferred: tuple[str, ...]) -> tuple[int, int]:
    if source in preferred:
        return (0, preferred.index(source))
    if source in FALLBACK_PRIORITY:
        return (1, FALLBACK_PRIORITY.index(source))
    return (2, 0)


_Sourced = TypeVar("_Sourced", AssetRecord, ComponentRecord)


def _by_priority(items: Iterable[_Sourced], preferred: tuple[str, ...]) -> list[_Sourced]:
    return sorted(items, key=lambda item: _rank(item.source, preferred))  # stable: ties keep order


def _first_usable(ranked: Iterable[_Sourced], field_name: str, norm: _Normaliser) -> tuple[str, str]:
    """(value, source) of the best-ranked usable value of the field; else the first raw
    non-empty one, so that a placeholder such as "Not Specified" stays visible; else ("", "")."""
    candidates = [(getattr(record, field_name), record.source) for record in ranked]
    if len(candidates) == 1:
        # alone, a value wins whether it is usable or a placeholder left visible (a usable
        # value is never blank), so most parts, seen by one tool, need no normalisation here
        value, source = candidates[0]
        return (value, source) if value.strip() else ("", "")
    for value, source in candidates:
        if norm.key(field_name, value):
            return value, source
    for value, source in candidates:
        if value.strip():
            return value, source
    return "", ""


def _merge_dicts(dicts: Iterable[Mapping[str, object]]) -> dict[str, object]:
    """Key by key, the first (best-ranked) dict that has a value for the key wins."""
    merged: dict[str, object] = {}
    for mapping in dicts:
        for key, value in mapping.items():
            if key not in merged and value is not None and value != "":
                merged[key] = value
    return merged


def _joined_sources(sources: Iterable[str]) -> str:
    return "+".join(dict.fromkeys(source for source in sources if source))


# --- asset --------------------------------------------------------------------------------

_ASSET_TEXT_FIELDS = ("vendor", "model", "serial", "uuid", "asset_tag", "hostname")


def _merge_asset(records: Iterable[AssetRecord], norm: _Normaliser) -> AssetRecord:
    ranked = _by_priority(records, ASSET_PRIORITY)
    values: dict[str, str] = {}
    contributors = {record.source for record in ranked if record.firmware}
    for name in _ASSET_TEXT_FIELDS:
        values[name], source = _first_usable(ranked, name, norm)
        contributors.add(source)
    firmware = _merge_dicts(record.firmware for record in ranked)
    return AssetRecord(
        source=_joined_sources(r.source for r in ranked if r.source in contributors),
        firmware={key: str(value) for key, value in firmware.items()},
        **values,
    )


def _apply_manifest_hints(asset: AssetRecord, hints: AssetRecord, norm: _Normaliser) -> AssetRecord:
    """Hints fill what the tools left empty; a hint that contradicts the tools is refused,
    because binding this bundle to the wrong server would corrupt two histories."""
    for name in _IDENTITY_FIELDS:
        tool_value, hint_value = getattr(asset, name), getattr(hints, name)
        tool_key, hint_key = norm.key(name, tool_value), norm.key(name, hint_value)
        if tool_key and hint_key and tool_key != hint_key:
            raise archive.BundleError(
                "asset_identity_conflict",
                f"the manifest says {name} {hint_value!r} but the tool outputs ({asset.source}) say {tool_value!r}",
            )
    filled = {
        name: getattr(hints, name)
        for name in ("vendor", "model", *_IDENTITY_FIELDS)
        if not norm.usable(name, getattr(asset, name)) and norm.usable(name, getattr(hints, name))
    }
    if not filled:
        return asset
    return replace(asset, source=_joined_sources([*asset.source.split("+"), hints.source or "manifest"]), **filled)


# --- components ---------------------------------------------------------------------------


def class_family(component_class: str) -> str:
    """SSD, HDD and NVME are one family: lshw cannot always tell an SSD from a spinning disk."""
    return DRIVE_FAMILY if component_class in DRIVE_CLASSES else component_class


@dataclass
class _Part:
    """The records that several tools wrote about one physical part."""

    family: str
    serial: str  # normalised; "" for an anonymous part
    records: list[ComponentRecord] = field(default_factory=list)

    def has_source(self, source: str) -> bool:
        return any(record.source == source for record in self.records)

    def has_slot(self, slot: str) -> bool:
        return any(normalise_text(record.slot) == slot for record in self.records)

    def has_vendor(self, vendor: str, norm: _Normaliser) -> bool:
        return any(norm.key("vendor", record.vendor) == vendor for record in self.records)


def merge_components(
    results: Iterable[ParseResult],
    *,
    placeholders: PlaceholderMatcher | None = None,
    vendor_aliases: dict[str, str] | None = None,
) -> tuple[list[ComponentRecord], list[str]]:
    """One record per physical part, and warnings about disagreements found on the way."""
    return _merge_components(results, _Normaliser(placeholders or PlaceholderMatcher.default(), vendor_aliases))


def merge_asset(
    records: Iterable[AssetRecord],
    *,
    placeholders: PlaceholderMatcher | None = None,
    vendor_aliases: dict[str, str] | None = None,
) -> AssetRecord:
    """The server as the best source for each field describes it (manifest hints not applied)."""
    return _merge_asset(records, _Normaliser(placeholders or PlaceholderMatcher.default(), vendor_aliases))


def _merge_components(results: Iterable[ParseResult], norm: _Normaliser) -> tuple[list[ComponentRecord], list[str]]:
    records = [
        record if record.source else replace(record, source=result.parser)
        for result in results
        for record in result.components
    ]
    parts = _group_by_serial(records, norm)
    parts.extend(_group_anonymous([r for r in records if not norm.serial(r.serial)], parts))
    warnings = _part_warnings(parts, norm)
    merged = [_merge_part(part, norm) for part in parts]
    merged.sort(key=lambda r: (class_family(r.component_class), normalise_text(r.slot), norm.serial(r.serial)))
    return merged, warnings


def _group_by_serial(records: Iterable[ComponentRecord], norm: _Normaliser) -> list[_Part]:
    by_key: dict[tuple[str, str], list[_Part]] = {}
    for record in records:
        serial = norm.serial(record.serial)
        if not serial:
            continue
        family = class_family(record.component_class)
        same_serial = by_key.setdefault((family, serial), [])
        home = _serial_home(same_serial, record, norm)
        if home is None:
            home = _Part(family, serial)
            same_serial.append(home)
        home.records.append(record)
    return [part for parts in by_key.values() for part in parts]


def _serial_home(parts: list[_Part], record: ComponentRecord, norm: _Normaliser) -> _Part | None:
    """Which part with this serial the record describes. One tool lists each part once, so the
    same serial twice from one tool in two slots is two parts (short DIMM serials collide
    across vendors); another tool's record joins the part in its slot, else the part of its
    vendor, else the first one still free."""
    if not parts:
        return None  # the serial's first record: most records of a bundle
    slot = normalise_text(record.slot)
    for part in parts:
        own_slots = {normalise_text(r.slot) for r in part.records if r.source == record.source}
        if own_slots and (not slot or slot in own_slots or "" in own_slots):
            return part  # the same tool repeating itself: a duplicate listing, not a second part
    free = [part for part in parts if not part.has_source(record.source)]
    vendor = norm.key("vendor", record.vendor)
    return (
        next((p for p in free if slot and p.has_slot(slot)), None)
        or next((p for p in free if vendor and p.has_vendor(vendor, norm)), None)
        or next(iter(free), None)
    )


def _group_anonymous(records: Iterable[ComponentRecord], known: list[_Part]) -> list[_Part]:
    """A part without a serial can only be matched by where it sits: same family, same slot,
    seen by another tool. It joins a serialised part in that slot when exactly one fits."""
    anonymous: list[_Part] = []
    for record in records:
        slot = normalise_text(record.slot)
        family = class_family(record.component_class)
        home = _slot_match(known, family, slot, record.source, require_unique=True) or _slot_match(
            anonymous, family, slot, record.source, require_unique=False
        )
        if home is None:
            home = _Part(family, "")
            anonymous.append(home)
        home.records.append(record)
    return anonymous


def _slot_match(parts: list[_Part], family: str, slot: str, source: str, *, require_unique: bool) -> _Part | None:
    if not slot:
        return None
    fits = [p for p in parts if p.family == family and p.has_slot(slot) and not p.has_source(source)]
    if not fits or (require_unique and len(fits) > 1):
        return None
    return fits[0]


def _merge_part(part: _Part, norm: _Normaliser) -> ComponentRecord:
    if len(part.records) == 1:
        return _lone_part(part.records[0], part.family)
    preferred = SOURCE_PRIORITY.get(part.family, FALLBACK_PRIORITY)
    ranked = _by_priority(part.records, preferred)

    def best(name: str) -> str:
        return _first_usable(ranked, name, norm)[0]

    return ComponentRecord(
        component_class=next((r.component_class for r in ranked if r.component_class), part.family),
        source=_joined_sources(r.source for r in ranked),
        slot=best("slot"),
        vendor=best("vendor"),
        model=best("model"),
        serial=best("serial"),
        firmware=best("firmware"),
        specs=_merge_dicts(r.specs for r in ranked),
        health=_merge_dicts(r.health for r in ranked),
    )


def _lone_part(record: ComponentRecord, family: str) -> ComponentRecord:
    """_merge_part of a part that one tool saw (most parts), without ranking or normalising:
    as in _first_usable, a lone value wins whether usable or a placeholder left visible."""
    return ComponentRecord(
        component_class=record.component_class or family,
        source=_joined_sources((record.source,)),
        slot=record.slot if record.slot.strip() else "",
        vendor=record.vendor if record.vendor.strip() else "",
        model=record.model if record.model.strip() else "",
        serial=record.serial if record.serial.strip() else "",
        firmware=record.firmware if record.firmware.strip() else "",
        specs=_merge_dicts((record.specs,)),
        health=_merge_dicts((record.health,)),
    )


def _part_warnings(parts: list[_Part], norm: _Normaliser) -> list[str]:
    warnings = []
    twins: dict[tuple[str, str], list[_Part]] = {}
    for part in parts:
        if part.serial:
            twins.setdefault((part.family, part.serial), []).append(part)
    for (family, serial), same in twins.items():
        if len(same) > 1:
            slots = ", ".join(repr(p.records[0].slot) for p in same)
            warnings.append(
                f"{family} serial {serial} is reported in {len(same)} places ({slots}); kept as separate parts"
            )
    for part in parts:
        if not part.serial or len(part.records) < 2:
            continue  # one record cannot disagree with itself
        vendors = {norm.key("vendor", r.vendor): r.vendor for r in part.records if norm.usable("vendor", r.vendor)}
        if len(vendors) > 1:
            listed = ", ".join(sorted(vendors.values()))
            warnings.append(f"{part.family} serial {part.serial}: tools disagree on the vendor ({listed})")
    return warnings
