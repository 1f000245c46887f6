"""Signal-quality flags per block: flat line (electrode off), clipping, motion artefact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.ndimage import maximum_filter1d

from unclench.emg.dsp._arrays import BoolArray, FloatArray, block_view, true_runs
from unclench.emg.dsp.cleaning import apply_clean, plan_clean
from unclench.emg.dsp.filters import (
    bandpass_sos,
    filtfilt_sos,
)
from unclench.emg.dsp.validate import check_fs


@dataclass(frozen=True)
class QualityParams:
    block_s: float = 0.1
    flat_uv: float = 0.05  # a block whose raw spread is below this is flat (electrode off)
    clip_run: int = 3  # this many consecutive samples at the channel's extreme value mean clipping …
    clip_count: int = 5  # … as do this many samples (anywhere) at exactly that extreme value
    motion_factor: float = 12.0  # 4–15 Hz block RMS this many times its recording median …
    motion_ratio: float = 1.0  # … and at least this many times the block's 20 Hz+ (muscle) RMS


@dataclass(frozen=True)
class QualityFlags:
    """Per-block booleans (block = ``block_s`` seconds, aligned to the start of the recording)."""

    block_s: float
    flat: BoolArray
    clipped: BoolArray
    motion: BoolArray

    @property
    def excluded(self) -> BoolArray:
        """Blocks left out of the numbers (flat line or motion). Clipped blocks still count as activity."""
        return np.asarray(self.flat | self.motion, dtype=bool)

    def seconds(self) -> dict[str, float]:
        return {
            "flat_s": float(self.flat.sum() * self.block_s),
            "clipped_s": float(self.clipped.sum() * self.block_s),
            "motion_s": float(self.motion.sum() * self.block_s),
        }

    def segments(self, kind: Literal["flat", "clipped", "motion"]) -> list[tuple[float, float]]:
        """Runs of flagged blocks as (start_s, end_s)."""
        mask = getattr(self, kind)
        return [(a * self.block_s, b * self.block_s) for a, b in true_runs(mask)]


def clip_levels(raw: FloatArray, clip_run: int = 3, clip_count: int = 5) -> tuple[float | None, float | None]:
    """The channel's (min, max) values where the signal saturates, else None.

    An extreme value is a saturation level when the signal sits on it for ``clip_run`` consecutive
    samples or touches it ``clip_count`` times: a real signal's exact extreme occurs once.

    Parameters
    ----------
    raw : ndarray
        Raw signal, µV.
    clip_run : int
        Consecutive samples at the extreme that mean saturation.
    clip_count : int
        Samples anywhere at the extreme that mean saturation.

    Returns
    -------
    tuple
        (lower, upper) saturation level in µV, each None when the signal does not saturate there.

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> clip_levels(np.clip(sim.signal, -50.0, 50.0))
    (-50.0, 50.0)
    >>> clip_levels(sim.signal)
    (None, None)
    """
    levels: list[float | None] = []
    for level in (float(raw.min()), float(raw.max())):
        at = raw == level
        count = int(np.count_nonzero(at))
        if count >= clip_count:
            levels.append(level)
        elif count >= clip_run:
            longest = max((b - a for a, b in true_runs(at)), default=0)
            levels.append(level if longest >= clip_run else None)
        else:
            levels.append(None)
    return levels[0], levels[1]


@dataclass
class BlockFeatures:
    """Per-block numbers the quality flags are decided from (small: 10 values per second)."""

    spread: FloatArray  # max − min of the raw block
    clip_hit: BoolArray  # the block touches a saturation level
    low_rms: FloatArray  # RMS of the 4–15 Hz band
    ratio: FloatArray  # low_rms / RMS of the 20 Hz+ band

    @classmethod
    def concat(cls, parts: list[BlockFeatures]) -> BlockFeatures:
        return cls(
            *(np.concatenate([getattr(p, name) for p in parts]) for name in ("spread", "clip_hit", "low_rms", "ratio"))
        )

    def sliced(self, start: int, stop: int) -> BlockFeatures:
        return BlockFeatures(
            self.spread[start:stop], self.clip_hit[start:stop], self.low_rms[start:stop], self.ratio[start:stop]
        )


def block_features(
    raw: FloatArray, cleaned: FloatArray, fs: float, block_n: int, clip_at: tuple[float | None, float | None]
) -> BlockFeatures:
    """Quality features of each whole block of ``block_n`` samples (raw channel and its cleaned version).

    Parameters
    ----------
    raw : ndarray
        Raw signal, µV.
    cleaned : ndarray
        The same signal cleaned (``apply_clean``), µV.
    fs : float
        Sample rate, Hz.
    block_n : int
        Samples per block.
    clip_at : tuple
        (lower, upper) saturation levels in µV, or None each (see ``clip_levels``).

    Returns
    -------
    BlockFeatures
        Spread, clipping, 4–15 Hz RMS and its ratio to the muscle RMS, one value per block.

    Example
    -------
    >>> from unclench.emg.dsp import clean
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> y, _ = clean(sim.signal, 1000)
    >>> block_features(sim.signal, y, 1000.0, 100, (None, None)).spread.size  # 0.1 s blocks
    200
    """
    blocks = block_view(raw, block_n)
    lowest = blocks.min(axis=1) if blocks.shape[0] else np.zeros(0)
    highest = blocks.max(axis=1) if blocks.shape[0] else np.zeros(0)
    spread = highest - lowest
    clip_hit = np.zeros(blocks.shape[0], dtype=bool)
    lo, hi = clip_at
    # a hair of tolerance: an EDF's physical extreme comes back through a float scale factor. A block touches a
    # level exactly when its extreme does, so the extremes already taken answer it without another pass.
    if lo is not None:
        clip_hit |= lowest <= lo + 1e-7 * abs(lo) + 1e-9
    if hi is not None:
        clip_hit |= highest >= hi - 1e-7 * abs(hi) - 1e-9
    low_rms, ratio = motion_features(raw, cleaned, fs, block_n)
    return BlockFeatures(spread, clip_hit, low_rms, ratio)


def flags_from_features(f: BlockFeatures, params: QualityParams | None = None) -> QualityFlags:
    """Decide flat / clipped / motion blocks; the motion yardstick is the recording's median 4–15 Hz RMS.

    Parameters
    ----------
    f : BlockFeatures
        From ``block_features`` (for a whole recording, or concatenated chunks).
    params : QualityParams, optional
        Thresholds (defaults: ``QualityParams()``).

    Returns
    -------
    QualityFlags
        Per-block flags.

    Example
    -------
    >>> from unclench.emg.dsp import clean
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> y, _ = clean(sim.signal, 1000)
    >>> flags = flags_from_features(block_features(sim.signal, y, 1000.0, 100, (None, None)))
    >>> flags.seconds()["flat_s"]
    0.0
    """
    p = params or QualityParams()
    flat = f.spread < p.flat_uv
    if f.low_rms.size == 0:
        empty = np.zeros(0, dtype=bool)
        return QualityFlags(p.block_s, empty, empty, empty)
    ref_rms = motion_reference_level(f.low_rms)
    motion = (f.low_rms > p.motion_factor * ref_rms) & (f.ratio > p.motion_ratio) & ~flat
    motion[1:] |= motion[:-1].copy()  # one block of margin after, …
    motion[:-1] |= motion[1:].copy()  # … and (so) around each flagged run
    return QualityFlags(p.block_s, flat, f.clip_hit.copy(), motion)


def quality_flags(
    raw: npt.ArrayLike,
    fs: float,
    params: QualityParams | None = None,
    *,
    clip_at: tuple[float | None, float | None] | None = None,
    cleaned: FloatArray | None = None,
) -> QualityFlags:
    """Flag flat-line, clipped and motion-artefact blocks of a raw (uncleaned) channel.

    ``clip_at`` gives the saturation levels (e.g. an EDF header's physical range); when None they are
    detected from the data (see ``clip_levels``). ``cleaned`` is the output of ``clean`` (computed
    here with defaults when not given).

    Parameters
    ----------
    raw : array_like
        Raw signal, µV.
    fs : float
        Sample rate, Hz.
    params : QualityParams, optional
        Block length (s) and thresholds.
    clip_at : tuple, optional
        (lower, upper) saturation levels, µV.
    cleaned : ndarray, optional
        The cleaned signal, µV.

    Returns
    -------
    QualityFlags
        Per-block flags; ``seconds()`` sums them in seconds.

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> x = sim.signal.copy()
    >>> x[5000:8000] = 0.0  # the electrode is off for 3 s
    >>> quality_flags(x, 1000.0).seconds()["flat_s"]
    3.0
    """
    p = params or QualityParams()
    fs = check_fs(fs)
    arr = np.asarray(raw, dtype=np.float64)
    n = max(1, round(p.block_s * fs))
    levels = clip_at if clip_at is not None else clip_levels(arr, p.clip_run, p.clip_count)
    y = cleaned if cleaned is not None else apply_clean(arr, plan_clean(arr, fs))
    return flags_from_features(block_features(arr, y, fs, n, levels), p)


def motion_features(raw: FloatArray, cleaned: FloatArray, fs: float, n: int) -> tuple[FloatArray, FloatArray]:
    """Per block: RMS of the raw 4–15 Hz band (motion) and its ratio to the cleaned (muscle) RMS.

    The low band is computed at ~100 Hz (block means of the raw signal, then a zero-phase band-pass),
    which costs a tenth of filtering at the full rate.

    Parameters
    ----------
    raw : ndarray
        Raw signal, µV.
    cleaned : ndarray
        Cleaned signal, µV.
    fs : float
        Sample rate, Hz.
    n : int
        Samples per block.

    Returns
    -------
    tuple of ndarray
        (4–15 Hz RMS in µV, its ratio to the cleaned RMS), one value per whole block.

    Example
    -------
    >>> from unclench.emg.dsp import clean
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> y, _ = clean(sim.signal, 1000)
    >>> low_rms, ratio = motion_features(sim.signal, y, 1000.0, 100)
    >>> low_rms.size, ratio.size
    (200, 200)
    """
    d = max(k for k in range(1, n + 1) if n % k == 0 and fs / k >= 50.0)
    nblocks = raw.size // n
    if nblocks == 0:
        return np.zeros(0), np.zeros(0)
    coarse = np.einsum("ij->i", raw[: nblocks * n].reshape(-1, d)) / d  # block means (einsum: no slow axis-1 mean)
    low_sos = bandpass_sos(fs / d, 4.0, 15.0, order=2)
    low = filtfilt_sos(low_sos, coarse) if coarse.size > 15 else coarse - coarse.mean()
    low_blocks = low.reshape(nblocks, n // d)
    low_rms = np.sqrt(np.einsum("ij,ij->i", low_blocks, low_blocks) / (n // d))
    high = block_view(cleaned, n)
    high_rms = np.sqrt(np.einsum("ij,ij->i", high, high) / n)  # no squared copy of the whole signal
    # against the muscle RMS of the block and its neighbours: the zero-phase 4–15 Hz filter spreads a strong
    # twitch's low-frequency content into the quiet block before it (at 250 Hz a 70 ms twitch of 78 µV was
    # flagged as motion there, and the twitch left out)
    ratio = low_rms / np.maximum(maximum_filter1d(high_rms, size=3, mode="nearest"), 1e-9)
    return low_rms, ratio


def motion_reference_level(low_rms: FloatArray) -> float:
    """The recording's typical 4–15 Hz block RMS (median), the yardstick for motion artefacts.

    Parameters
    ----------
    low_rms : ndarray
        4–15 Hz RMS per block, µV (``motion_features``).

    Returns
    -------
    float
        The median, µV (at least 1e-9).

    Example
    -------
    >>> motion_reference_level(np.array([1.0, 2.0, 30.0]))
    2.0
    """
    return float(max(np.median(low_rms), 1e-9))
