"""In real Chromium: make a programme on its page, then see the "Due today" card on the home and Relax pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from unclench.sessions import service

pytestmark = pytest.mark.xdist_group("browser")

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def test_a_programme_made_on_its_page_shows_due_today_on_home_and_relax(
    page: Any, browser: Any, live_server: str, screenshot_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sessions are queued, not recorded: this is about the pages (rendering has its own browser test).
    monkeypatch.setattr(service, "start_render", lambda *args, **kwargs: None)
    page.goto("/programme/new")
    page.locator("#title").fill("Jaw weeks")
    page.locator("#s0_per_week").select_option("7")
    page.locator("#s0_minutes").fill("5")
    page.locator("#s0_technique").select_option("breathing")
    page.locator("#checkin").select_option("daily")
    page.locator("#questionnaire").select_option("pss10")
    page.get_by_role("button", name="Save the programme").click()
    page.wait_for_url("**/programme")
    assert "Jaw weeks" in page.locator("#due-today").inner_text()

    page.goto("/")
    card = page.locator("#due-today")
    assert card.is_visible() and card.get_by_role("heading", name="Due today").is_visible()
    tasks = card.locator("li.due-task.is-due")
    assert tasks.count() == 3
    assert card.get_by_role("link", name="Today's check-in").get_attribute("href") == "/checkin"
    card.get_by_role("link", name="Perceived Stress Scale").click()
    page.wait_for_url("**/stress/pss")
    assert "Perceived Stress Scale" in page.locator("h1").inner_text()
    page.goto("/")
    card.get_by_role("link", name="Listen to").click()
    page.wait_for_url("**/sessions/*")

    page.goto("/sessions")  # the Relax page loads the same card with htmx
    page.wait_for_function("() => document.querySelector('#due-today h2') !== null")
    assert page.locator("#due-today li.due-task").count() == 3

    for size, viewport in SIZES.items():
        for theme in ("light", "dark"):
            context = browser.new_context(base_url=live_server, viewport=viewport, color_scheme=theme)
            shot = context.new_page()
            for name, path in (
                ("home", "/"),
                ("programme", "/programme"),
                ("programme-form", "/programme/new"),
                ("relax", "/sessions"),
            ):
                shot.goto(path)
                if name == "relax":
                    shot.wait_for_function("() => document.querySelector('#due-today h2') !== null")
                shot.screenshot(path=str(screenshot_dir / f"programme-{name}-{size}-{theme}.png"), full_page=True)
            context.close()


def test_a_programme_is_deleted_after_a_question_and_comes_back_with_undo(
    page: Any, browser: Any, live_server: str, screenshot_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "start_render", lambda *args, **kwargs: None)
    page.goto("/programme/new")
    page.locator("#title").fill("Calf nights")
    page.get_by_role("button", name="Save the programme").click()
    page.wait_for_url("**/programme")
    page.get_by_role("link", name="Change this programme").click()
    page.wait_for_url("**/programme/*/edit")
    edit_url = page.url
    _screenshots(browser, live_server, screenshot_dir, "programme-edit", edit_url)

    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Delete this programme").click()
    assert questions and "you can undo it" in questions[0] and page.url == edit_url  # said no: nothing happened

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete this programme").click()
    page.wait_for_url("**/programme?deleted=*")
    flash = page.get_by_role("status").filter(has_text="deleted")
    assert "Programme “Calf nights” deleted." in flash.inner_text()
    assert page.locator("#programmes").count() == 0
    _screenshots(browser, live_server, screenshot_dir, "programme-deleted", page.url)

    flash.get_by_role("button", name="Undo").click()
    page.wait_for_url(lambda url: url.endswith("/programme"))
    assert "Calf nights" in page.locator("#programmes").inner_text()


def _screenshots(browser: Any, live_server: str, screenshot_dir: Path, name: str, url: str) -> None:
    for size, viewport in SIZES.items():
        for theme in ("light", "dark"):
            context = browser.new_context(base_url=live_server, viewport=viewport, color_scheme=theme)
            shot = context.new_page()
            shot.goto(url)
            shot.screenshot(path=str(screenshot_dir / f"{name}-{size}-{theme}.png"), full_page=True)
            context.close()
