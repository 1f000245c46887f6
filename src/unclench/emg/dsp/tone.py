"""Resting tone between bursts and the relaxation score of a session."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from unclench.emg.dsp._arrays import BoolArray, FloatArray
from unclench.emg.dsp.bursts import (
    Burst,
)


def resting_tone(env: FloatArray, valid: BoolArray, bursts: list[Burst], env_fs: float, *, pad_s: float = 0.5) -> float:
    """Resting tone (µV): median envelope over quiet segments — valid points away from any burst.

    Parameters
    ----------
    env : ndarray
        Envelope, µV.
    valid : ndarray of bool
        Points that count.
    bursts : list of Burst
        Events to stay away from.
    env_fs : float
        Envelope points per second, Hz.
    pad_s : float
        Distance kept from each burst, seconds.

    Returns
    -------
    float
        Resting tone, µV (NaN when nothing is left).

    Example
    -------
    >>> from unclench.emg.dsp import clean, detect_bursts_env, envelope, robust_baseline
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> env = envelope(clean(sim.signal, 1000)[0], 1000.0)  # 100 points per second
    >>> valid = np.ones(env.size, dtype=bool)
    >>> bursts = detect_bursts_env(env, 100.0, robust_baseline(env))
    >>> round(resting_tone(env, valid, bursts, 100.0))  # the simulated rest is 3 µV RMS
    3
    """
    quiet = quiet_mask(env.size, valid, bursts, env_fs, pad_s=pad_s)
    if quiet.sum() < max(10, 0.05 * env.size):
        quiet = valid.copy()
    if not quiet.any():
        return float("nan")
    return float(np.median(env[quiet], overwrite_input=True))  # a copy already: sorted in place


def quiet_mask(n: int, valid: BoolArray, bursts: list[Burst], env_fs: float, *, pad_s: float = 0.5) -> BoolArray:
    """Valid envelope points at least ``pad_s`` away from every burst.

    Parameters
    ----------
    n : int
        Number of envelope points.
    valid : ndarray of bool
        Points that count.
    bursts : list of Burst
        Events to stay away from.
    env_fs : float
        Envelope points per second, Hz.
    pad_s : float
        Distance kept from each burst, seconds.

    Returns
    -------
    ndarray of bool
        The quiet points.

    Example
    -------
    >>> from unclench.emg.dsp import Burst
    >>> quiet = quiet_mask(12, np.ones(12, dtype=bool), [Burst(1.0, 1.5, 9.0, 8.0)], 4.0, pad_s=0.5)
    >>> quiet.astype(int).tolist()  # 4 points per second: those from 0.5 s to 2.0 s are not quiet
    [1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]
    """
    quiet = valid.copy()
    for b in bursts:
        i0 = max(0, int(np.floor((b.onset_s - pad_s) * env_fs)))
        i1 = min(n, int(np.ceil((b.offset_s + pad_s) * env_fs)) + 1)
        quiet[i0:i1] = False
    return quiet


@dataclass(frozen=True)
class RelaxationScore:
    start_tone_uv: float
    end_tone_uv: float
    change_pct: float  # negative = more relaxed at the end
    target_uv: float | None
    time_below_target_s: float | None
    fraction_below_target: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def relaxation_score(
    env: FloatArray,
    env_fs: float,
    valid: BoolArray,
    *,
    target_uv: float | None = None,
    part_s: float = 60.0,
) -> RelaxationScore:
    """Tone over the last ``part_s`` seconds against the first (median envelope), and time below ``target_uv``.

    ``part_s`` is capped at a fifth of the session so the two parts never overlap.

    Parameters
    ----------
    env : ndarray
        Envelope, µV.
    env_fs : float
        Envelope points per second, Hz.
    valid : ndarray of bool
        Points that count (usually the quiet ones).
    target_uv : float, optional
        Relaxation target, µV.
    part_s : float
        Length of the first and last part compared, seconds.

    Returns
    -------
    RelaxationScore
        Start and end tone (µV), change (%), time (s) and share below the target.

    Example
    -------
    >>> env = np.linspace(10.0, 5.0, 1000)  # 10 s relaxing from 10 to 5 µV
    >>> score = relaxation_score(env, 100.0, np.ones(1000, dtype=bool), target_uv=6.0)
    >>> round(score.change_pct), round(score.time_below_target_s, 1)
    (-42, 2.0)
    """
    n = env.size
    k = max(1, min(round(part_s * env_fs), n // 5 or 1))
    first = env[:k][valid[:k]]
    last = env[n - k :][valid[n - k :]]
    start = float(np.median(first)) if first.size else float("nan")
    end = float(np.median(last)) if last.size else float("nan")
    change = 100.0 * (end - start) / start if start and np.isfinite(start) and np.isfinite(end) else float("nan")
    below_s = frac = None
    if target_uv is not None:
        usable = env[valid]
        below = int((usable < target_uv).sum())
        below_s = below / env_fs
        frac = below / usable.size if usable.size else 0.0
    return RelaxationScore(start, end, change, target_uv, below_s, frac)
