"""In a real browser: sign in, upload a real bundle in the ingest console and watch the list
poll until it is parsed, open the server card, filter its timeline, scroll to load more, pick
an as-of date. Screenshots of each step are test artefacts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from ingest.models import LogBundle
from ingest.tasks import parse_bundle_task
from reanimator.celery import app as celery_app
from tests.celery_support import over_redis
from tests.ingest.bundles import corpus_bundle, inventory, part
from timeline.models import TimelineEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

R6515 = "ironlib-fixtures/dell/r6515"
REDFISH = "redfish-bmclib-fragments/dell"


def r6515_bundle() -> bytes:
    """dmidecode (PSUs), smartctl (drives) and Redfish (the server, BIOS/BMC) of a Dell R6515,
    from the shared corpus of real hardware output."""
    files = {
        "dmidecode-t39.txt": f"{R6515}/dmidecode/psu",
        "redfish/v1/index.json": f"{REDFISH}/serviceroot.json",
        "redfish/v1/Systems/index.json": f"{REDFISH}/systems.json",
        "redfish/v1/Systems/System.Embedded.1/index.json": f"{REDFISH}/system.embedded.1.json",
        "redfish/v1/Managers/index.json": f"{REDFISH}/managers.json",
        "redfish/v1/Managers/iDRAC.Embedded.1/index.json": f"{REDFISH}/manager.idrac.embedded.1.json",
        **{f"smartctl/{name}.json": f"{R6515}/smartctl/{name}.json" for name in ("sda", "sdb", "nvme0", "nvme1")},
    }
    corpus = Path(django_settings.REANIMATOR_CORPUS)
    if not (corpus / "INDEX.md").is_file():
        pytest.fail(f"REANIMATOR_CORPUS={corpus} does not hold the shared corpus")
    return corpus_bundle(corpus, files, collected_at="2026-03-01T10:00:00+02:00", hostname="r6515-a.example.net")


@pytest.fixture
def redis_queue(settings):
    """Uploads enqueue their parse on the real Redis broker, as in production, so the upload
    answers with a received bundle and the page has to poll to see it parsed. The test then
    runs the queued task itself, and nothing of it is left queued for a later worker."""
    with over_redis(settings):
        yield
        celery_app.control.purge()


def test_upload_a_real_bundle_and_watch_it_turn_parsed(
    page, live_server, sign_in, screenshot, operator, tmp_path, redis_queue
) -> None:
    sign_in(operator)
    path = tmp_path / "r6515-a.tar.gz"
    path.write_bytes(r6515_bundle())
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "/ingest/bundles/" in request.url else None)

    page.goto(f"{live_server.url}/ingest/")
    page.set_input_files("input[name=files]", str(path))
    page.click("#upload-area button[type=submit]")
    result = page.locator("[data-upload-result]")
    result.wait_for()
    assert "received as bundle" in result.inner_text()
    row = page.locator("#bundle-list tr", has_text="r6515-a.tar.gz")
    # No worker yet: the bundle waits, and the list polls while it does.
    assert row.get_attribute("data-status") == "received"
    assert page.locator("#bundle-list[data-polling]").count() == 1
    screenshot("ingest-console-received")

    # What the worker does with the queued message: the parse task, by bundle id.
    bundle = LogBundle.objects.get(original_filename="r6515-a.tar.gz")
    polls_before = len(polls)
    assert parse_bundle_task.apply(args=(bundle.pk,)).get() == "parsed"
    page.wait_for_selector("#bundle-list tr[data-status=parsed] >> text=r6515-a.tar.gz", timeout=30_000)
    assert len(polls) > polls_before, "the list never polled"
    assert page.locator("#bundle-list[data-polling]").count() == 0  # polling stopped
    screenshot("ingest-console-parsed")

    bundle.refresh_from_db()
    assert bundle.status == "parsed"
    page.click(f"#bundle-{bundle.pk} a >> nth=0")
    page.wait_for_url(re.compile(rf"/ingest/bundles/{bundle.pk}/$"))
    assert "What was found" in page.content()
    screenshot("bundle-detail")


def test_server_card_timeline_filters_infinite_scroll_and_as_of(
    page, live_server, sign_in, screenshot, operator, fleet
) -> None:
    f = fleet(servers=3, parts=30)
    asset = f.assets[1]
    sign_in(operator)
    page.goto(f"{live_server.url}/assets/{asset.pk}/")
    assert page.locator("#parts-panel h2").inner_text().startswith("Hardware now")
    assert page.locator("#movements").inner_text().count("MOVED") == 2
    assert "OPS-1" in page.locator("#tickets").inner_text()
    # times are shown in the viewer's zone (Tokyo, UTC+9) with the UTC time on hover
    first_time = page.locator("#bundles time").first
    assert first_time.get_attribute("title").endswith("UTC")
    assert "UTC" not in first_time.inner_text()
    screenshot("server-card")

    rows = page.locator("#timeline-rows tr:not(.sentinel)")
    total = TimelineEvent.objects.filter(subject_type="asset", subject_id=asset.pk).count()
    assert total > 25
    assert rows.count() == 25

    # type filter: only firmware changes
    page.check("#timeline input[value=FIRMWARE_CHANGED]")
    page.wait_for_function("document.querySelectorAll('#timeline-rows .ev:not(.ev-FIRMWARE_CHANGED)').length === 0")
    kinds = set(page.locator("#timeline-rows .ev").all_inner_texts())
    assert kinds == {"FIRMWARE_CHANGED"}
    screenshot("server-card-timeline-filtered")
    page.uncheck("#timeline input[value=FIRMWARE_CHANGED]")
    page.wait_for_function("document.querySelectorAll('#timeline-rows tr:not(.sentinel)').length === 25")

    # infinite scroll: the sentinel row loads the next keyset page when it comes into view
    page.locator("#timeline-rows tr.sentinel").scroll_into_view_if_needed()
    page.wait_for_function(f"document.querySelectorAll('#timeline-rows tr:not(.sentinel)').length === {total}")
    assert page.locator("#timeline-rows tr.sentinel").count() == 0

    # as-of: the server as it was on 5 March (inside NV-1-0's removal window: maybe gone)
    page.locator("#parts-panel input[name=as_of]").fill("2026-03-05")
    page.wait_for_selector("#parts-panel h2 >> text=Hardware on 2026-03-05")
    assert "as_of=2026-03-05" in page.url  # pushed: the view can be bookmarked
    uncertain = page.locator("#parts-panel tr.uncertain")
    assert uncertain.count() == 1
    assert "NV-1-0" in uncertain.inner_text()
    screenshot("server-card-as-of")


def test_lists_filter_without_a_reload_and_push_the_url(
    page, live_server, sign_in, screenshot, operator, fleet
) -> None:
    fleet(servers=3)
    sign_in(operator)
    page.goto(f"{live_server.url}/assets/")
    page.evaluate("window.__marker = 'same page'")
    page.fill("input[name=q][placeholder^=Serial] >> nth=1", "node-02")
    page.wait_for_function("document.querySelectorAll('#asset-table tbody tr').length === 1")
    assert "q=node-02" in page.url
    assert page.evaluate("window.__marker") == "same page"  # swapped, not reloaded
    screenshot("assets-filtered")
    page.goto(f"{live_server.url}/components/?component_class=NVME")
    assert page.locator("#component-table tbody tr").count() == 3
    screenshot("components-nvme")
    page.goto(f"{live_server.url}/")
    screenshot("dashboard")


def test_drop_several_bundles_on_the_console(page, live_server, sign_in, screenshot, operator) -> None:
    """Drag and drop: the drop zone hands the files to the form, which uploads them all."""
    sign_in(operator)
    page.goto(f"{live_server.url}/ingest/")
    docs = [
        inventory(f"SRV-DROP-{n}", datetime(2026, 3, 1, 10, n, tzinfo=UTC), [part("PSU", f"PS-DROP-{n}")]).decode()
        for n in range(2)
    ]
    page.evaluate(
        """(docs) => {
            const transfer = new DataTransfer();
            docs.forEach((doc, n) => transfer.items.add(new File([doc], `drop-${n}.json`, {type: "application/json"})));
            const zone = document.querySelector("[data-dropzone]");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        }""",
        docs,
    )
    page.wait_for_function("document.querySelectorAll('[data-upload-result]').length === 2")
    assert page.locator("#bundle-list tr", has_text="drop-0.json").count() == 1
    assert page.locator("#bundle-list tr", has_text="drop-1.json").count() == 1
    assert LogBundle.objects.filter(original_filename__startswith="drop-").count() == 2
    screenshot("ingest-console-dropped")


def test_pages_read_without_javascript(browser, live_server, operator, fleet) -> None:
    asset = fleet(servers=1).first
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(f"{live_server.url}/accounts/login/")
        tab.fill("input[name=username]", operator.username)
        tab.fill("input[name=password]", "correct horse battery staple")
        tab.click("button[type=submit]")
        tab.goto(f"{live_server.url}/assets/{asset.pk}/")
        assert "PS-0-0" in tab.locator("#parts-panel").inner_text()
        # without JavaScript the times stay in UTC
        assert tab.locator("#bundles time").first.inner_text().endswith("UTC")
        tab.fill("#parts-panel input[name=as_of]", "2026-01-01")
        tab.click("#parts-panel button[type=submit]")
        assert "as_of=2026-01-01" in tab.url
        assert "Nothing was known to be in this server then" in tab.content()
    finally:
        context.close()
