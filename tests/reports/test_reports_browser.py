"""In real Chromium: the report downloads carry what the form shows, without pressing "Update preview" first."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.reports.conftest import seed_small_diary
from unclench.core.db import session_scope

pytestmark = pytest.mark.xdist_group("browser")


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_downloads_use_the_period_sections_and_kind_the_form_shows(page: Any, tmp_path: Path) -> None:
    with session_scope() as db:
        first = seed_small_diary(db)
    chosen_first = first + timedelta(days=20)
    chosen_last = first + timedelta(days=40)
    page.goto("/reports")
    # Change the form and press a download straight away, as a person would.
    page.fill("#first", chosen_first.isoformat())
    page.fill("#last", chosen_last.isoformat())
    page.get_by_label("Calendar").uncheck(force=True)
    page.get_by_label("Where on the body").uncheck(force=True)

    with page.expect_download() as pdf_download:
        page.get_by_role("button", name="Download PDF").click()
    pdf = pdf_download.value
    assert pdf.suggested_filename == f"unclench-report-{chosen_first.isoformat()}-to-{chosen_last.isoformat()}.pdf"
    pdf_path = tmp_path / "report.pdf"
    pdf.save_as(pdf_path)
    text = _pdf_text(pdf_path)
    assert chosen_first.strftime("%d %b %Y") in text and chosen_last.strftime("%d %b %Y") in text
    assert "Summary numbers" in text and "Medicines" in text
    assert "Where on the body" not in text and "Calendar" not in text

    page.select_option("#kind", "cramp")
    with page.expect_download() as fhir_download:
        page.get_by_role("button", name="FHIR file").click()
    bundle_download = fhir_download.value
    assert chosen_first.isoformat() in bundle_download.suggested_filename
    bundle_path = tmp_path / "bundle.json"
    bundle_download.save_as(bundle_path)
    bundle = json.loads(bundle_path.read_text())
    observations = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert observations, "the chosen period holds episodes"
    for observation in observations:
        day = observation["effectivePeriod"]["start"][:10]
        assert chosen_first.isoformat() <= day <= (chosen_last + timedelta(days=1)).isoformat()
        assert "cramp" in json.dumps(observation["code"]).lower() or "cramp" in json.dumps(observation).lower()
    # The page itself stayed where it was: the form still shows the person's choices.
    assert page.input_value("#first") == chosen_first.isoformat()


_OVERLAPS = """() => {
  const boxes = [...document.querySelectorAll("section")].map((s) => [s.querySelector("h2").textContent, s.getBoundingClientRect()]);
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1) hits.push(`${a} / ${b}`);
  }
  const wide = [...document.querySelectorAll("section")].filter((s) => s.getBoundingClientRect().right > innerWidth + 1)
    .map((s) => s.querySelector("h2").textContent + " sticks out");
  for (const t of document.querySelectorAll("section table")) {
    const s = t.closest("section"), scrolls = ["auto", "scroll"].includes(getComputedStyle(s).overflowX);
    if (!scrolls && t.getBoundingClientRect().right > s.getBoundingClientRect().right + 1)
      hits.push(s.querySelector("h2").textContent + ": its table runs into the next one");
  }
  return hits.concat(wide, document.documentElement.scrollWidth > innerWidth ? ["the page scrolls sideways"] : []);
}"""


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}])
def test_report_preview_sections_do_not_overlap(browser: Any, live_server: str, viewport: dict[str, int]) -> None:
    with session_scope() as db:
        seed_small_diary(db)
    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    page.goto("/reports")
    frame = page.frame_locator("iframe.report-preview")
    frame.locator("text=Kinds and durations").wait_for()
    assert frame.locator("table").count() >= 3
    problems = page.frames[1].evaluate(_OVERLAPS)
    assert problems == []
    context.close()
