"""PNG plot of an analysis: envelope per channel, thresholds, bursts shaded, clipped stretches marked."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from unclench.emg.dsp import ChannelAnalysis


@dataclass(frozen=True)
class Palette:
    """The plot's colours: paper for print and the light theme, a dim warm one for the night theme."""

    paper: str
    ink: str
    grid: str
    envelope: str
    on: str
    off: str
    tone: str
    burst: str
    clipped: str


PALETTES = {
    "light": Palette("#ffffff", "#2d3436", "#5b6769", "#4a6fa5", "#c0504d", "#d99694", "#5a9a5a", "#f2c14e", "#c0504d"),
    # No saturated blue and no white at night: the envelope is a muted sage, the text the theme's warm ink.
    "night": Palette("#221f1c", "#ddd3c5", "#aca293", "#a9c79b", "#eca58c", "#c98f7c", "#d8c27a", "#b8823f", "#eca58c"),
}


def plot_analysis(
    results: Sequence[ChannelAnalysis],
    names: Sequence[str],
    path: str | Path,
    *,
    title: str = "",
    theme: str = "light",
) -> Path:
    """Write a PNG (atomically); long recordings are drawn from a min/max-decimated envelope.

    ``theme`` is "light" (paper, also for print) or "night" (the web page's night theme).
    """
    colours = PALETTES[theme]
    n = len(results)
    with plt.rc_context(
        {
            "figure.facecolor": colours.paper,
            "axes.facecolor": colours.paper,
            "savefig.facecolor": colours.paper,
            "text.color": colours.ink,
            "axes.labelcolor": colours.ink,
            "axes.edgecolor": colours.grid,
            "xtick.color": colours.grid,
            "ytick.color": colours.grid,
            "xtick.labelcolor": colours.ink,
            "ytick.labelcolor": colours.ink,
        }
    ):
        fig, axes = plt.subplots(n, 1, figsize=(12, 2.6 * n + 0.6), sharex=True, squeeze=False)
        _draw(axes, results, names, colours)
        axes[-1, 0].set_xlabel("time (s)")
        if title:
            fig.suptitle(title, fontsize=11)
        fig.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110)
    finally:
        plt.close(fig)
    os.replace(tmp, target)
    return target


def _draw(axes: np.ndarray, results: Sequence[ChannelAnalysis], names: Sequence[str], colours: Palette) -> None:
    for ax, res, name in zip(axes[:, 0], results, names, strict=True):
        env = res.env
        t = np.arange(env.size) / res.env_fs
        step = max(1, env.size // 4000)
        if step > 1:
            m = env.size // step
            hi = env[: m * step].reshape(m, step).max(axis=1)
            lo = env[: m * step].reshape(m, step).min(axis=1)
            tt = t[: m * step : step]
            ax.fill_between(tt, lo, hi, color=colours.envelope, linewidth=0)
        else:
            ax.plot(t, env, color=colours.envelope, linewidth=0.8)
        on, off = res.baseline.thresholds(res.burst_params)
        ax.axhline(on, color=colours.on, linewidth=0.8, linestyle="--", label=f"on {on:.1f} µV")
        ax.axhline(off, color=colours.off, linewidth=0.8, linestyle=":", label=f"off {off:.1f} µV")
        ax.axhline(
            res.resting_tone_uv, color=colours.tone, linewidth=1.0, label=f"resting tone {res.resting_tone_uv:.1f} µV"
        )
        for burst in res.bursts:
            ax.axvspan(burst.onset_s, burst.offset_s, color=colours.burst, alpha=0.35, linewidth=0)
        for c0, c1 in res.clipped_segments:
            ax.axvspan(c0, c1, color=colours.clipped, alpha=0.15, linewidth=0)
        top = float(np.percentile(env, 99.9)) * 1.15 if env.size else 1.0
        ax.set_ylim(0, max(top, on * 1.5))
        ax.set_ylabel(f"{name}\nRMS µV")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        ax.set_title(f"{name}: {len(res.bursts)} bursts, {res.burst_rate_per_min:.1f}/min", fontsize=9, loc="left")
