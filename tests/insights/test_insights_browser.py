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
    frame = page.frame_locator("iframe.report-preview")
    assert "self-reported" in frame.locator("body").inner_text()
    assert frame.locator("text=Summary numbers").count() == 1
    assert frame.locator("svg.calendar").count() == 0
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.screenshot(path=str(screenshot_dir / "reports.png"), full_page=False)
