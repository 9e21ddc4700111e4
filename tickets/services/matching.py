"""Which registry objects a ticket is about (DESIGN.md, Tickets).

Two kinds of evidence:
- explicit references from the source: fields naming serials, asset tags, hostnames or
  project names (the push shape's `references`, a connector's mapped fields);
- the ticket's title and description, cut into whole tokens: a serial inside a sentence
  matches, a serial inside a longer token ("S4EX01-rev2") does not.

Tokens are normalised the way the registry normalised what it stores (registry.normalisation)
and looked up with a few indexed IN queries, so the cost depends on the ticket's length, not
on the size of the fleet. Placeholder serials never match. A token that names more than one
object (two servers sharing a hostname, one serial on two parts) is recorded as a candidate
for an operator, not linked.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q

from registry.models import Asset, Component, Project
from registry.normalisation import normalise_text
from registry.services.identity import IdentityRules, identity_rules
from tickets.choices import LinkOrigin, LinkTarget

# A token: letters and digits, with dots, dashes and underscores inside (hostnames, serials
# such as "S4EX-7NY0"); trailing sentence punctuation is not part of it.
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
MAX_TOKENS = 2000  # a pasted log in a description must not turn into a huge IN list
MAX_PREFIX_LOOKUPS = 200
MIN_SERIAL_LENGTH = 4
MIN_HOSTNAME_LENGTH = 3


@dataclass(frozen=True)
class References:
    """What the source itself says the ticket is about."""

    serials: Sequence[str] = ()
    asset_tags: Sequence[str] = ()
    hostnames: Sequence[str] = ()
    projects: Sequence[str] = ()

    def is_empty(self) -> bool:
        return not (self.serials or self.asset_tags or self.hostnames or self.projects)


@dataclass(frozen=True)
class Target:
    kind: str  # LinkTarget
    pk: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk}"


@dataclass(frozen=True)
class Found:
    target: Target
    origin: str  # LinkOrigin.EXPLICIT or MATCHED
    text: str


@dataclass
class MatchResult:
    links: list[Found] = field(default_factory=list)
    candidates: list[dict[str, object]] = field(default_factory=list)


def tokens(text: str) -> list[str]:
    """Whole tokens of a text, in order of first appearance, without repeats."""
    seen: dict[str, None] = {}
    for match in _TOKEN.finditer(text or ""):
        seen.setdefault(match.group(0), None)
        if len(seen) >= MAX_TOKENS:
            break
    return list(seen)


def _serial_key(raw: str, rules: IdentityRules, *, free_text: bool) -> str:
    """The normalised serial or asset tag a token could be, or "" when it cannot be one.
    Free text also needs a digit and some length, so words ("FAILED") never look up."""
    value = normalise_text(raw)
    if not value or rules.placeholders.is_placeholder(value):
        return ""
    if free_text and (len(value) < MIN_SERIAL_LENGTH or not any(ch.isdigit() for ch in value)):
        return ""
    return value


def _hostname_key(raw: str, *, free_text: bool) -> str:
    value = raw.strip().strip(".").lower()
    if len(value) < MIN_HOSTNAME_LENGTH or not any(ch.isalpha() for ch in value) or " " in value:
        return ""
    # In prose a hostname carries a digit, a dash or a dot: "node-17", "db3", "web.example.com";
    # plain words ("backup", "memory") are not looked up as hostnames.
    if free_text and not any(ch.isdigit() or ch in "-." for ch in value):
        return ""
    return value


def match_ticket(
    title: str, description: str, references: References | None = None, *, rules: IdentityRules | None = None
) -> MatchResult:
    rules = rules or identity_rules()
    references = references or References()
    result = MatchResult()
    linked: set[Target] = set()

    def record(found_by_text: dict[str, set[Target]], kind: str, origin: str) -> None:
        for text, targets in found_by_text.items():
            if len(targets) == 1:
                target = next(iter(targets))
                if target not in linked:
                    linked.add(target)
                    result.links.append(Found(target, origin, text))
            elif targets or origin == LinkOrigin.EXPLICIT:
                # Ambiguous, or named by the source but unknown to the registry: for an operator.
                result.candidates.append(
                    {
                        "text": text,
                        "kind": kind,
                        "origin": str(origin),
                        "targets": sorted(t.key for t in targets),
                    }
                )

    # Explicit references first: they win over what the text suggests.
    explicit_serials = _lookup_serials(
        {s: _serial_key(s, rules, free_text=False) for s in references.serials}, asset_tags=False
    )
    explicit_tags = _lookup_asset_tags({s: _serial_key(s, rules, free_text=False) for s in references.asset_tags})
    explicit_hosts = _lookup_hostnames({h: _hostname_key(h, free_text=False) for h in references.hostnames})
    explicit_projects = _lookup_projects(references.projects)
    for found, kind in (
        (explicit_serials, "serial"),
        (explicit_tags, "asset_tag"),
        (explicit_hosts, "hostname"),
        (explicit_projects, "project"),
    ):
        record(found, kind, LinkOrigin.EXPLICIT)

    words = tokens(f"{title}\n{description}")
    by_serial = _hits(_lookup_serials({w: _serial_key(w, rules, free_text=True) for w in words}, asset_tags=True))
    by_host = _hits(_lookup_hostnames({w: _hostname_key(w, free_text=True) for w in words}))
    # A token that is a serial of one object and the hostname of another is ambiguous too.
    merged: dict[str, set[Target]] = defaultdict(set)
    for found in (by_serial, by_host):
        for text, targets in found.items():
            merged[text] |= targets
    record({t: targets for t, targets in merged.items() if t in by_serial}, "serial", LinkOrigin.MATCHED)
    record({t: targets for t, targets in merged.items() if t not in by_serial}, "hostname", LinkOrigin.MATCHED)
    return result


def _hits(found: dict[str, set[Target]]) -> dict[str, set[Target]]:
    return {text: targets for text, targets in found.items() if targets}


def _invert(keys: dict[str, str]) -> dict[str, list[str]]:
    """normalised key -> the texts that gave it."""
    inverted: dict[str, list[str]] = defaultdict(list)
    for text, key in keys.items():
        if key:
            inverted[key].append(text)
    return inverted


def _lookup_serials(keys: dict[str, str], *, asset_tags: bool) -> dict[str, set[Target]]:
    """Assets by serial (and by asset tag, for free text) and components by serial, for every
    text with a usable key (an empty set: nothing has it). A server's own serial wins over a
    part that carries the same serial (boards often repeat the system serial)."""
    by_key = _invert(keys)
    if not by_key:
        return {}
    values = list(by_key)
    asset_filter = Q(vendor_serial__in=values) | Q(asset_tag__in=values) if asset_tags else Q(vendor_serial__in=values)
    asset_hits: dict[str, set[Target]] = defaultdict(set)
    for pk, serial, tag in (
        Asset.objects.filter(asset_filter).order_by().values_list("pk", "vendor_serial", "asset_tag")
    ):
        # The collation compares case-insensitively; compare the same way here.
        for key in (normalise_text(serial), normalise_text(tag)):
            if key in by_key:
                asset_hits[key].add(Target(LinkTarget.ASSET, pk))
    component_hits: dict[str, set[Target]] = defaultdict(set)
    for pk, serial in Component.objects.filter(serial__in=values).order_by().values_list("pk", "serial"):
        component_hits[normalise_text(serial)].add(Target(LinkTarget.COMPONENT, pk))
    return {
        text: set(asset_hits.get(key) or component_hits.get(key) or ())
        for key, texts in by_key.items()
        for text in texts
    }


def _lookup_asset_tags(keys: dict[str, str]) -> dict[str, set[Target]]:
    by_key = _invert(keys)
    hits: dict[str, set[Target]] = defaultdict(set)
    for pk, tag in Asset.objects.filter(asset_tag__in=list(by_key)).order_by().values_list("pk", "asset_tag"):
        hits[normalise_text(tag)].add(Target(LinkTarget.ASSET, pk))
    return {text: set(hits.get(key, ())) for key, texts in by_key.items() for text in texts}


def _lookup_hostnames(keys: dict[str, str]) -> dict[str, set[Target]]:
    """Exact hostnames; a short name also finds an FQDN ("node-17" finds
    "node-17.dc1.example.com", an index range scan), and an FQDN finds a server registered
    under its short name."""
    by_key = _invert(keys)
    if not by_key:
        return {}
    exact = set(by_key)
    short_of: dict[str, list[str]] = defaultdict(list)  # first label -> FQDN keys
    for key in by_key:
        if "." in key:
            short_of[key.split(".", 1)[0]].append(key)
    # Each short name is one index range scan; a pasted log must not make hundreds of them.
    prefixes = [key for key in by_key if "." not in key][:MAX_PREFIX_LOOKUPS]
    condition = Q(hostname__in=sorted(exact | set(short_of)))
    for prefix in prefixes:
        condition |= Q(hostname__startswith=f"{prefix}.")
    hits: dict[str, set[Target]] = defaultdict(set)
    for pk, stored in Asset.objects.filter(condition).exclude(hostname="").order_by().values_list("pk", "hostname"):
        hostname = stored.lower()
        target = Target(LinkTarget.ASSET, pk)
        if hostname in exact:
            hits[hostname].add(target)
        for fqdn in short_of.get(hostname, ()):
            hits[fqdn].add(target)
        short = hostname.split(".", 1)[0]
        if "." in hostname and short in exact:
            hits[short].add(target)
    return {text: set(hits.get(key, ())) for key, texts in by_key.items() for text in texts}


def _lookup_projects(names: Iterable[str]) -> dict[str, set[Target]]:
    wanted = {name.strip(): name.strip().lower() for name in names if name and name.strip()}
    if not wanted:
        return {}
    found: dict[str, set[Target]] = {text: set() for text in wanted}
    query = Q()
    for text in wanted:
        query |= Q(name__iexact=text)
    for pk, name in Project.objects.filter(query).order_by().values_list("pk", "name"):
        for text, lowered in wanted.items():
            if name.lower() == lowered:
                found[text].add(Target(LinkTarget.PROJECT, pk))
    return found
