"""End to end in real headless Chromium: make a short session, wait for it, play it, rate tension before and after."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.xdist_group("browser")


def _api(base: str, path: str) -> Any:
    with urlopen(base + path) as response:
        return json.load(response)


def test_make_play_and_rate_a_short_session(
    page: Any, live_server: str, phrase_cache: Path, screenshot_dir: Path
) -> None:
    page.goto("/sessions/new")
    page.locator("#minutes").fill("5")
    page.locator("#technique").select_option("breathing")
    page.get_by_label("I'll choose (up to 4):").check()
    page.locator("label.chip", has=page.locator('input[name="regions"][value="jaw"]')).click()
    assert page.locator('input[name="regions"][value="jaw"]').is_checked()
    page.locator("#background").select_option("rain")
    page.locator("#name").fill("Anna")
    page.locator("#seed").fill("7")
    page.screenshot(path=str(screenshot_dir / "session-builder.png"), full_page=True)
    page.get_by_role("button", name="Record my session").click()

    # The page stays usable while the render runs; htmx polls the progress and reloads into the player.
    page.wait_for_url("**/sessions/*")
    session_id = page.url.rstrip("/").rsplit("/", 1)[1]
    page.wait_for_selector("#audio", state="attached", timeout=240_000)
    assert "your jaw, the strong chewing muscles" in page.locator("#transcript").inner_text()
    chapters = [c.split("\n")[0] for c in page.locator(".chapters li button").all_inner_texts()]
    assert chapters[0] == "Welcome" and "Slow breathing" in chapters and "Your body" in chapters
    assert chapters[-1] == "Waking up", chapters

    page.locator('[data-before="6"]').click()  # one tap: rating saved, playback starts
    assert page.locator("#before").is_hidden()
    page.wait_for_function("() => document.getElementById('audio').currentTime > 2.5", timeout=20_000)
    assert page.get_by_role("button", name="Pause").is_visible()
    active = page.locator("#transcript li[aria-current='true']")
    active.wait_for(timeout=10_000)  # the transcript follows the voice
    page.screenshot(path=str(screenshot_dir / "session-player.png"), full_page=True)

    # A busy page: its main thread blocked for 3 s while the audio plays on. Those seconds were heard; a jump
    # forward of a minute afterwards was not.
    page.evaluate("() => { const until = performance.now() + 3000; while (performance.now() < until) {} }")
    page.wait_for_function("() => document.getElementById('audio').currentTime > 5.8", timeout=20_000)
    played = page.evaluate("document.getElementById('audio').currentTime")
    page.evaluate("() => { const a = document.getElementById('audio'); a.currentTime = a.currentTime + 60; }")
    page.wait_for_function(f"() => document.getElementById('audio').currentTime > {played + 60.5}", timeout=20_000)
    after_jump = page.evaluate(f"document.getElementById('audio').currentTime - {played + 60}")

    assert page.locator("#thanks").is_hidden() and page.locator("#after").is_hidden()
    page.get_by_role("button", name="I'm done listening").click()
    page.locator("#after").wait_for(state="visible")
    page.locator('[data-after="3"]').click()
    page.locator("#thanks").wait_for(state="visible")

    listens = [item for item in _api(live_server, "/api/sessions/listens") if item["session_id"] == session_id]
    assert len(listens) == 1, listens
    listen = listens[0]
    assert listen["tension_before"] == 6 and listen["tension_after"] == 3
    assert listen["finished_at"] is not None and listen["completed"] is False
    assert played - 0.5 <= listen["heard_s"] <= played + after_jump + 1.0  # only time actually played counts
    assert listen["status"] == "started"  # a few seconds are kept, but not counted as listened

    page.goto("/sessions")
    assert "tension 6 → 3" in page.locator("#listens").inner_text()
    assert "(started, not counted)" in page.locator("#listens").inner_text()


# Every option of every menu fits inside its menu: the text's own width, measured in the menu's font, against the
# room inside the menu (its width less padding and the arrow).
_CLIPPED_MENUS = """() => {
  const ctx = document.createElement("canvas").getContext("2d");
  const clipped = [];
  for (const sel of document.querySelectorAll("form select")) {
    const cs = getComputedStyle(sel);
    ctx.font = cs.font;
    const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 18;
    for (const option of sel.options) {
      const need = ctx.measureText(option.text).width;
      if (need > room) clipped.push(`${sel.name}: "${option.text}" needs ${need.toFixed(0)} px, has ${room.toFixed(0)}`);
    }
  }
  return clipped;
}"""


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}])
def test_session_form_menus_show_their_whole_text(browser: Any, live_server: str, viewport: dict[str, int]) -> None:
    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    page.goto("/sessions/new")
    assert "Progressive muscle relax" in page.locator("#technique").inner_text()
    assert page.evaluate(_CLIPPED_MENUS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # and no sideways scrolling
    context.close()


def _wait_for(probe: Any, timeout: float = 10.0) -> Any:
    """The first truthy answer of ``probe()`` (the page saves in the background)."""
    deadline = time.monotonic() + timeout
    while not (answer := probe()):
        assert time.monotonic() < deadline, "nothing came"
        time.sleep(0.1)
    return answer


def test_right_now_is_made_on_request_then_three_minutes_plays_at_once(
    page: Any, live_server: str, phrase_cache: Path, screenshot_dir: Path
) -> None:
    page.goto("/")
    card = page.locator("#right-now")
    assert "not made yet" in card.inner_text() and "Breathe in slowly" in card.inner_text()
    page.get_by_role("button", name="Make them now (about a minute)").click()
    expect(card).to_contain_text("Getting ready — about a minute.", timeout=15_000)  # after the form's post and reload
    # htmx polls the card; the buttons come by themselves (both, so no render runs on after the test)
    page.get_by_role("button", name="5 minutes").wait_for(timeout=240_000)
    page.screenshot(path=str(screenshot_dir / "home-right-now.png"))
    page.get_by_role("button", name="3 minutes").click()
    page.wait_for_function("() => document.getElementById('right-now-audio-3').currentTime > 1.5", timeout=20_000)
    assert page.evaluate("document.getElementById('right-now-audio-3').paused") is False
    assert page.locator('[data-right-now="3"]').get_attribute("aria-pressed") == "true"
    assert "3 minutes: 0:0" in page.locator("#right-now-status").inner_text()
    sessions = {s["title"]: s["id"] for s in _api(live_server, "/api/sessions")}
    three = sessions["Right now: 3 minutes of slow breathing"]
    assert _wait_for(lambda: [x["session_id"] for x in _api(live_server, "/api/sessions/listens")]) == [three]
    page.locator('[data-right-now="3"]').click()  # "Stop": the heard time is saved
    listen = _wait_for(
        lambda: next((x for x in _api(live_server, "/api/sessions/listens") if x["heard_s"] >= 1.5), None)
    )
    assert listen["session_id"] == three and listen["status"] == "started"
