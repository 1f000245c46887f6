"""The layout in real Chromium: the night theme and its switch, and the phone's tab bar."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.xdist_group("browser")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Records the theme on <html> at the moment <body> is parsed, i.e. before anything can be painted.
THEME_AT_BODY = """
new MutationObserver((changes, observer) => {
  if (document.body) {
    window.themeAtBody = document.documentElement.dataset.theme || 'auto';
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""
LIGHT_BG = "rgb(246, 244, 239)"
NIGHT_BG = "rgb(24, 22, 20)"


@pytest.fixture
def phone(browser: Any, live_server: str) -> Iterator[Any]:
    """A page in a phone-sized, touch-screen browser."""
    context = browser.new_context(base_url=live_server, viewport=PHONE, has_touch=True)
    yield context.new_page()
    context.close()


def background(page: Any) -> str:
    return str(page.evaluate("getComputedStyle(document.documentElement).backgroundColor"))


@pytest.mark.parametrize(("scheme", "expected"), [("light", LIGHT_BG), ("dark", NIGHT_BG)])
def test_auto_follows_the_system_colour_scheme(browser: Any, live_server: str, scheme: str, expected: str) -> None:
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto("/")
        assert background(page) == expected
        assert page.locator('meta[name="color-scheme"]').get_attribute("content") == "light dark"
        assert page.locator('[data-theme-choice="auto"]').first.get_attribute("aria-pressed") == "true"
    finally:
        context.close()


def test_the_switch_is_remembered_and_applied_before_the_first_paint(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, color_scheme="light")
    context.add_init_script(THEME_AT_BODY)
    try:
        page = context.new_page()
        page.goto("/timeline")
        assert page.evaluate("window.themeAtBody") == "auto" and background(page) == LIGHT_BG
        page.locator("footer").get_by_role("button", name="Night").click()
        assert page.evaluate("document.documentElement.dataset.theme") == "night"
        assert background(page) == NIGHT_BG
        assert page.locator('footer [data-theme-choice="night"]').get_attribute("aria-pressed") == "true"
        page.goto("/calendar")  # the next page is night from its first paint: no white flash
        assert page.evaluate("window.themeAtBody") == "night"
        assert background(page) == NIGHT_BG  # (the stylesheet in <head> blocks rendering until it is read)
        page.locator("footer").get_by_role("button", name="Auto").click()
        assert page.evaluate("document.documentElement.dataset.theme") is None
        page.reload()
        assert page.evaluate("window.themeAtBody") == "auto" and background(page) == LIGHT_BG
    finally:
        context.close()


def test_night_text_is_never_pure_white_and_has_little_blue(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto("/")
        colours = page.evaluate(
            """() => [...new Set([...document.querySelectorAll('body *')]
                  .filter(el => el.offsetParent !== null && el.textContent.trim())
                  .map(el => getComputedStyle(el).color))]"""
        )
        assert colours
        for colour in colours:
            r, g, b = (int(v) for v in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3])
            assert (r, g, b) != (255, 255, 255), colour
            assert b <= max(r, g), f"{colour} is bluer than it is warm"
    finally:
        context.close()


def test_a_phone_gets_a_bottom_tab_bar_and_a_desktop_the_top_menu(phone: Any) -> None:
    page = phone
    page.goto("/")
    tabs = page.get_by_role("navigation", name="Main (tabs)")
    assert tabs.is_visible() and not page.locator("nav.topnav").is_visible()
    assert [a.inner_text().strip() for a in tabs.get_by_role("link").all()] == ["Today", "Log", "Relax", "More"]
    bar = tabs.bounding_box()
    assert bar is not None and bar["y"] + bar["height"] == PHONE["height"]  # on the bottom edge
    assert all((b := a.bounding_box()) and b["height"] >= 44 for a in tabs.get_by_role("link").all())
    assert tabs.get_by_role("link", name="Today").get_attribute("aria-current") == "page"
    tabs.get_by_role("link", name="More").click()
    page.wait_for_url("**/more")
    more = page.get_by_role("navigation", name="More pages")
    names = [a.locator(".more-label").inner_text() for a in more.get_by_role("link").all()]
    assert names == [
        "Timeline",
        "Calendar",
        "Check-in",
        "Safety",
        "Stress",
        "Programme",
        "Biofeedback",
        "Insights",
        "Reports",
    ]
    more.get_by_role("link", name="Calendar").click()
    page.wait_for_url("**/calendar")
    # Pages reached through More keep the More tab lit.
    assert tabs.get_by_role("link", name="More").get_attribute("aria-current") == "page"
    page.set_viewport_size(DESKTOP)
    assert not tabs.is_visible() and page.locator("nav.topnav").is_visible()
    assert page.locator("nav.topnav").get_by_role("link", name="Calendar").get_attribute("aria-current") == "page"


def test_the_check_in_fits_one_phone_screen_with_the_rest_folded(phone: Any) -> None:
    page = phone
    page.goto("/checkin")
    tab_bar = page.get_by_role("navigation", name="Main (tabs)").bounding_box()
    save = page.get_by_role("button", name="Save check-in").first
    assert tab_bar is not None and (box := save.bounding_box()) is not None
    assert box["y"] + box["height"] <= tab_bar["y"]  # the core items and Save above the tab bar, no scrolling
    assert not page.locator("details.more-checkin").evaluate("d => d.open")
    assert not page.get_by_label("Mood").is_visible()
    taps = page.locator(".tap-scale label")
    assert taps.count() == 11
    assert all((b := t.bounding_box()) and b["width"] >= 44 and b["height"] >= 44 for t in taps.all())
    taps.filter(has_text="7").tap()
    page.get_by_label("Hours slept last night").fill("6.5")
    page.get_by_label("Caffeinated drinks").fill("2")
    save.tap()
    page.wait_for_url("**saved=1")
    assert page.locator('.tap-scale input[value="7"]').is_checked()
    assert page.get_by_label("Hours slept last night").input_value() == "6.5"
