"""In real Chromium: the insights page ranks the planted factor, filters map and calendar; the report builder previews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.insights.insights_seed import seed_diary
from unclench.core.db import session_scope

pytestmark = pytest.mark.xdist_group("browser")


def test_insights_and_report_builder_in_the_browser(page: Any, screenshot_dir: Path) -> None:
    with session_scope() as db:
        seed_diary(db)
    page.goto("/insights")
    lead = page.locator(".plain-summary p.lead").first
    assert lead.is_visible() and lead.inner_text().startswith("On days after a day with “late screen” you logged about")
    assert not page.locator("ol.findings").first.is_visible()  # the statistics start folded away
    page.get_by_text("For your therapist: the statistics").click()
    first = page.locator("ol.findings li").first
    assert "late screen" in first.inner_text() and "clear" in first.inner_text()
    assert page.locator("svg.forest circle").count() >= 2
    page.locator("details.more-findings summary").click()
    assert page.locator("details.more-findings li").first.is_visible()
    page.select_option("#factor", label="late screen")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/insights?*factor=*")
    assert "on days with “late screen”" in page.locator("#where").inner_text()
    assert page.locator("svg.calendar circle").count() > 10
    page.screenshot(path=str(screenshot_dir / "insights.png"), full_page=True)

    page.goto("/reports")
    page.get_by_label("Calendar").uncheck(force=True)
    page.get_by_role("button", name="Update preview").click()
    page.wait_for_url("**/reports?*")  # the form is a GET of this page: wait for the new page, not the old frame
    frame = page.frame_locator("iframe.report-preview")
    assert "self-reported" in frame.locator("body").inner_text()
    assert frame.locator("text=Summary numbers").count() == 1
    assert frame.locator("svg.calendar").count() == 0
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.screenshot(path=str(screenshot_dir / "reports.png"), full_page=False)


def test_tapping_the_insights_map_filters_the_page_to_that_region(page: Any, screenshot_dir: Path) -> None:
    with session_scope() as db:
        seed_diary(db)
    page.goto("/insights?kind=cramp")
    everything = page.locator("h1 + p").inner_text()
    assert page.locator(".region-filter").count() == 0
    calf = page.locator("#insights-map path[data-region=calf][data-side=left]:visible")
    if calf.count() == 0:  # the map shows one side of the body at a time when its card is narrow
        page.locator("#insights-map button[data-show=back]").click()
    calf.first.click()
    page.wait_for_url("**/insights?*region=calf*")
    assert "/episodes/new" not in page.url and "kind=cramp" in page.url  # filtered, not logging; the kind is kept
    state = page.locator(".region-filter")
    assert state.is_visible() and "Showing: calf only" in state.inner_text() and "clear" in state.inner_text()
    assert "in the calf" in page.locator("h1").inner_text()
    # The statistics are the calf's alone: fewer episodes counted, and the eyelid no longer in the region table.
    filtered = page.locator("h1 + p").inner_text()
    assert filtered != everything
    assert "Eyelid" not in page.locator("#where").locator("xpath=..").locator("table").inner_text()
    assert page.locator("#insights-map path[data-region=calf].is-selected").count() == 2
    page.screenshot(path=str(screenshot_dir / "insights-region.png"), full_page=False)
    page.get_by_role("link", name="clear").click()
    page.wait_for_url("**/insights?kind=cramp")
    assert page.locator(".region-filter").count() == 0 and page.locator("h1 + p").inner_text() == everything
