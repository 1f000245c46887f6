"""The body map's markup: every region in every view, the right sides in the right places, heat and labels."""

from __future__ import annotations

import importlib.util
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from unclench.body import bodymap
from unclench.body.bodymap import heat_level, heat_ranges, render_body_map
from unclench.body.taxonomy import all_regions
from unclench.core.errors import UserInputError

SVG = "{http://www.w3.org/2000/svg}"
DRAW_SHAPES = Path(__file__).resolve().parents[2] / "tools" / "draw_shapes.py"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def shapes_in(root: ET.Element, view: str) -> list[ET.Element]:
    figure = next(el for el in root.iter() if el.get("id") == f"bodymap-{view}")
    return [el for el in figure.iter(f"{SVG}path") if "region" in el.get("class", "").split()]


def points(d: str) -> list[tuple[float, float]]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    return list(zip(numbers[0::2], numbers[1::2], strict=True))


def centroid_x(d: str) -> float:
    """The area centroid's x of the closed polygon (shoelace formula)."""
    pts = points(d)
    area = cx = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
    return cx / (3 * area)


def test_markup_is_well_formed_xml_with_a_titled_svg_per_view() -> None:
    root = parse(render_body_map({"calf": 2}, period_label="in the last 30 days"))
    assert root.tag == "div" and "bodymap" in root.get("class", "")
    svgs = list(root.iter(f"{SVG}svg"))
    assert len(svgs) == 2
    for svg in svgs:
        title = svg.find(f"{SVG}title")
        assert title is not None and title.text
        assert svg.get("aria-labelledby") == title.get("id")


@pytest.mark.parametrize("view", ["front", "back"])
def test_every_region_appears_in_each_of_its_views_with_the_right_sides(view: str) -> None:
    root = parse(render_body_map())
    drawn = {(el.get("data-region"), el.get("data-side")) for el in shapes_in(root, view)}
    expected = set()
    for region in all_regions():
        if view in region.views:
            sides = ("left", "right") if region.lateral else ("centre",)
            expected |= {(region.id, side) for side in sides}
    assert drawn == expected
    assert len(all_regions()) == 27


def test_each_shape_is_drawn_once() -> None:
    root = parse(render_body_map())
    for view in ("front", "back"):
        keys = [(el.get("data-region"), el.get("data-side")) for el in shapes_in(root, view)]
        assert len(keys) == len(set(keys))


def test_front_view_shows_the_persons_left_on_the_viewers_right() -> None:
    root = parse(render_body_map())
    for el in shapes_in(root, "front"):
        x = centroid_x(el.get("d", ""))
        side = el.get("data-side")
        if side == "left":
            assert x > 100, el.get("data-region")
        elif side == "right":
            assert x < 100, el.get("data-region")
        else:
            assert x == pytest.approx(100, abs=0.5), el.get("data-region")


def test_back_view_shows_the_persons_left_on_the_viewers_left() -> None:
    root = parse(render_body_map())
    for el in shapes_in(root, "back"):
        x = centroid_x(el.get("d", ""))
        side = el.get("data-side")
        if side == "left":
            assert x < 100, el.get("data-region")
        elif side == "right":
            assert x > 100, el.get("data-region")
        else:
            assert x == pytest.approx(100, abs=0.5), el.get("data-region")


def test_left_and_right_shapes_mirror_each_other() -> None:
    root = parse(render_body_map())
    for view in ("front", "back"):
        by_key = {(el.get("data-region"), el.get("data-side")): el.get("d", "") for el in shapes_in(root, view)}
        for (region, side), d in by_key.items():
            if side != "left":
                continue
            left = sorted(points(d))
            mirrored = sorted((round(200 - x, 1), y) for x, y in points(by_key[(region, "right")]))
            assert len(left) == len(mirrored)
            for (ax, ay), (bx, by) in zip(left, mirrored, strict=True):
                assert ax == pytest.approx(bx, abs=0.11) and ay == pytest.approx(by, abs=0.11)


def test_the_side_marks_follow_the_orientation() -> None:
    root = parse(render_body_map())
    for view, r_left_of_l in (("front", True), ("back", False)):
        figure = next(el for el in root.iter() if el.get("id") == f"bodymap-{view}")
        marks = {t.text: float(t.get("x", "0")) for t in figure.iter(f"{SVG}text")}
        assert (marks["R"] < marks["L"]) is r_left_of_l


def test_shapes_stay_inside_the_view_box() -> None:
    view_box, shapes = bodymap.load_shapes()
    min_x, min_y, width, height = (float(v) for v in view_box.split())
    for shape in shapes:
        for x, y in points(shape.d):
            assert min_x <= x <= min_x + width and min_y <= y <= min_y + height, (shape.region, shape.side)


def test_shapes_are_buttons_with_labels_and_the_map_is_one_tab_stop() -> None:
    root = parse(render_body_map({"calf": 3}, period_label="in the last 30 days"))
    stops = [el for v in ("front", "back") for el in shapes_in(root, v) if el.get("tabindex") == "0"]
    assert [(el.get("data-region"), el.get("data-side")) for el in stops] == [("scalp", "centre")]
    for view in ("front", "back"):
        for el in shapes_in(root, view):
            assert el.get("tabindex") in ("0", "-1")  # the arrow keys reach the others (bodymap.js)
            assert el.get("role") == "button"
            assert el.get("aria-pressed") == "false"
            assert el.get("aria-label")
            # no <title> child: with aria-label it would be read a second time as the description
            assert el.find(f"{SVG}title") is None
    calf_left = next(
        el for el in shapes_in(root, "back") if el.get("data-region") == "calf" and el.get("data-side") == "left"
    )
    assert calf_left.get("aria-label") == "Calf (left) — logged 3 times in the last 30 days"
    assert calf_left.get("data-label") == "Calf (left)"
    throat = next(el for el in shapes_in(root, "front") if el.get("data-region") == "throat")
    assert throat.get("aria-label") == "Throat — not logged in the last 30 days"


def test_without_counts_labels_name_the_region_only_and_there_is_no_legend() -> None:
    root = parse(render_body_map())
    shin = next(
        el for el in shapes_in(root, "front") if el.get("data-region") == "shin" and el.get("data-side") == "right"
    )
    assert shin.get("aria-label") == "Shin (right)"
    assert not [el for el in root.iter() if "bodymap-legend" in el.get("class", "")]
    assert all("heat-0" in el.get("class", "") for el in shapes_in(root, "front"))


def heat_of(root: ET.Element, view: str, region: str, side: str) -> int:
    el = next(e for e in shapes_in(root, view) if e.get("data-region") == region and e.get("data-side") == side)
    (level,) = re.findall(r"\bheat-(\d)\b", el.get("class", ""))
    return int(level)


def test_heat_classes_follow_region_counts() -> None:
    root = parse(render_body_map({"jaw": 8, "calf": 2, "stomach": 5, "forehead": 0}))
    assert heat_of(root, "front", "jaw", "left") == 4
    assert heat_of(root, "front", "jaw", "right") == 4  # region totals shade both sides
    assert heat_of(root, "back", "calf", "left") == 1
    assert heat_of(root, "front", "stomach", "centre") == 3
    assert heat_of(root, "front", "forehead", "centre") == 0
    assert heat_of(root, "front", "shin", "left") == 0


def test_side_counts_shade_each_side_and_both_counts_for_both() -> None:
    side_counts = {("calf", "left"): 6, ("calf", "both"): 2, ("shoulder", "right"): 1, ("throat", "centre"): 4}
    root = parse(render_body_map(side_counts=side_counts, period_label="this week"))
    assert heat_of(root, "back", "calf", "left") == 4  # 6 + 2 = 8, the highest
    assert heat_of(root, "back", "calf", "right") == 1  # 2 of 8
    assert heat_of(root, "front", "shoulder", "right") == 1
    assert heat_of(root, "back", "shoulder", "right") == 1
    assert heat_of(root, "front", "shoulder", "left") == 0
    assert heat_of(root, "front", "throat", "centre") == 2  # 4 of 8
    calf_right = next(
        e for e in shapes_in(root, "back") if e.get("data-region") == "calf" and e.get("data-side") == "right"
    )
    assert calf_right.get("aria-label") == "Calf (right) — logged 2 times this week"
    assert calf_right.get("data-count") == "2"


def test_heat_levels_and_legend_ranges() -> None:
    assert heat_level(0, 10) == 0
    assert heat_level(1, 1) == 1  # a few episodes stay light: the scale starts at 4
    assert [heat_level(n, 3) for n in (1, 2, 3)] == [1, 2, 3]
    assert heat_level(4, 4) == 4
    assert [heat_level(n, 8) for n in range(1, 9)] == [1, 1, 2, 2, 3, 3, 4, 4]
    assert heat_ranges(8) == [(1, 1, 2), (2, 3, 4), (3, 5, 6), (4, 7, 8)]
    assert heat_ranges(2) == [(1, 1, 1), (2, 2, 2)]
    assert heat_ranges(0) == []
    # every count from 1 to the highest falls in exactly the range of its level
    for highest in range(1, 30):
        for n in range(1, highest + 1):
            matches = [lvl for lvl, lo, hi in heat_ranges(highest) if lo <= n <= hi]
            assert matches == [heat_level(n, highest)]


def test_legend_lists_the_ranges_for_the_period() -> None:
    markup = str(render_body_map({"knee": 8}, period_label="in the last 30 days"))
    legend = markup[markup.index('class="bodymap-legend"') :]
    assert "Times logged in the last 30 days" in legend
    assert "Not logged" in legend and "7–8" in legend
    empty = str(render_body_map({}, period_label="in the last 30 days"))
    assert "Nothing logged in the last 30 days" in empty


def test_selected_shape_is_marked() -> None:
    root = parse(render_body_map(selected=("calf", "left")))
    pressed = [
        (e.get("data-region"), e.get("data-side"))
        for v in ("front", "back")
        for e in shapes_in(root, v)
        if e.get("aria-pressed") == "true"
    ]
    assert pressed == [("calf", "left")]
    stops = [e for v in ("front", "back") for e in shapes_in(root, v) if e.get("tabindex") == "0"]
    assert [(e.get("data-region"), e.get("data-side")) for e in stops] == [("calf", "left")]  # Tab lands on the choice
    root = parse(render_body_map(selected=("knee", "both")))
    pressed_classes = [e for v in ("front", "back") for e in shapes_in(root, v) if "is-selected" in e.get("class", "")]
    assert {(e.get("data-region"), e.get("data-side")) for e in pressed_classes} == {
        ("knee", "left"),
        ("knee", "right"),
    }
    assert len(pressed_classes) == 4  # front and back


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"counts": {"elbow": 1}}, "counts", "not a known body region"),
        ({"counts": {"calf": -1}}, "counts", "whole number"),
        ({"counts": {"calf": 1.5}}, "counts", "whole number"),
        ({"side_counts": {("calf", "up"): 1}}, "side_counts", "not a side"),
        ({"side_counts": {("nose", "left"): 1}}, "side_counts", "not a known body region"),
        ({"selected": ("throat", "left")}, "selected", "no left or right"),
        ({"selected": ("calf", "middle")}, "selected", "not a side"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(UserInputError) as caught:
        render_body_map(**kwargs)  # type: ignore[arg-type]
    problem = caught.value.problems[0]
    assert problem.field == field
    assert words in problem.message


def test_labels_and_prefix_are_escaped() -> None:
    markup = str(render_body_map({"calf": 1}, period_label='<b>"now"</b>', id_prefix="x&y"))
    assert "<b>" not in markup
    assert 'id="x&amp;y"' in markup
    parse(markup)


def test_shapes_file_matches_the_drawing_script() -> None:
    """shapes.json is generated; it must be what the committed script draws."""
    # The script is a build tool outside the installed package: load it by its path.
    spec = importlib.util.spec_from_file_location("draw_shapes", DRAW_SHAPES)
    assert spec is not None and spec.loader is not None
    draw_shapes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(draw_shapes)

    assert bodymap.SHAPES_FILE.resolve() == draw_shapes.OUT  # it writes the file the app reads
    committed = json.loads(bodymap.SHAPES_FILE.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(draw_shapes.build()))


def test_face_lines_are_decoration_only() -> None:
    root = parse(render_body_map())
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bodymap-decor"]
    assert len(groups) == 1  # the front face only
    assert groups[0].get("aria-hidden") == "true"
    assert all(p.get("role") is None and p.get("tabindex") is None for p in groups[0].iter(f"{SVG}path"))
