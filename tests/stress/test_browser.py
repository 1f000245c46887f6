"""Browser: answer the PSS-10 in Chromium (one item skipped, then completed) and see it on the chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.mark.xdist_group("browser")
def test_pss_in_the_browser_names_the_missing_item_then_charts_the_score(page: Any, screenshot_dir: Path) -> None:
    page.goto("/stress/pss")
    for number in range(1, 11):
        if number == 6:
            continue
        page.locator(f"#item{number} label.chip", has_text="Sometimes").click()
    page.get_by_role("button", name="Score it").click()
    alert = page.locator("#form-errors")
    assert "missing item 6" in alert.inner_text()
    assert page.locator("#item6.missing").count() == 1
    assert page.locator("#item5 input:checked").count() == 1  # earlier answers are kept
    page.locator("#item6 label.chip", has_text="Very often").click()
    page.get_by_role("button", name="Score it").click()
    page.wait_for_url("**/stress/results/*")
    assert page.locator(".big-score strong").inner_text() == "22"  # nine items at 2, item 6 at 4
    page.goto("/stress")
    point = page.locator("svg.pss-chart circle.pss-point")
    assert point.count() == 1 and point.get_attribute("data-total") == "22"
    page.screenshot(path=str(screenshot_dir / "stress-pss-chart.png"), full_page=True)
