"""The PSS history chart: plain inline SVG, correct positions, accessible text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from unclench.stress.chart import pss_chart_svg

NS = {"svg": "http://www.w3.org/2000/svg"}


def test_points_are_placed_by_score_and_time() -> None:
    points = [
        (datetime(2026, 3, 1, tzinfo=UTC), 30),
        (datetime(2026, 1, 1, tzinfo=UTC), 10),
        (datetime(2026, 2, 1, tzinfo=UTC), 20),
    ]
    svg = pss_chart_svg(points, norm_mean=13.0, norm_sd=6.35, width=640, height=240)
    root = ET.fromstring(svg)
    circles = root.findall("svg:circle", NS)
    assert [c.get("data-total") for c in circles] == ["10", "20", "30"]  # sorted by time
    xs = [float(c.get("cx", "0")) for c in circles]
    ys = [float(c.get("cy", "0")) for c in circles]
    assert xs[0] == 40 and xs[-1] == 640 - 16
    assert ys[0] > ys[1] > ys[2]  # higher score, higher on the chart
    assert abs(ys[1] - (14 + 192 * (1 - 20 / 40))) < 0.1
    assert root.find("svg:polyline", NS) is not None
    assert "latest 30 of 40 on 01 Mar 2026" in (root.find("svg:desc", NS).text or "")  # type: ignore[union-attr]


def test_empty_and_single_point_charts() -> None:
    empty = ET.fromstring(pss_chart_svg([], norm_mean=13.0, norm_sd=6.35))
    assert not empty.findall("svg:circle", NS)
    assert "No results yet" in ET.tostring(empty, encoding="unicode")
    single = ET.fromstring(pss_chart_svg([(datetime(2026, 1, 1, tzinfo=UTC), 12)], norm_mean=13.0, norm_sd=6.35))
    assert len(single.findall("svg:circle", NS)) == 1
    assert single.find("svg:polyline", NS) is None
    assert "<script" not in pss_chart_svg([], norm_mean=13.0, norm_sd=6.35)
