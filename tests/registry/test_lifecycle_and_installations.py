"""Asset lifecycle transitions and the database-enforced installation rules."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from registry.choices import ASSET_STATUS_TRANSITIONS, AssetStatus
from registry.models import Asset
from registry.services.lifecycle import LifecycleTransitionError, change_asset_status
from tests.factories import T0, AssetFactory, ComponentFactory, InstallationFactory

pytestmark = pytest.mark.django_db

ALLOWED = sorted((a, b) for a, targets in ASSET_STATUS_TRANSITIONS.items() for b in targets)
REFUSED = [(a, b) for a in AssetStatus.values for b in AssetStatus.values if a != b and (a, b) not in ALLOWED]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transition(current: str, target: str) -> None:
    asset = AssetFactory(status=current)
    change_asset_status(asset, to=target)
    assert Asset.objects.get(pk=asset.pk).status == target


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_refused_transition(current: str, target: str) -> None:
    asset = AssetFactory(status=current)
    with pytest.raises(LifecycleTransitionError):
        change_asset_status(asset, to=target)
    assert Asset.objects.get(pk=asset.pk).status == current


def test_retired_is_final() -> None:
    assert {(a, b) for a, b in REFUSED if a == AssetStatus.RETIRED} == {
        (AssetStatus.RETIRED, s) for s in AssetStatus.values if s != AssetStatus.RETIRED
    }


def test_same_status_is_a_no_op() -> None:
    asset = AssetFactory(status=AssetStatus.RETIRED)
    assert change_asset_status(asset, to=AssetStatus.RETIRED).status == AssetStatus.RETIRED


def test_database_refuses_second_active_installation_of_a_component() -> None:
    first = InstallationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        InstallationFactory(component=first.component)


def test_closed_installations_may_repeat_for_one_component() -> None:
    component = ComponentFactory()
    InstallationFactory(component=component, removed_at=T0.replace(month=2))
    InstallationFactory(component=component, removed_at=T0.replace(month=3))
    active = InstallationFactory(component=component)
    assert active.is_active
    assert component.installations.count() == 3


def test_database_refuses_removal_before_last_seen() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        InstallationFactory(last_seen_at=T0.replace(month=5), removed_at=T0.replace(month=4))


def test_asset_without_any_identity_is_refused_by_the_database() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Asset.objects.create(vendor_serial=None, system_uuid=None, asset_tag=None)
