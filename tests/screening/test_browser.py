"""Browser: a red flag in the safety check gives a prominent emergency outcome (real Chromium)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from unclench.core import clock


@pytest.mark.xdist_group("browser")
def test_triage_with_a_red_flag_shows_the_emergency_prominently(page: Any, screenshot_dir: Path) -> None:
    page.goto("/safety/triage")
    page.get_by_label("Are your cramps brief").check()
    page.get_by_label("muscle pain or weakness with dark", exact=False).check()
    page.get_by_role("button", name="See what to do").click()
    page.wait_for_url("**/safety/triage/*")
    outcome = page.locator("#outcome")
    if not outcome.count():
        page.screenshot(path=str(screenshot_dir / "safety-triage-failed.png"), full_page=True)
        raise AssertionError(page.url + "\n" + page.inner_text("body"))
    assert outcome.get_attribute("role") == "alert"
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Emergency now"
    assert "Call emergency services now" in outcome.inner_text()
    # Prominent: the outcome sits at the top of the page, in red, larger than body text.
    box = outcome.bounding_box()
    assert box is not None and box["y"] < 250
    colour = outcome.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(179, 38, 30)"
    size = heading.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 30
    assert "tea- or cola" not in page.content()  # the reason is shown, not the question
    assert "rhabdomyolysis" in page.locator(".reasons").inner_text()
    call = page.get_by_role("link", name="Call 999 UK")
    assert call.get_attribute("href") == "tel:999"
    target = call.bounding_box()
    assert target is not None and target["height"] >= 44  # a thumb can hit it
    page.screenshot(path=str(screenshot_dir / "safety-triage-emergency.png"), full_page=True)


@pytest.mark.xdist_group("browser")
def test_a_red_flag_on_a_diary_episode_brings_the_triage_back(page: Any, screenshot_dir: Path) -> None:
    token = page.request.get("/api/csrf").json()["token"]  # a script's way to its CSRF token (and cookie)
    created = page.request.post(
        "/api/episodes",
        headers={"X-CSRF-Token": token},
        data={
            "started_at": (clock.now() - timedelta(hours=2)).isoformat(),
            "kind": "cramp",
            "intensity": 8,
            "regions": [{"region": "calf", "side": "left"}],
        },
    )
    assert created.status == 201
    page.goto("/safety")
    page.get_by_role("link", name="Add warning signs").first.click()
    page.locator("label.chip", has_text="One swollen calf").click()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/safety/triage?from=diary")
    # Every page carries the banner until the check is taken again; its link leads back to it.
    page.goto("/timeline")
    layout_banner = page.locator('.banner.urgent[role="alert"]')
    assert "one swollen calf" in layout_banner.inner_text()
    look = "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color, getComputedStyle(el).fontWeight]"
    layout_look = layout_banner.evaluate(look)
    layout_banner.get_by_role("link", name="Take the safety check").click()
    page.wait_for_url("**/safety/triage?from=diary")
    banner = page.locator('[data-notice="red_flag"]')
    assert "one swollen calf" in banner.inner_text()
    assert page.locator(".banner").count() == 1 and banner.evaluate(look) == layout_look  # one banner, one style
    flagged = page.locator("label.question.flagged")
    assert flagged.count() == 2  # DVT (today) and the lung-clot question (emergency)
    page.get_by_label("Is one calf or thigh throbbing").check()
    page.get_by_role("button", name="See what to do").click()
    page.wait_for_url("**/safety/triage/*")
    assert page.get_by_role("heading", level=1).inner_text() == "See a doctor today"
    page.goto("/")
    assert page.locator('[role="alert"]').count() == 0  # the triage was taken again: no banner
    page.goto("/timeline")
    assert page.locator('.banner.urgent[role="alert"]').count() == 0
    page.screenshot(path=str(screenshot_dir / "safety-after-red-flag.png"), full_page=True)


@pytest.mark.xdist_group("browser")
def test_face_droop_on_an_episode_shows_the_emergency_at_once(page: Any, screenshot_dir: Path) -> None:
    page.goto("/episodes/new?region=face&side=left&kind=twitch")
    page.locator("details.warning-signs summary").click()
    page.locator("label.chip", has_text="Face droop or slurred speech").click()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/safety/triage/*")
    outcome = page.locator("#outcome")
    assert outcome.get_attribute("role") == "alert"
    assert page.get_by_role("heading", level=1).inner_text() == "Emergency now"
    assert "stroke" in page.locator(".reasons").inner_text()
    page.screenshot(path=str(screenshot_dir / "safety-episode-emergency.png"), full_page=True)
    page.get_by_role("link", name="Answer the other safety questions too").click()
    page.wait_for_url("**/safety/triage?yes=stroke_signs")
    assert page.locator("#q-stroke_signs").is_checked()
    assert page.locator("input[name=yes]:checked").count() == 1
    assert page.locator(".banner").count() == 0  # the check was taken: no banner here either
