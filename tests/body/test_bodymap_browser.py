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


def test_the_map_is_one_tab_stop_arrows_move_and_enter_or_space_selects(map_page: Any) -> None:
    map_page.goto(f"{ORIGIN}/with-listener")
    map_page.keyboard.press("Tab")
    assert map_page.evaluate("document.activeElement.textContent") == "Skip past the body map"
    map_page.keyboard.press("Tab")
    assert map_page.evaluate("document.activeElement.dataset.region") == "scalp"
    map_page.keyboard.press("Enter")
    map_page.keyboard.press("ArrowDown")
    assert map_page.evaluate("document.activeElement.dataset.region") == "forehead"
    map_page.keyboard.press("Space")
    picked = map_page.evaluate("window.picked")
    assert [p["region"] for p in picked] == ["scalp", "forehead"]
    assert map_page.evaluate("window.scrollY") == 0  # Space did not scroll the page
    # The focus ring is drawn on top of the figure, in the focused shape's outline.
    ring = map_page.locator(".bodymap-front .bodymap-ring .ring-inner")
    assert ring.get_attribute("d") == map_page.evaluate("document.activeElement.getAttribute('d')")
    map_page.keyboard.press("ArrowRight")  # from the front figure's forehead towards the back figure
    map_page.keyboard.press("Tab")  # one more Tab leaves the map: the shapes are not Tab stops
    assert map_page.evaluate("document.activeElement.closest('.bodymap svg')") is None
    map_page.keyboard.press("Shift+Tab")  # back in: on the shape last moved to
    assert map_page.evaluate("document.activeElement.classList.contains('region')")
    assert map_page.locator('.bodymap .region[tabindex="0"]').count() == 1


def test_arrow_keys_reach_every_shape(map_page: Any) -> None:
    map_page.goto(f"{ORIGIN}/with-listener")
    reached = map_page.evaluate(
        """() => {
          const shapes = [...document.querySelectorAll('.bodymap .region')];
          const key = el => el.closest('figure').id + ':' + el.dataset.region + '/' + el.dataset.side;
          const seen = new Set([key(shapes[0])]), todo = [shapes[0]];
          while (todo.length) {
            const from = todo.pop();
            for (const k of ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight']) {
              from.focus();
              from.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true, cancelable: true}));
              const to = document.activeElement;
              if (to.classList.contains('region') && !seen.has(key(to))) { seen.add(key(to)); todo.push(to); }
            }
          }
          return [seen.size, shapes.length];
        }"""
    )
    assert reached[0] == reached[1]


def test_the_skip_link_jumps_past_the_map(map_page: Any) -> None:
    map_page.goto(f"{ORIGIN}/with-listener")
    map_page.keyboard.press("Tab")
    assert map_page.locator(".bodymap-skip").is_visible()  # shown while focused
    map_page.keyboard.press("Enter")
    assert map_page.evaluate("document.activeElement.id") == "bodymap-after"


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


HIT_POINT = """(selector) => {
  const el = document.querySelector(selector), svg = el.ownerSVGElement;
  const box = el.getBBox(), ctm = el.getScreenCTM(), rect = el.getBoundingClientRect();
  for (let i = 1; i < 16; i++) for (let j = 1; j < 16; j++) {
    const p = svg.createSVGPoint();
    p.x = box.x + box.width * i / 16; p.y = box.y + box.height * j / 16;
    if (!el.isPointInFill(p)) continue;
    const s = p.matrixTransform(ctm);
    if (document.elementFromPoint(s.x, s.y) === el) return {x: s.x, y: s.y, width: rect.width, height: rect.height};
  }
  return null;
}"""


def test_on_a_phone_a_tap_chooses_only_targets_of_44px_and_zooms_in_on_smaller_ones(
    browser: Any, screenshot_dir: Path
) -> None:
    """WCAG 2.5.5: every place is chosen by a tap on a target at least 44×44 px; small ones zoom in first."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True)
    context.route(f"{ORIGIN}/**", serve)
    page = context.new_page()
    zoomed_for = set()
    try:
        page.goto(f"{ORIGIN}/with-listener")
        for view in ("front", "back"):
            page.click(f'.bodymap-toggle button[data-show="{view}"]')
            shapes = page.locator(f".bodymap-{view} .region")
            for i in range(shapes.count()):
                region, side = shapes.nth(i).get_attribute("data-region"), shapes.nth(i).get_attribute("data-side")
                selector = f'.bodymap-{view} .region[data-region="{region}"][data-side="{side}"]'
                if page.locator(".bodymap-unzoom").is_visible():
                    page.click(".bodymap-unzoom")
                before = len(page.evaluate("window.picked || []"))
                for _ in range(3):  # at most a zoom or two, then the choice
                    point = page.evaluate(HIT_POINT, selector)
                    assert point is not None, f"{view} {region}/{side} cannot be tapped"
                    # A click at the exact point (a touch tap would be moved by Chromium's touch adjustment).
                    page.mouse.click(point["x"], point["y"])
                    picked = page.evaluate("window.picked || []")
                    if len(picked) > before:
                        break
                    zoomed_for.add(region)
                assert picked[-1]["region"] == region and picked[-1]["side"] == side
                assert point["width"] >= 44 and point["height"] >= 44, (view, region, side, point)
                if region == "eyelid" and side == "left":
                    page.screenshot(path=str(screenshot_dir / "bodymap-phone-zoomed-eyelid.png"))
    finally:
        context.close()
    assert {"eyelid", "hand", "foot", "throat"} <= zoomed_for
    assert not {"thigh_front", "stomach", "upper_back"} & zoomed_for  # big parts are chosen with one tap


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
    map_page.keyboard.press("Tab")  # the skip link
    map_page.keyboard.press("Tab")
    assert hint.inner_text() == "Scalp / head — not logged in the last 30 days"
