"""LOT assignment from LotRule rows."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from registry.choices import ComponentClass
from registry.models import Component, LotRule
from registry.services.lots import assign_lot, reapply_lot_rules
from tests.factories import ComponentFactory, LotFactory, LotRuleFactory

pytestmark = pytest.mark.django_db

TB = 1000**4


@pytest.fixture
def nvme_lots() -> dict[str, LotRule]:
    gen4_384 = LotFactory(code="SSD_NVME_03.84TB_GEN4")
    gen4_768 = LotFactory(code="SSD_NVME_07.68TB_GEN4")
    return {
        "pm9a3": LotRuleFactory(lot=gen4_384, vendor="SAMSUNG", model_pattern=r"MZQL2\dT", priority=10),
        "any384": LotRuleFactory(lot=gen4_384, capacity_min_bytes=3 * TB, capacity_max_bytes=4 * TB, priority=50),
        "any768": LotRuleFactory(lot=gen4_768, capacity_min_bytes=7 * TB, capacity_max_bytes=8 * TB, priority=50),
    }


def test_rule_matches_vendor_and_model_pattern(nvme_lots: dict[str, LotRule]) -> None:
    component = ComponentFactory.build(vendor="SAMSUNG", model="MZQL23T8HCLS", specs={})
    assert assign_lot(component) is True
    assert component.lot_id == nvme_lots["pm9a3"].lot_id


def test_capacity_range_decides_when_model_is_unknown(nvme_lots: dict[str, LotRule]) -> None:
    component = ComponentFactory.build(
        vendor="KIOXIA", model="KCD61LUL7T68", specs={"capacity_bytes": 7_680_000_000_000}
    )
    assign_lot(component)
    assert component.lot_id == nvme_lots["any768"].lot_id


def test_no_matching_rule_leaves_no_lot(nvme_lots: dict[str, LotRule]) -> None:
    component = ComponentFactory.build(vendor="KIOXIA", model="X", specs={"capacity_bytes": 15 * TB})
    assert assign_lot(component) is False
    assert component.lot_id is None


def test_rule_of_another_class_never_matches(nvme_lots: dict[str, LotRule]) -> None:
    component = ComponentFactory.build(component_class=ComponentClass.SSD, specs={"capacity_bytes": int(3.84 * TB)})
    assign_lot(component)
    assert component.lot_id is None


def test_lower_priority_number_wins(nvme_lots: dict[str, LotRule]) -> None:
    other = LotFactory(code="SPECIAL")
    LotRuleFactory(lot=other, vendor="SAMSUNG", priority=1)
    component = ComponentFactory.build(vendor="SAMSUNG", model="MZQL23T8HCLS", specs={})
    assign_lot(component)
    assert component.lot_id == other.pk


def test_disabled_rule_is_skipped(nvme_lots: dict[str, LotRule]) -> None:
    LotRule.objects.filter(pk=nvme_lots["pm9a3"].pk).update(enabled=False)
    component = ComponentFactory.build(vendor="SAMSUNG", model="MZQL23T8HCLS", specs={})
    assign_lot(component)
    assert component.lot_id is None


def test_reapply_after_rules_change_updates_only_changed_components(nvme_lots: dict[str, LotRule]) -> None:
    matching = ComponentFactory.create_batch(3, specs={"capacity_bytes": int(3.84 * TB)}, lot=None)
    unrelated = ComponentFactory(component_class=ComponentClass.PSU, specs={}, lot=None)
    assert reapply_lot_rules(batch=2) == 3
    assert {c.lot_id for c in Component.objects.filter(pk__in=[c.pk for c in matching])} == {nvme_lots["any384"].lot_id}
    unrelated.refresh_from_db()
    assert unrelated.lot_id is None
    assert reapply_lot_rules() == 0  # nothing changes the second time


def test_invalid_rule_is_refused_by_validation() -> None:
    rule = LotRuleFactory.build(
        lot=LotFactory(), model_pattern="(unclosed", capacity_min_bytes=10, capacity_max_bytes=5
    )
    with pytest.raises(ValidationError) as excinfo:
        rule.full_clean()
    assert {"model_pattern", "capacity_max_bytes"} <= set(excinfo.value.message_dict)


def test_rule_class_must_match_its_lot() -> None:
    rule = LotRuleFactory.build(lot=LotFactory(component_class=ComponentClass.NVME), component_class=ComponentClass.HDD)
    with pytest.raises(ValidationError) as excinfo:
        rule.full_clean()
    assert "component_class" in excinfo.value.message_dict
