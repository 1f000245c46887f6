"""PNG plot of an analysis: envelope per channel, thresholds, bursts shaded, clipped stretches marked."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from unclench.emg.dsp import ChannelAnalysis


def plot_analysis(
    results: Sequence[ChannelAnalysis], names: Sequence[str], path: str | Path, *, title: str = ""
) -> Path:
    """Write a PNG (atomically); long recordings are drawn from a min/max-decimated envelope."""
    n = len(results)
    fig, axes = plt.subplots(n, 1, figsize=(12, 2.6 * n + 0.6), sharex=True, squeeze=False)
    for ax, res, name in zip(axes[:, 0], results, names, strict=True):
        env = res.env
        t = np.arange(env.size) / res.env_fs
        step = max(1, env.size // 4000)
        if step > 1:
            m = env.size // step
            hi = env[: m * step].reshape(m, step).max(axis=1)
            lo = env[: m * step].reshape(m, step).min(axis=1)
            tt = t[: m * step : step]
            ax.fill_between(tt, lo, hi, color="#4a6fa5", linewidth=0)
        else:
            ax.plot(t, env, color="#4a6fa5", linewidth=0.8)
        on, off = res.baseline.thresholds(res.burst_params)
        ax.axhline(on, color="#c0504d", linewidth=0.8, linestyle="--", label=f"on {on:.1f} µV")
        ax.axhline(off, color="#d99694", linewidth=0.8, linestyle=":", label=f"off {off:.1f} µV")
        ax.axhline(
            res.resting_tone_uv, color="#5a9a5a", linewidth=1.0, label=f"resting tone {res.resting_tone_uv:.1f} µV"
        )
        for burst in res.bursts:
            ax.axvspan(burst.onset_s, burst.offset_s, color="#f2c14e", alpha=0.35, linewidth=0)
        for c0, c1 in res.clipped_segments:
            ax.axvspan(c0, c1, color="#c0504d", alpha=0.15, linewidth=0)
        top = float(np.percentile(env, 99.9)) * 1.15 if env.size else 1.0
        ax.set_ylim(0, max(top, on * 1.5))
        ax.set_ylabel(f"{name}\nRMS µV")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        ax.set_title(f"{name}: {len(res.bursts)} bursts, {res.burst_rate_per_min:.1f}/min", fontsize=9, loc="left")
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
