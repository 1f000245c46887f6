"""The clickable body map: front and back SVG figures with one shape per region and side, shaded by counts.

``render_body_map`` returns one ``<div class="bodymap">`` ready to drop into a page. Load
``body_map_assets()`` (the CSS and the small script) once in the page's head. The outlines come
from ``shapes.json`` (drawn by ``tools/draw_shapes.py``); region ids and labels from the taxonomy.

Orientation: the front view shows the person facing you, so their left is on your right; the back
view shows them from behind, so their left is on your left.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from unclench.body.taxonomy import Region, get_region, normalise_side
from unclench.core.errors import UserInputError

SHAPES_FILE = Path(__file__).with_name("shapes.json")
VIEWS = ("front", "back")
VIEW_TITLES = {"front": "Front of the body", "back": "Back of the body"}
HEAT_LEVELS = 4  # heat-1 .. heat-4; heat-0 means never logged
NEW_EPISODE_URL = "/episodes/new"
HINT = "Tap or click where you feel it."
SIDES = ("left", "right", "both", "centre")


@dataclass(frozen=True)
class Shape:
    view: str
    region: str
    side: str  # "left", "right" (the person's own sides) or "centre"
    d: str


@lru_cache(maxsize=1)
def load_shapes() -> tuple[str, tuple[Shape, ...]]:
    """The viewBox and every shape, in drawing (and Tab) order."""
    raw = _raw_shapes()
    shapes = tuple(
        Shape(view=view, region=item["region"], side=item["side"], d=item["d"])
        for view in VIEWS
        for item in raw["views"][view]
    )
    return raw["viewBox"], shapes


@lru_cache(maxsize=1)
def _raw_shapes() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SHAPES_FILE.read_text(encoding="utf-8"))
    return data


def decor_paths(view: str) -> list[str]:
    """Non-interactive lines (nose, mouth) for a view."""
    return list(_raw_shapes().get("decor", {}).get(view, []))


def body_map_assets() -> Markup:
    """The <link> and <script> tags the map needs; put them in the page's head once."""
    return Markup(
        '<link rel="stylesheet" href="/static/body/bodymap.css">\n<script src="/static/body/bodymap.js" defer></script>'
    )


def heat_level(count: int, highest: int) -> int:
    """0 when never logged, else 1-4 by the share of the highest count (the highest gets 4).

    The scale never goes below 4 episodes, so a few episodes show light shades rather than the
    darkest one: a single cramp is not painted as alarming as a month of them.
    """
    if count <= 0 or highest <= 0:
        return 0
    scale = max(highest, HEAT_LEVELS)
    return max(1, min(HEAT_LEVELS, math.ceil(HEAT_LEVELS * count / scale)))


def heat_ranges(highest: int) -> list[tuple[int, int, int]]:
    """(level, lowest count, highest count) for each level that the counts up to ``highest`` reach."""
    scale = max(highest, HEAT_LEVELS)
    ranges = []
    for level in range(1, HEAT_LEVELS + 1):
        lo = math.floor(scale * (level - 1) / HEAT_LEVELS) + 1
        hi = min(math.floor(scale * level / HEAT_LEVELS), highest)
        if lo <= hi:
            ranges.append((level, lo, hi))
    return ranges


def shape_counts(
    counts: Mapping[str, int] | None, side_counts: Mapping[tuple[str, str], int] | None
) -> dict[tuple[str, str], int] | None:
    """How often each drawn shape (region, side) was logged; None when no counts were given.

    With ``side_counts`` an episode logged on "both" sides counts for the left and the right shape,
    and a midline region's shape counts every side. With only ``counts`` (per region) both sides of
    a lateral region show the region's total.
    """
    if counts is None and side_counts is None:
        return None
    _, shapes = load_shapes()
    result: dict[tuple[str, str], int] = {}
    if side_counts is not None:
        clean: dict[tuple[str, str], int] = {}
        for key, value in side_counts.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise UserInputError.single("side_counts", f"{key!r} is not a (region, side) pair.")
            region_id, side = key
            get_region(region_id, field="side_counts")
            if side not in SIDES:
                raise UserInputError.single("side_counts", f"'{side}' is not a side. Use one of {', '.join(SIDES)}.")
            clean[(region_id, side)] = clean.get((region_id, side), 0) + _count(value, "side_counts")
        for shape in shapes:
            if shape.side == "centre":
                n = sum(clean.get((shape.region, s), 0) for s in SIDES)
            else:
                n = clean.get((shape.region, shape.side), 0) + clean.get((shape.region, "both"), 0)
            result[(shape.region, shape.side)] = n
        return result
    assert counts is not None
    totals: dict[str, int] = {}
    for region_id, value in counts.items():
        get_region(region_id, field="counts")
        totals[region_id] = _count(value, "counts")
    for shape in shapes:
        result[(shape.region, shape.side)] = totals.get(shape.region, 0)
    return result


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UserInputError.single(field, f"{value!r} is not a count; use a whole number of 0 or more.")
    return value


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def shape_label(region: Region, side: str, count: int | None, period_label: str) -> str:
    """The accessible name, e.g. 'Calf (left) — logged 3 times in the last 30 days'."""
    name = region.describe(side)
    if count is None:
        return name
    said = f"logged {_times(count)}" if count else "not logged"
    return f"{name} — {said} {period_label}".rstrip()


def _selected_shapes(selected: tuple[str, str] | None) -> set[tuple[str, str]]:
    if selected is None:
        return set()
    region = get_region(selected[0], field="selected")
    side = normalise_side(region, selected[1], field="selected")
    if side == "both":
        return {(region.id, "left"), (region.id, "right")}
    return {(region.id, side)}


def render_body_map(
    counts: Mapping[str, int] | None = None,
    *,
    side_counts: Mapping[tuple[str, str], int] | None = None,
    selected: tuple[str, str] | None = None,
    period_label: str = "",
    id_prefix: str = "bodymap",
    pick_url: str = NEW_EPISODE_URL,
    hint: str = HINT,
) -> Markup:
    """The body map as one ``<div class="bodymap">``: a front and a back SVG, a view toggle and a legend.

    Parameters
    ----------
    counts:
        Episodes per region id (both sides together), for the heat shading.
    side_counts:
        Episodes per (region id, side) with side in left/right/both/centre; when given it is used
        instead of ``counts``, so the left and right shapes can differ.
    selected:
        A (region id, side) to mark as chosen (``aria-pressed="true"`` and class ``is-selected``).
    period_label:
        Words for the period, e.g. "in the last 30 days"; used in labels and the legend.
    id_prefix:
        Prefix for element ids; give a different one to each map on the same page.
    pick_url:
        Where a tap goes, with ``region`` and ``side`` added to its query (default: log an episode there).
    hint:
        The line under the figures saying what a tap does.

    Raises
    ------
    UserInputError
        For an unknown region, a side that is not one, or a count that is not a whole number >= 0.
    """
    view_box, shapes = load_shapes()
    per_shape = shape_counts(counts, side_counts)
    chosen = _selected_shapes(selected)
    highest = max(per_shape.values(), default=0) if per_shape is not None else 0
    pid = escape(id_prefix)
    period = escape(period_label)

    parts: list[str] = [
        f'<div class="bodymap" id="{pid}" data-view="front" data-new-url="{escape(pick_url)}">',
        f'<div class="bodymap-toggle" role="group" aria-label="Which side of the body to show">'
        f'<button type="button" class="secondary" data-show="front" aria-pressed="true" aria-controls="{pid}-front">Front</button>'
        f'<button type="button" class="secondary" data-show="back" aria-pressed="false" aria-controls="{pid}-back">Back</button>'
        "</div>",
        '<div class="bodymap-views">',
    ]
    for view in VIEWS:
        parts.append(f'<figure class="bodymap-view bodymap-{view}" id="{pid}-{view}">')
        parts.append(
            f'<svg viewBox="{view_box}" role="group" aria-labelledby="{pid}-{view}-title" '
            f'xmlns="http://www.w3.org/2000/svg" focusable="false">'
        )
        parts.append(f'<title id="{pid}-{view}-title">{VIEW_TITLES[view]}: choose where you feel it</title>')
        parts.append(_side_marks(view))
        parts.append('<g class="bodymap-body">')
        for shape in shapes:
            if shape.view != view:
                continue
            region = get_region(shape.region)
            count = per_shape[(shape.region, shape.side)] if per_shape is not None else None
            level = heat_level(count or 0, highest)
            is_chosen = (shape.region, shape.side) in chosen
            label = escape(shape_label(region, shape.side, count, period_label))
            short = escape(region.describe(shape.side))
            css = f"region heat-{level}" + (" is-selected" if is_chosen else "")
            parts.append(
                f'<path class="{css}" d="{shape.d}" data-region="{shape.region}" data-side="{shape.side}" '
                f'data-label="{short}" data-count="{count if count is not None else ""}" tabindex="0" role="button" '
                f'aria-pressed="{"true" if is_chosen else "false"}" aria-label="{label}"></path>'
            )
        parts.append("</g>")
        decor = "".join(f'<path d="{d}"/>' for d in decor_paths(view))
        if decor:
            parts.append(f'<g class="bodymap-decor" aria-hidden="true">{decor}</g>')
        parts.append("</svg>")
        parts.append(f"<figcaption>{'Front' if view == 'front' else 'Back'}</figcaption>")
        parts.append("</figure>")
    parts.append("</div>")
    # What the pointer or focus is on, for sighted users (screen readers hear each shape's own label).
    parts.append(f'<p class="bodymap-hint" aria-hidden="true" data-idle="{escape(hint)}">{escape(hint)}</p>')
    if per_shape is not None:
        parts.append(_legend(highest, period))
    parts.append("</div>")
    return Markup("".join(parts))


def _side_marks(view: str) -> str:
    """Small 'R' and 'L' marks in the top corners so the person can tell the sides apart."""
    left_x, right_x = (150, 50) if view == "front" else (50, 150)
    return (
        f'<g class="bodymap-sides" aria-hidden="true">'
        f'<text x="{right_x}" y="20" text-anchor="middle">R</text>'
        f'<text x="{left_x}" y="20" text-anchor="middle">L</text></g>'
    )


def _legend(highest: int, period: Markup) -> str:
    items = ['<li><span class="swatch heat-0"></span>Not logged</li>']
    for level, lo, hi in heat_ranges(highest):
        text = f"{lo}" if lo == hi else f"{lo}–{hi}"
        items.append(f'<li><span class="swatch heat-{level}"></span>{text}</li>')
    caption = f"Times logged {period}".rstrip() if highest else f"Nothing logged {period}".rstrip()
    return f'<div class="bodymap-legend"><p class="muted">{caption}</p><ul>{"".join(items)}</ul></div>'
