"""Resting tone and bursts over a session's timeline, chapters marked, as inline SVG (no script, no inline style).

Pure: a ``SessionTone`` in, escaped SVG markup out. Colours come from CSS classes (``static/emg/emg.css``), so the
chart follows the light and night themes.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from unclench.emg.dsp.session_tone import SessionTone

WIDTH = 720
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 26, 40


def _nice_top(value: float) -> float:
    """A round axis top at or above ``value`` (1, 2, 2.5 or 5 × a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power:
            return step * power
    return 10.0 * power


def _clock(seconds: float) -> str:
    sign = "−" if seconds < 0 else ""
    s = round(abs(seconds))
    return f"{sign}{s // 60}:{s % 60:02d}"


def tone_timeline_svg(tone: SessionTone, *, chart_id: str, channel: str = "") -> Markup:
    """The tone line (µV, gaps where the signal was bad or all bursts), burst marks and chapter bands."""
    end = max((c.end_s for c in tone.chapters), default=0.0)
    start = min([0.0, *tone.timeline_s])
    if end <= start:
        return Markup("")
    values = [v for v in tone.timeline_uv if v is not None]
    top = _nice_top(max([*values, tone.reference_uv or 0.0, 1.0]) * 1.1)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM

    def x(t: float) -> float:
        return x0 + (x1 - x0) * (t - start) / (end - start)

    def y(v: float) -> float:
        return y1 - (y1 - y0) * min(v, top) / top

    title = f"Resting tone over the session{f' ({channel})' if channel else ''}"
    desc_parts = [
        f"{c.title}: {c.tone_uv:.1f} µV" if c.tone_uv is not None else f"{c.title}: no number" for c in tone.chapters
    ]
    out = [
        f'<svg class="tone-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d"'
        ' preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape("; ".join(desc_parts))}. Bursts are marked below the line.</desc>',
    ]
    if start < 0:
        out.append(
            f'<rect class="tc-before" x="{x(start):.1f}" y="{y0}" width="{x(0) - x(start):.1f}" height="{y1 - y0}"/>'
        )
        out.append(f'<text class="tc-label" x="{(x(start) + x(0)) / 2:.1f}" y="{y0 - 8}">before</text>')
    for i, c in enumerate(tone.chapters):
        a, b = x(max(c.start_s, start)), x(min(c.end_s, end))
        out.append(
            f'<rect class="tc-band tc-band-{i % 2}" x="{a:.1f}" y="{y0}" width="{max(b - a, 0):.1f}" height="{y1 - y0}">'
            f"<title>{escape(c.title)}</title></rect>"
        )
        if b - a >= 14:
            out.append(f'<text class="tc-label" x="{(a + b) / 2:.1f}" y="{y0 - 8}">{i + 1}</text>')
    for frac in (0.0, 0.5, 1.0):
        level = top * frac
        out.append(f'<line class="tc-grid" x1="{x0}" x2="{x1}" y1="{y(level):.1f}" y2="{y(level):.1f}"/>')
        out.append(f'<text class="tc-axis tc-axis-y" x="{x0 - 6}" y="{y(level) + 4:.1f}">{level:g}</text>')
    out.append(f'<text class="tc-axis tc-axis-y" x="{x0 - 6}" y="{y0 - 8}">µV</text>')
    if tone.reference_uv is not None:
        ry = y(tone.reference_uv)
        out.append(f'<line class="tc-ref" x1="{x0}" x2="{x1}" y1="{ry:.1f}" y2="{ry:.1f}"/>')
    runs: list[list[str]] = [[]]
    for t, v in zip(tone.timeline_s, tone.timeline_uv, strict=True):
        if v is None:
            runs.append([])
            continue
        runs[-1].append(f"{x(t + tone.bin_s / 2):.1f},{y(v):.1f}")
    for run in runs:
        if len(run) > 1:
            out.append(f'<polyline class="tc-line" points="{" ".join(run)}"/>')
        elif run:
            cx, cy = run[0].split(",")
            out.append(f'<circle class="tc-dot" cx="{cx}" cy="{cy}" r="2.5"/>')
    for onset, offset in tone.burst_times_s:
        a, b = x(max(onset, start)), x(min(offset, end))
        out.append(f'<rect class="tc-burst" x="{a:.1f}" y="{y1 + 4}" width="{max(b - a, 2):.1f}" height="8"/>')
    for t in (start, 0.0, end) if start < 0 else (0.0, end / 2, end):
        anchor = "start" if t == start else "end" if t == end else "middle"
        out.append(f'<text class="tc-axis tc-axis-{anchor}" x="{x(t):.1f}" y="{HEIGHT - 8}">{_clock(t)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
