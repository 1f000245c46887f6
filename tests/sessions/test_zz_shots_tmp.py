"""Throwaway: screenshots of the pages adaptive sessions touch (not committed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.sessions.test_adaptive_browser import FEED, _make_adaptive_session

pytestmark = pytest.mark.xdist_group("browser")
OUT = Path("/work/shots/adaptive")


def test_shots(browser: Any, page: Any, live_server: str, phrase_cache: Path, screenshot_dir: Path) -> None:
    session_id = _make_adaptive_session(page, screenshot_dir)
    for scheme in ("light", "dark"):
        for w, h in ((390, 844), (1280, 900)):
            ctx = browser.new_context(base_url=live_server, viewport={"width": w, "height": h}, color_scheme=scheme)
            p = ctx.new_page()
            tag = f"{w}x{h}-{'night' if scheme == 'dark' else 'light'}"
            p.goto("/sessions/new")
            p.get_by_label("Follow my muscle with a sensor (adaptive)").check()
            p.locator("#technique").select_option("breathing")
            p.get_by_role("button", name="Record my session").click()
            p.wait_for_selector(".has-error")
            p.screenshot(path=str(OUT / f"builder-error-{tag}.png"), full_page=True)
            p.goto(f"/sessions/{session_id}")
            p.screenshot(path=str(OUT / f"player-{tag}.png"), full_page=True)
            if w == 1280 and scheme == "light" or w == 390 and scheme == "dark":
                p.locator("#skip-before").click()
                p.wait_for_function("() => window.unclenchAdaptive.stats.played.length >= 1", timeout=20_000)
                p.evaluate(FEED, {"state": "tense", "ratio": 2.0, "quality": "good", "level": 0.7})
                p.wait_for_timeout(3000)
                p.screenshot(path=str(OUT / f"player-playing-{tag}.png"), full_page=True)
            ctx.close()
