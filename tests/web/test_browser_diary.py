"""End to end in real headless Chromium: log an episode from the body map and find it on the timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.xdist_group("browser")


def test_log_an_episode_from_the_body_map(page: Any, screenshot_dir: Path) -> None:
    page.goto("/")
    page.screenshot(path=str(screenshot_dir / "home-empty.png"), full_page=True)
    calf = page.locator('.bodymap [data-region="calf"][data-side="left"]').first
    calf.click()
    assert "Calf" in page.locator("#quick-where").inner_text()
    page.get_by_role("radio", name="Cramp").check(force=True)
    page.locator("#quick-intensity").fill("7")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/?saved=*")
    assert "Saved" in page.locator(".flash").inner_text()
    # The new episode now shades the map and is offered as a recent choice.
    assert page.locator('.recent-choice[data-region="calf"][data-side="left"][data-kind="cramp"]').count() == 1
    page.screenshot(path=str(screenshot_dir / "home-after-log.png"), full_page=True)
    page.get_by_role("button", name="Undo").click()
    page.wait_for_url("**/?deleted=*")  # still on home, showing that it was undone
    assert "Undone" in page.locator(".flash").inner_text()
    page.get_by_role("button", name="Keep it after all").click()
    page.wait_for_url("**/?saved=*")

    page.goto("/timeline")
    item = page.locator(".episode-item").first
    assert "Cramp" in item.inner_text() and "Calf (left)" in item.inner_text() and "intensity 7/10" in item.inner_text()
    page.screenshot(path=str(screenshot_dir / "timeline.png"), full_page=True)


def test_body_map_works_from_the_keyboard(page: Any) -> None:
    page.goto("/")
    jaw = page.locator('.bodymap [data-region="jaw"][data-side="right"]').first
    jaw.focus()
    page.keyboard.press("Enter")
    assert "Jaw" in page.locator("#quick-where").inner_text()
    assert jaw.get_attribute("aria-label")


def test_home_save_looks_unavailable_until_a_place_is_chosen(page: Any, live_server: str) -> None:
    page.goto("/")
    save = page.locator("#quick-save")
    assert save.get_attribute("aria-disabled") == "true"
    dimmed = save.evaluate("el => getComputedStyle(el).backgroundColor")
    save.focus()  # still reachable from the keyboard; pressing it early explains instead of saving
    page.keyboard.press("Enter")
    assert page.url.rstrip("/") == live_server and "tap a place" in page.locator("#quick-where").inner_text()
    page.locator('.bodymap [data-region="calf"][data-side="left"]').first.click()
    assert save.get_attribute("aria-disabled") == "false"
    assert save.evaluate("el => getComputedStyle(el).backgroundColor") != dimmed
    # The server checks too: a post with no place is refused and nothing is saved.
    token = page.locator('#quick-form input[name="csrf_token"]').input_value()  # what the page's form would send
    form = {"csrf_token": token, "next": "/", "regions": "", "kind": "cramp", "intensity": "5"}
    refused = page.request.post("/episodes/new", form=form)
    assert refused.status == 422
    assert page.request.get("/api/episodes").json() == []


def test_the_body_map_is_one_tab_stop_on_home_and_arrows_choose_a_place(page: Any) -> None:
    page.goto("/")
    stops = []
    for _ in range(40):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("(e => e.dataset.region || e.id || e.textContent.trim())(document.activeElement)"))
        if stops[-1] == "quick-intensity":
            break
    in_map = [s for s in stops if s in ("scalp", "forehead")]
    assert in_map == ["scalp"], stops  # the map is passed with one Tab, not ~70
    assert "Skip past the body map" in stops
    page.locator('.bodymap [data-region="scalp"]').first.focus()
    for key in ("ArrowDown", "ArrowDown", "ArrowDown"):
        page.keyboard.press(key)
    moved_to = page.evaluate("document.activeElement.dataset.label")
    assert moved_to and moved_to != "Scalp / head"
    page.keyboard.press("Enter")
    assert moved_to in page.locator("#quick-where").inner_text()
    assert page.locator("#quick-save").is_enabled()
