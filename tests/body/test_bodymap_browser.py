"""The body map in real headless Chromium: every shape can be hit, clicks and keys select, the toggle works.

The page is served from memory through Playwright's request routing (no app server needed), with the
real app.css, bodymap.css and bodymap.js. Screenshots land in build/screenshots for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from unclench.body.bodymap import body_map_assets, render_body_map

STATIC = Path(__file__).resolve().parents[2] / "src" / "unclench" / "web" / "static"
ORIGIN = "http://bodymap.test"
SIDE_COUNTS = {
    ("jaw", "left"): 7,
    ("jaw", "right"): 2,
    ("neck_back", "both"): 5,
    ("shoulder", "right"): 9,
    ("calf", "left"): 3,
    ("eyelid", "left"): 12,
    ("lower_back", "both"): 4,
    ("stomach", "centre"): 1,
}


def page_html(listener: bool) -> str:
    script = (
        "<script>document.addEventListener('region-selected', function (e) {"
        " window.picked = (window.picked || []).concat([e.detail]); e.preventDefault(); });</script>"
        if listener
        else ""
    )
    body_map = render_body_map(side_counts=SIDE_COUNTS, period_label="in the last 30 days")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Body map</title>'
        f'<link rel="stylesheet" href="/static/css/app.css">{body_map_assets()}</head>'
        f'<body><main><div class="card"><h2>Where do you feel it?</h2>{body_map}</div></main>{script}</body></html>'
    )


def serve(route: Any) -> None:
    url: str = route.request.url
    path = url.removeprefix(ORIGIN).split("?")[0]
    if path.startswith("/static/"):
        file = STATIC / path.removeprefix("/static/")
        kind = "text/css" if file.suffix == ".css" else "text/javascript"
        route.fulfill(status=200, body=file.read_text(encoding="utf-8"), content_type=kind)
    elif path == "/episodes/new":
        route.fulfill(
            status=200, body="<!doctype html><title>New episode</title><h1>New episode</h1>", content_type="text/html"
        )
    else:
        listener = path == "/with-listener"
        route.fulfill(status=200, body=page_html(listener), content_type="text/html")


@pytest.fixture
def map_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.route(f"{ORIGIN}/**", serve)
    page = context.new_page()
    yield page
    context.close()


def test_every_shape_can_be_hit_where_it_is_drawn(map_page: Any, screenshot_dir: Path) -> None:
    map_page.goto(f"{ORIGIN}/with-listener")
    misses = map_page.evaluate(
        """() => {
          const misses = [];
          for (const el of document.querySelectorAll('.bodymap .region')) {
            const svg = el.ownerSVGElement, box = el.getBBox(), ctm = el.getScreenCTM();
            let hit = false;
            for (let i = 1; i < 12 && !hit; i++) for (let j = 1; j < 12 && !hit; j++) {
              const p = svg.createSVGPoint();
              p.x = box.x + box.width * i / 12; p.y = box.y + box.height * j / 12;
              if (!el.isPointInFill(p)) continue;
              const s = p.matrixTransform(ctm);
              hit = document.elementFromPoint(s.x, s.y) === el;
            }
            if (!hit) misses.push(el.dataset.region + '/' + el.dataset.side);
          }
          return misses;
        }"""
    )
    assert misses == []
    map_page.screenshot(path=str(screenshot_dir / "bodymap-desktop.png"), full_page=True)


def test_click_dispatches_region_selected_and_marks_the_shape(map_page: Any) -> None:
    map_page.goto(f"{ORIGIN}/with-listener")
    map_page.click('.bodymap-back .region[data-region="calf"][data-side="left"]')
    assert map_page.evaluate("window.picked") == [{"region": "calf", "side": "left", "label": "Calf (left)"}]
    shape = map_page.locator('.bodymap-back .region[data-region="calf"][data-side="left"]')
    assert shape.get_attribute("aria-pressed") == "true"
    assert "is-selected" in (shape.get_attribute("class") or "")
    assert map_page.url == f"{ORIGIN}/with-listener"  # the listener cancelled the navigation
    # choosing another region moves the mark
    map_page.click('.bodymap-front .region[data-region="throat"]')
    assert shape.get_attribute("aria-pressed") == "false"
    assert map_page.locator(".region.is-selected").count() == 1


def test_without_a_listener_a_click_starts_a_new_episode(map_page: Any) -> None:
    map_page.goto(f"{ORIGIN}/")
    with map_page.expect_navigation():
        map_page.click('.bodymap-front .region[data-region="thigh_front"][data-side="left"]')
    assert map_page.url == f"{ORIGIN}/episodes/new?region=thigh_front&side=left"


def test_tab_reaches_the_regions_and_enter_or_space_selects(map_page: Any) -> None:
    map_page.goto(f"{ORIGIN}/with-listener")
    map_page.keyboard.press("Tab")
    first = map_page.evaluate("document.activeElement.dataset.region")
    assert first == "scalp"
    map_page.keyboard.press("Enter")
    map_page.keyboard.press("Tab")
    map_page.keyboard.press("Space")
    picked = map_page.evaluate("window.picked")
    assert [p["region"] for p in picked] == ["scalp", "forehead"]
    assert map_page.evaluate("window.scrollY") == 0  # Space did not scroll the page
    # every shape, front and back, is in the Tab order
    map_page.reload()
    total = map_page.locator(".bodymap .region").count()
    seen = set()
    for _ in range(total):
        map_page.keyboard.press("Tab")
        seen.add(
            map_page.evaluate(
                "(e => e.closest('figure').id + ':' + e.dataset.region + '/' + e.dataset.side)(document.activeElement)"
            )
        )
    assert len(seen) == total


def test_phone_shows_one_view_with_a_front_back_toggle(browser: Any, screenshot_dir: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True)
    context.route(f"{ORIGIN}/**", serve)
    page = context.new_page()
    try:
        page.goto(f"{ORIGIN}/with-listener")
        assert page.locator(".bodymap-toggle").is_visible()
        assert page.locator(".bodymap-front").is_visible()
        assert not page.locator(".bodymap-back").is_visible()
        page.screenshot(path=str(screenshot_dir / "bodymap-phone-front.png"), full_page=True)
        page.click('.bodymap-toggle button[data-show="back"]')
        assert page.locator(".bodymap-back").is_visible()
        assert not page.locator(".bodymap-front").is_visible()
        assert page.locator('.bodymap-toggle button[data-show="back"]').get_attribute("aria-pressed") == "true"
        page.tap('.bodymap-back .region[data-region="lower_back"][data-side="right"]')
        assert page.evaluate("window.picked") == [
            {"region": "lower_back", "side": "right", "label": "Lower back (lumbar) (right)"}
        ]
        page.screenshot(path=str(screenshot_dir / "bodymap-phone-back.png"), full_page=True)
    finally:
        context.close()


def test_desktop_shows_both_views_and_no_toggle(map_page: Any) -> None:
    map_page.goto(f"{ORIGIN}/")
    assert not map_page.locator(".bodymap-toggle").is_visible()
    assert map_page.locator(".bodymap-front").is_visible()
    assert map_page.locator(".bodymap-back").is_visible()


def test_hint_line_names_the_shape_under_the_pointer_or_focus(map_page: Any) -> None:
    map_page.goto(f"{ORIGIN}/with-listener")
    hint = map_page.locator(".bodymap-hint")
    assert hint.inner_text() == "Tap or click where you feel it."
    map_page.hover('.bodymap-front .region[data-region="shoulder"][data-side="right"]')
    assert hint.inner_text() == "Shoulder / upper trapezius (right) — logged 9 times in the last 30 days"
    map_page.mouse.move(5, 5)
    assert hint.inner_text() == "Tap or click where you feel it."
    map_page.keyboard.press("Tab")
    assert hint.inner_text() == "Scalp / head — not logged in the last 30 days"
