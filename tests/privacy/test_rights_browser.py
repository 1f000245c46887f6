"""The "Your data" page in Chromium: download, a wrong word refused beside its field, then everything deleted.

Screenshots at a phone and a desktop size, in the light and the night theme, land in the screenshot folder
(UNCLENCH_SCREENSHOT_DIR); axe-core finds no serious or critical problem in any of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.accounts.test_ownership import _fill_every_domain
from tests.web.test_pages_a11y import AXE, SIZES, THEMES, _serious
from unclench.core.db import session_scope
from unclench.diary import service as diary

pytestmark = pytest.mark.xdist_group("browser")


def _check(page: Any, shots: Path, name: str) -> None:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    failing, found = _serious(page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"])
    assert failing == 0, found
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_the_page_downloads_refuses_a_wrong_word_and_deletes(
    browser: Any, live_server: str, screenshot_dir: Path
) -> None:
    with session_scope() as db:
        _fill_every_domain(db, 1)
    shots = screenshot_dir / "privacy"
    shots.mkdir(parents=True, exist_ok=True)
    combos = [(size, theme) for size in SIZES for theme in THEMES]
    for size, theme in combos:
        context = browser.new_context(
            base_url=live_server,
            viewport=SIZES[size],
            color_scheme=THEMES[theme],
            bypass_csp=True,
            accept_downloads=True,
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg, errors=errors: errors.append(msg.text) if msg.type == "error" else None)
        page.goto("/privacy/data")
        assert page.get_by_role("heading", name="Delete all my data").is_visible()
        _check(page, shots, f"{size}-{theme}-data")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download all my data (ZIP)").click()
        assert download.value.suggested_filename.startswith("unclench-my-data-")
        page.get_by_label("Type DELETE to confirm").fill("delete")
        page.get_by_role("button", name="Delete all my data").click()
        alert = page.locator("#confirm-error")
        assert "Type DELETE in capital letters" in alert.inner_text()
        assert page.get_by_label("Type DELETE to confirm").input_value() == "delete"  # kept as typed
        _check(page, shots, f"{size}-{theme}-data-refused")
        assert [e for e in errors if "status of 422" not in e] == []  # the refusal itself is a 422 page
        context.close()
    with session_scope() as db:
        assert diary.list_episodes(db)  # nothing went on a wrong word
    for index, (size, theme) in enumerate(combos):
        context = browser.new_context(
            base_url=live_server, viewport=SIZES[size], color_scheme=THEMES[theme], bypass_csp=True
        )
        page = context.new_page()
        page.goto("/privacy/data")
        if index == 0:
            page.get_by_label("Type DELETE to confirm").fill("DELETE")
            page.get_by_role("button", name="Delete all my data").click()
            page.wait_for_url("**/privacy/data?deleted=1")
        else:
            page.goto("/privacy/data?deleted=1")
        assert "Everything you kept here is deleted" in page.get_by_role("status").inner_text()
        assert "You keep no data here yet." in page.content()
        _check(page, shots, f"{size}-{theme}-data-deleted")
        context.close()
    with session_scope() as db:
        assert diary.list_episodes(db) == []
