"""Charts as inline SVG strings (no JavaScript, no CDN): a forest plot and a factor calendar.

Pure: findings and dates in, escaped SVG markup out, so the same charts serve the web page and the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from markupsafe import Markup, escape

from unclench.insights.triggers import Finding

ACCENT = "#3f7d74"
WARN = "#a4462f"
MUTED = "#8a9597"
LINE = "#dfe3e0"
HEAT = ("#eef1ee", "#f3dfc6", "#eab98f", "#d98b5f", "#b95c3d")


def _label(finding: Finding) -> str:
    return f"{finding.factor_name} · {finding.timing}"


def forest_plot_svg(findings: Sequence[Finding], *, width: int = 640, row_height: int = 26, title: str = "") -> Markup:
    """Rate ratios with 95 % intervals on a log scale; clear links solid, uncertain ones hollow."""
    rows = [f for f in findings if f.outcome == "rate" and f.estimate and f.low and f.high]
    if not rows:
        return Markup("")
    label_w = min(260, int(width * 0.42))
    plot_x0, plot_x1 = label_w + 10, width - 20
    top = 30
    height = top + row_height * len(rows) + 34
    lo = min(0.5, *(f.low for f in rows if f.low))
    hi = max(2.0, *(f.high for f in rows if f.high))
    lo, hi = max(lo, 0.1), min(hi, 10.0)
    span = math.log(hi) - math.log(lo)

    def x(value: float) -> float:
        clamped = min(max(value, lo), hi)
        return plot_x0 + (math.log(clamped) - math.log(lo)) / span * (plot_x1 - plot_x0)

    desc = title or "Rate ratios of episodes with each factor, with 95 % likely ranges; 1 means no difference."
    parts = [
        f'<svg class="forest" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(desc)}" xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, sans-serif" font-size="12">',
        f"<title>{escape(desc)}</title>",
        f'<text x="{plot_x0}" y="16" fill="{MUTED}">fewer episodes</text>',
        f'<text x="{plot_x1}" y="16" fill="{MUTED}" text-anchor="end">more episodes</text>',
    ]
    ticks = [t for t in (0.1, 0.25, 0.5, 1, 2, 3, 4, 6, 10) if lo <= t <= hi]
    bottom = top + row_height * len(rows)
    for tick in ticks:
        tx = x(tick)
        colour = "#9aa5a7" if tick == 1 else LINE
        dash = "" if tick == 1 else ' stroke-dasharray="3 3"'
        parts.append(f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{bottom}" stroke="{colour}"{dash}/>')
        parts.append(f'<text x="{tx:.1f}" y="{bottom + 16}" text-anchor="middle" fill="{MUTED}">{tick:g}×</text>')
    for i, finding in enumerate(rows):
        cy = top + row_height * i + row_height / 2
        colour = WARN if (finding.estimate or 1) >= 1 else ACCENT
        clear = finding.status == "clear"
        label = _label(finding)
        if len(label) > 38:
            label = label[:37] + "…"
        parts.append(f'<text x="{label_w}" y="{cy + 4:.1f}" text-anchor="end">{escape(label)}</text>')
        assert finding.low is not None and finding.high is not None and finding.estimate is not None
        parts.append(
            f'<line x1="{x(finding.low):.1f}" y1="{cy:.1f}" x2="{x(finding.high):.1f}" y2="{cy:.1f}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        fill = colour if clear else "#ffffff"
        tip = f"{finding.estimate:.2f}× (likely {finding.low:.2f}–{finding.high:.2f}×)" + (" clear" if clear else "")
        parts.append(
            f'<circle cx="{x(finding.estimate):.1f}" cy="{cy:.1f}" r="5" fill="{fill}" stroke="{colour}" '
            f'stroke-width="2"><title>{escape(label)}: {escape(tip)}</title></circle>'
        )
    parts.append(
        f'<text x="{width - 20}" y="{height - 4}" text-anchor="end" fill="{MUTED}">'
        "● clear after allowing for all comparisons   ○ may be chance</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def calendar_svg(
    counts: Mapping[date, int],
    marked: set[date],
    *,
    first: date,
    last: date,
    cell: int = 13,
    mark_label: str = "factor present",
) -> Markup:
    """A GitHub-style calendar: one column per week, shaded by episodes, with a dot where `marked`."""
    start = first - timedelta(days=first.weekday())
    weeks = (last - start).days // 7 + 1
    gap = 2
    left, top = 28, 16
    width = max(left + weeks * (cell + gap) + 4, 300)
    height = top + 7 * (cell + gap) + 22
    peak = max(counts.values(), default=0)
    parts = [
        f'<svg class="calendar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="DejaVu Sans, sans-serif" font-size="10" aria-label="Episodes per day, dots mark {escape(mark_label)}">',
    ]
    for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"), (6, "Sun")):
        parts.append(f'<text x="0" y="{top + row * (cell + gap) + cell - 2}" fill="{MUTED}">{name}</text>')
    month_seen: set[tuple[int, int]] = set()
    day = start
    while day <= last:
        col = (day - start).days // 7
        row = day.weekday()
        cx = left + col * (cell + gap)
        cy = top + row * (cell + gap)
        if day >= first:
            if (day.year, day.month) not in month_seen and day.day <= 7:
                month_seen.add((day.year, day.month))
                parts.append(f'<text x="{cx}" y="{top - 5}" fill="{MUTED}">{day.strftime("%b")}</text>')
            n = counts.get(day, 0)
            level = 0 if n == 0 or peak == 0 else min(4, 1 + (3 * n) // max(peak, 1))
            tip = f"{day.isoformat()}: {n} episode{'s' if n != 1 else ''}" + (
                f", {mark_label}" if day in marked else ""
            )
            parts.append(
                f'<rect x="{cx}" y="{cy}" width="{cell}" height="{cell}" rx="2" fill="{HEAT[level]}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            if day in marked:
                parts.append(f'<circle cx="{cx + cell / 2}" cy="{cy + cell / 2}" r="2.6" fill="{ACCENT}"/>')
        day += timedelta(days=1)
    legend_y = height - 6
    if mark_label:
        parts.append(f'<circle cx="{left + 4}" cy="{legend_y - 4}" r="2.6" fill="{ACCENT}"/>')
        parts.append(
            f'<text x="{left + 12}" y="{legend_y}" fill="{MUTED}">{escape(mark_label)}; darker = more episodes</text>'
        )
    else:
        parts.append(f'<text x="{left}" y="{legend_y}" fill="{MUTED}">Darker = more episodes that day</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_svg(
    values: Sequence[float | None], *, low: float, high: float, label: str, width: int = 620, height: int = 90
) -> Markup:
    """A small line chart of an evenly spaced series (gaps where None), on a fixed scale low–high."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return Markup("")
    left, right, top, bottom = 30, 8, 8, 18
    n = max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + i / n * (width - left - right)
        y = top + (1 - (v - low) / (high - low)) * (height - top - bottom)
        return x, y

    parts = [
        f'<svg class="trend" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, sans-serif" font-size="10">',
        f"<title>{escape(label)}</title>",
    ]
    for tick in (low, (low + high) / 2, high):
        _, ty = xy(0, tick)
        parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="{LINE}"/>')
        parts.append(f'<text x="{left - 4}" y="{ty + 3:.1f}" text-anchor="end" fill="{MUTED}">{tick:g}</text>')
    segments: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(xy(i, v))
    for segment in segments:
        if len(segment) >= 2:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
        for x, y in segment:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{ACCENT}"/>')
    parts.append(f'<text x="{left}" y="{height - 4}" fill="{MUTED}">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
