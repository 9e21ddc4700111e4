"""LOT assignment: the first enabled LotRule (priority, id) matching a component wins."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from registry.models import Component, LotRule


@dataclass(frozen=True)
class CompiledRule:
    rule_id: int
    lot_id: int
    component_class: str
    vendor: str
    pattern: re.Pattern[str] | None
    capacity_min: int | None
    capacity_max: int | None

    def matches(self, *, component_class: str, vendor: str, model: str, capacity: int | None) -> bool:
        if component_class != self.component_class:
            return False
        if self.vendor and vendor != self.vendor:
            return False
        if self.pattern is not None and not self.pattern.search(model or ""):
            return False
        if self.capacity_min is not None or self.capacity_max is not None:
            if capacity is None:
                return False
            if self.capacity_min is not None and capacity < self.capacity_min:
                return False
            if self.capacity_max is not None and capacity > self.capacity_max:
                return False
        return True


def load_lot_rules() -> list[CompiledRule]:
    """Every enabled rule, compiled, in evaluation order (one query)."""
    rules = []
    for rule in LotRule.objects.filter(enabled=True).order_by("priority", "id"):
        rules.append(
            CompiledRule(
                rule_id=rule.id,
                lot_id=rule.lot_id,
                component_class=rule.component_class,
                vendor=rule.vendor.strip().upper(),
                pattern=re.compile(rule.model_pattern, re.IGNORECASE) if rule.model_pattern else None,
                capacity_min=rule.capacity_min_bytes,
                capacity_max=rule.capacity_max_bytes,
            )
        )
    return rules


def _capacity(specs: dict | None) -> int | None:
    value = (specs or {}).get("capacity_bytes")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def match_lot(
    rules: Sequence[CompiledRule], *, component_class: str, vendor: str, model: str, specs: dict | None
) -> int | None:
    """The LOT id for a part with these attributes, or None when no rule matches."""
    capacity = _capacity(specs)
    for rule in rules:
        if rule.matches(component_class=component_class, vendor=vendor, model=model, capacity=capacity):
            return rule.lot_id
    return None


def assign_lot(component: Component, *, rules: Sequence[CompiledRule] | None = None) -> bool:
    """Set component.lot from the rules; True when it changed. Does not save."""
    lot_id = match_lot(
        rules if rules is not None else load_lot_rules(),
        component_class=component.component_class,
        vendor=component.vendor,
        model=component.model,
        specs=component.specs,
    )
    if lot_id == component.lot_id:
        return False
    component.lot_id = lot_id
    return True


def reapply_lot_rules(components: QuerySet[Component] | Iterable[Component] | None = None, *, batch: int = 2000) -> int:
    """Re-evaluate LOTs (after rules changed) for the given components, or all of them.
    Works in id-ordered batches so memory stays flat on millions of rows. Returns how many
    components changed LOT."""
    rules = load_lot_rules()
    fields = ("id", "component_class", "vendor", "model", "specs", "lot_id")
    if components is None or isinstance(components, QuerySet):
        queryset = (components if components is not None else Component.objects.all()).only(*fields).order_by("id")
        changed = 0
        last_id = 0
        while True:
            page = list(queryset.filter(id__gt=last_id)[:batch])
            if not page:
                return changed
            changed += _save_changed(page, rules)
            last_id = page[-1].id
    return _save_changed(list(components), rules)


def _save_changed(components: list[Component], rules: Sequence[CompiledRule]) -> int:
    to_update = [c for c in components if assign_lot(c, rules=rules)]
    if to_update:
        with transaction.atomic():
            Component.objects.bulk_update(to_update, ["lot"], batch_size=500)
    return len(to_update)
