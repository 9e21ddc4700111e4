"""Linking tickets to the registry from their text and their explicit references, on
realistic ticket texts."""

from __future__ import annotations

import pytest

from registry.models import PlaceholderSerial
from tests.factories import AssetFactory, ComponentFactory, ProjectFactory
from tickets.choices import LinkOrigin, LinkTarget
from tickets.services.matching import References, Target, match_ticket, tokens

pytestmark = pytest.mark.django_db


def linked(result) -> dict[str, tuple[str, str]]:
    return {found.target.key: (found.origin, found.text) for found in result.links}


def test_tokens_are_whole_words_without_sentence_punctuation() -> None:
    assert tokens("Drive S4EX01 (bay 3) failed on node-17.dc1.example.com. See S4EX01, again.") == [
        "Drive",
        "S4EX01",
        "bay",
        "3",
        "failed",
        "on",
        "node-17.dc1.example.com",
        "See",
        "again",
    ]


def test_serial_inside_a_sentence_links_the_component() -> None:
    drive = ComponentFactory(serial_raw="S4EXNA0M123456", serial="S4EXNA0M123456")
    ComponentFactory()  # noise
    result = match_ticket(
        "NVMe drive reporting media errors",
        "Hi team,\nthe drive with serial s4exna0m123456 in bay 3 logs critical warnings since Monday. Please RMA.",
    )
    assert linked(result) == {f"component:{drive.pk}": (LinkOrigin.MATCHED, "s4exna0m123456")}
    assert result.candidates == []


def test_serial_inside_a_longer_token_does_not_match() -> None:
    ComponentFactory(serial_raw="S4EX0001", serial="S4EX0001")
    result = match_ticket("Firmware S4EX0001-rev2 bundle", "see build XS4EX0001 and S4EX0001_old")
    assert result.links == []


def test_server_serial_and_asset_tag_link_the_asset() -> None:
    by_serial = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    by_tag = AssetFactory(asset_tag="AT-004217")
    result = match_ticket("Two servers down", "MXQ2390RHW: no POST. Also asset AT-004217: PSU fault.")
    assert linked(result) == {
        f"asset:{by_serial.pk}": (LinkOrigin.MATCHED, "MXQ2390RHW"),
        f"asset:{by_tag.pk}": (LinkOrigin.MATCHED, "AT-004217"),
    }


def test_hostname_with_domain_finds_a_server_registered_under_its_short_name_and_vice_versa() -> None:
    short = AssetFactory(hostname="node-17")
    fqdn = AssetFactory(hostname="web-03.dc1.example.com")
    result = match_ticket(
        "Reboot loop",
        "node-17.dc1.example.com reboots every hour; web-03 too. web-03.dc2.example.com is fine.",
    )
    assert linked(result) == {
        f"asset:{short.pk}": (LinkOrigin.MATCHED, "node-17.dc1.example.com"),
        f"asset:{fqdn.pk}": (LinkOrigin.MATCHED, "web-03"),
    }


def test_placeholder_serials_never_match() -> None:
    # Parts registered before the placeholder list grew carry what is now a placeholder.
    PlaceholderSerial.objects.create(value="SN12345678")
    ComponentFactory(serial_raw="SN12345678", serial="SN12345678")
    ComponentFactory(serial_raw="0123456789", serial="0123456789")
    result = match_ticket(
        "DIMM errors",
        "dmidecode shows Serial Number: To Be Filled By O.E.M., 0123456789 and SN12345678 on every slot.",
    )
    assert result.links == []
    assert result.candidates == []


def test_two_assets_sharing_a_hostname_are_candidates_not_links() -> None:
    first = AssetFactory(hostname="db-01.dc1.example.com")
    second = AssetFactory(hostname="db-01.dc2.example.com")
    result = match_ticket("db-01 slow", "Replication lag on db-01 since the switch upgrade.")
    assert result.links == []
    assert result.candidates == [
        {
            "text": "db-01",
            "kind": "hostname",
            "origin": "matched",
            "targets": sorted([f"asset:{first.pk}", f"asset:{second.pk}"]),
        }
    ]


def test_one_serial_on_two_parts_is_a_candidate() -> None:
    a = ComponentFactory(component_class="DIMM", vendor="SAMSUNG", serial_raw="36A1B2C3", serial="36A1B2C3")
    b = ComponentFactory(component_class="DIMM", vendor="MICRON", serial_raw="36A1B2C3", serial="36A1B2C3")
    result = match_ticket("ECC errors", "DIMM 36A1B2C3 correctable errors")
    assert result.links == []
    assert result.candidates[0]["targets"] == sorted([f"component:{a.pk}", f"component:{b.pk}"])


def test_a_servers_own_serial_wins_over_a_board_repeating_it() -> None:
    asset = AssetFactory(vendor_serial_raw="S211X99Z", vendor_serial="S211X99Z")
    ComponentFactory(component_class="MOTHERBOARD", vendor="SUPERMICRO", serial_raw="S211X99Z", serial="S211X99Z")
    assert linked(match_ticket("S211X99Z dead", "")) == {f"asset:{asset.pk}": (LinkOrigin.MATCHED, "S211X99Z")}


def test_explicit_references_link_with_their_origin_and_unknown_ones_become_candidates() -> None:
    asset = AssetFactory(hostname="gpu-07.lab.example.com")
    drive = ComponentFactory(serial_raw="WD-ABC123", serial="WD-ABC123")
    project = ProjectFactory(name="Render farm")
    references = References(
        serials=["wd-abc123"], hostnames=["GPU-07.lab.example.com"], projects=["render farm"], asset_tags=["AT-NOPE1"]
    )
    result = match_ticket("Farm node issue", "gpu-07.lab.example.com again", references)
    assert linked(result) == {
        f"component:{drive.pk}": (LinkOrigin.EXPLICIT, "wd-abc123"),
        f"asset:{asset.pk}": (LinkOrigin.EXPLICIT, "GPU-07.lab.example.com"),
        f"project:{project.pk}": (LinkOrigin.EXPLICIT, "render farm"),
    }
    assert result.candidates == [{"text": "AT-NOPE1", "kind": "asset_tag", "origin": "explicit", "targets": []}]


def test_words_are_not_looked_up_as_hostnames() -> None:
    AssetFactory(hostname="backup")
    assert match_ticket("backup failed", "The nightly backup job failed.").links == []


def test_matching_costs_a_fixed_number_of_queries_however_long_the_text(django_assert_max_num_queries) -> None:
    AssetFactory(hostname="node-01")
    text = " ".join(f"node-{i:02d} S4EX{i:06d} word{i}" for i in range(400))
    with django_assert_max_num_queries(6):
        result = match_ticket("Fleet-wide alert", text)
    assert [found.target for found in result.links] == [Target(LinkTarget.ASSET, result.links[0].target.pk)]
