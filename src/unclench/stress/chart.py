"""The PSS-10 history as an inline SVG chart (no JavaScript, no CDN). Pure function; no database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from unclench.core import clock

Y_MAX = 40


def pss_chart_svg(
    points: Sequence[tuple[datetime, int]],
    *,
    norm_mean: float,
    norm_sd: float,
    width: int = 640,
    height: int = 240,
) -> str:
    """An accessible SVG line chart of PSS-10 totals (0–40) over time, with the authors' norm range shaded.

    `points` are (time, total) pairs in any order; times are shown as dates.
    """
    ordered = sorted(points)
    left, right, top, bottom = 40, 16, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(value: float) -> float:
        return top + plot_h * (1 - value / Y_MAX)

    if ordered:
        first, last = ordered[0][0], ordered[-1][0]
        span = (last - first).total_seconds()
    else:
        first, span = clock.now(), 0.0

    def x(moment: datetime) -> float:
        if span <= 0:
            return left + plot_w / 2
        return left + plot_w * (moment - first).total_seconds() / span

    summary = (
        "No PSS-10 results yet."
        if not ordered
        else f"{len(ordered)} PSS-10 result{'s' if len(ordered) != 1 else ''}, latest {ordered[-1][1]} of 40 "
        f"on {ordered[-1][0]:%d %b %Y}."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="pss-chart-title pss-chart-desc" class="pss-chart">',
        '<title id="pss-chart-title">Perceived Stress Scale over time</title>',
        f'<desc id="pss-chart-desc">{escape(summary)} Shaded: the usual range in the authors\' population sample '
        f"({norm_mean - norm_sd:.0f}–{norm_mean + norm_sd:.0f}).</desc>",
        f'<rect x="{left}" y="{y(norm_mean + norm_sd):.1f}" width="{plot_w}" '
        f'height="{y(norm_mean - norm_sd) - y(norm_mean + norm_sd):.1f}" class="norm-band" fill="#e3efec"/>',
    ]
    for tick in range(0, Y_MAX + 1, 10):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#dfe3e0"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" fill="#5f6b6d">{tick}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w - 4}" y="{y(norm_mean + norm_sd) - 4:.1f}" text-anchor="end" font-size="11" '
        f'fill="#3f7d74">usual range (authors\' sample)</text>'
    )
    if ordered:
        coords = [(x(t), y(v), t, v) for t, v in ordered]
        if len(coords) > 1:
            path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy, _, _ in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="#3f7d74" stroke-width="2.5"/>')
        for cx, cy, t, v in coords:
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="#3f7d74" class="pss-point" data-total="{v}">'
                f"<title>{t:%d %b %Y}: {v} of 40</title></circle>"
            )
        parts.append(
            f'<text x="{coords[0][0]:.1f}" y="{height - 10}" text-anchor="{"middle" if len(coords) == 1 else "start"}" '
            f'font-size="11" fill="#5f6b6d">{ordered[0][0]:%d %b %Y}</text>'
        )
        if len(coords) > 1:
            parts.append(
                f'<text x="{coords[-1][0]:.1f}" y="{height - 10}" text-anchor="end" font-size="11" fill="#5f6b6d">'
                f"{ordered[-1][0]:%d %b %Y}</text>"
            )
    else:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle" font-size="13" fill="#5f6b6d">'
            "No results yet</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
