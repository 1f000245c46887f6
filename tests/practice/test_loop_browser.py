"""Issue 18's whole loop in real Chromium, on a clinic of real processes (`unclench serve --clinic` and `unclench
worker` on PostgreSQL): the practitioner invites, the client signs up and consents, the practitioner prescribes a
programme in the builder, a worker records it, the client plays it in the player and rates it, and the roster shows
the adherence and the tension drop.

The listen counts by the real rule (60 % of the session heard, as the player measures it from time actually
played); the audio plays at four times the speed to keep the test short.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.clinic_cluster import clinic
from tests.conftest import FrozenClock
from tests.core.test_queue_processes import (  # noqa: F401  (the fixture)
    PASSWORD,
    RENDER_TIMEOUT_S,
    _practitioner,
    clinic_database,
)

pytestmark = pytest.mark.xdist_group("clinic_processes")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
PLAYBACK_RATE = 4  # the player counts steps under 1.5 s between time updates (every 250 ms) as heard


def _sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _shots(browser: Any, base: str, page: Any, path: str, name: str, screenshot_dir: Path) -> None:
    """`path` as `page`'s signed-in browser sees it, at phone and desktop size, light and night."""
    state = page.context.storage_state()
    for size, viewport in SIZES.items():
        for theme in ("light", "dark"):
            context = browser.new_context(base_url=base, viewport=viewport, color_scheme=theme, storage_state=state)
            shot = context.new_page()
            errors: list[str] = []
            shot.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            shot.goto(path)
            assert shot.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"], (name, size)
            shot.screenshot(path=str(screenshot_dir / f"loop-{name}-{size}-{theme}.png"), full_page=True)
            assert errors == [], (name, size, theme, errors)
            context.close()


def _roster_cell(page: Any, label: str) -> str:
    return " ".join(page.locator(f'td[data-label="{label}"]').inner_text().split())


def test_the_whole_loop_invite_consent_prescribe_listen_rate_and_the_roster(
    clinic_database: str,  # noqa: F811
    tmp_path: Path,
    frozen_clock: FrozenClock,
    browser: Any,
    screenshot_dir: Path,
) -> None:
    _practitioner("carer@clinic.example")
    with clinic(clinic_database, tmp_path, UNCLENCH_NOW=frozen_clock.moment.instant.isoformat()) as running:
        base = running.start_web()
        running.start_worker()
        carer = browser.new_context(base_url=base, viewport=DESKTOP).new_page()
        client = browser.new_context(base_url=base, viewport=PHONE).new_page()  # the client on their phone
        try:
            _loop(running, browser, base, carer, client, screenshot_dir)
        except Exception:
            carer.screenshot(path=str(screenshot_dir / "loop-failed-practitioner.png"), full_page=True)
            client.screenshot(path=str(screenshot_dir / "loop-failed-client.png"), full_page=True)
            print(running.log_tail())
            raise
        finally:
            carer.context.close()
            client.context.close()


def _loop(running: Any, browser: Any, base: str, carer: Any, client: Any, screenshot_dir: Path) -> None:
    # The practitioner signs in and sets up the authenticator (required for practitioners), then invites.
    _sign_in(carer, "carer@clinic.example")
    carer.wait_for_url("**/account/second-factor")
    secret = carer.locator("figure.qr code").inner_text()
    carer.locator("#code").fill(pyotp.TOTP(secret).at(running.now()))
    carer.get_by_role("button", name="Turn it on").click()
    carer.get_by_text("recovery", exact=False).first.wait_for()
    carer.goto("/clients/invite")
    carer.get_by_role("button", name="Make an invitation").click()
    link = carer.locator(".invite-link").inner_text()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/invite/\S+", link), link

    # The client makes an account with the invitation and is taken to the consent page: nothing ticked.
    client.goto(link)
    client.locator("#email").fill("client@clinic.example")
    client.locator("#password").fill(PASSWORD)
    client.locator("#password_again").fill(PASSWORD)
    client.get_by_role("button", name="Make my account").click()
    client.wait_for_url("**/login")
    _sign_in(client, "client@clinic.example")
    client.wait_for_url("**/sharing/consent")
    boxes = client.locator('input[name="categories"]')
    assert boxes.count() == 7 and not any(boxes.nth(i).is_checked() for i in range(7))
    _shots(browser, base, client, "/sharing/consent", "consent", screenshot_dir)
    client.locator('input[name="categories"][value="diary"]').check()
    client.locator('input[name="categories"][value="sessions"]').check()
    client.get_by_role("button", name="Save what carer@clinic.example may see").click()
    client.wait_for_url("**/sharing")
    assert "Sessions and listens" in client.locator("main").inner_text()

    # The practitioner opens the roster from the menu, the client from it, and prescribes a programme there.
    carer.goto("/account")
    carer.get_by_role("navigation", name="Main", exact=True).get_by_role("link", name="Your clients").click()
    carer.wait_for_url("**/clinic")
    assert _roster_cell(carer, "Listening adherence against the programme") == "no programme"
    carer.get_by_role("link", name="client@clinic.example").click()
    carer.wait_for_url(re.compile(r".*/clinic/clients/\d+$"))
    carer.get_by_role("link", name="Home programme").click()
    carer.wait_for_url("**/programme")
    assert carer.locator("h1").inner_text() == "Prescribe a home programme for client@clinic.example"
    builder = carer.url.removeprefix(base)
    _shots(browser, base, carer, builder, "builder", screenshot_dir)
    carer.locator("#title").fill("Breathing weeks")
    carer.locator("#s0_per_week").select_option("7")
    carer.locator("#s0_minutes").fill("3")
    carer.locator("#s0_technique").select_option("breathing")
    carer.get_by_role("button", name="Save the programme").click()
    carer.wait_for_url("**/programme?saved=1")
    assert "Saved." in carer.locator(".flash").inner_text()
    carer.goto("/clinic")
    assert _roster_cell(carer, "Listening adherence against the programme") == "nothing due yet"

    # The client's home page says what is due; the player waits for the worker's recording.
    client.goto("/")
    card = client.locator("#due-today")
    assert "Breathing weeks" in card.inner_text()
    client.screenshot(path=str(screenshot_dir / "loop-due-today-phone-light.png"), full_page=True)
    card.get_by_role("link", name=re.compile("^Listen to")).click()
    client.wait_for_url(re.compile(r".*/sessions/[^/]+$"))
    client.wait_for_selector("#audio", state="attached", timeout=RENDER_TIMEOUT_S * 1000)
    client.screenshot(path=str(screenshot_dir / "loop-player-phone-light.png"), full_page=True)

    # Tension 7 before (one tap starts playback), played to its end, tension 3 after.
    client.locator('[data-before="7"]').click()
    client.evaluate(f"() => {{ document.getElementById('audio').playbackRate = {PLAYBACK_RATE}; }}")
    client.wait_for_function("() => document.getElementById('audio').currentTime > 1", timeout=20_000)
    client.locator("#after").wait_for(state="visible", timeout=180_000)  # the audio's "ended"
    client.locator('[data-after="3"]').click()
    client.locator("#thanks").wait_for(state="visible")
    client.goto("/sessions")
    listens = client.locator("#listens").inner_text()
    assert "tension 7 → 3" in listens and "not counted" not in listens, listens
    client.goto("/")
    assert client.locator("#due-today li.due-task.is-due").count() == 0

    # The roster: one listen due so far, one done, and a drop of 4 points.
    carer.goto("/clinic")
    assert _roster_cell(carer, "Listening adherence against the programme") == "100 % (1 of 1 listens)"
    assert _roster_cell(carer, "Tension drop per listen") == "4.0 points (0–10) over 1 rated listen"
    _shots(browser, base, carer, "/clinic", "roster", screenshot_dir)
    # The client page: diary and listens shared, check-ins not, so no word on what goes with more episodes
    carer.locator("table a[href^='/clinic/clients/']").first.click()
    carer.wait_for_url(re.compile(r".*/clinic/clients/\d+$"))
    insights = carer.locator("section", has=carer.get_by_role("heading", name="What goes with more episodes"))
    assert "not shared: this needs their diary and their check-ins" in insights.inner_text()
    _shots(browser, base, carer, carer.url.split(base, 1)[1], "client", screenshot_dir)
