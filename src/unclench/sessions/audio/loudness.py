"""ITU-R BS.1770-4 loudness (K-weighting, gated integrated loudness), true peak and the true-peak limiter."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from scipy import ndimage, signal

from unclench.sessions.audio._chunked import CHUNK, FloatArray

TARGET_LUFS: Final = -16.0
TRUE_PEAK_DBTP: Final = -1.0
MAX_EXTRA_GAIN_DB: Final = 8.0  # most gain the loudness search adds to make up for limiting
CHANNEL_WEIGHTS: Final = (1.0, 1.0, 1.0, 1.41, 1.41)  # BS.1770: L, R, C, Ls, Rs


@lru_cache(maxsize=8)
def _k_weighting_sos(rate: int) -> npt.NDArray[np.float32]:
    """pyloudnorm's K-weighting filters (shelf, then high-pass) as float32 second-order sections."""
    import pyloudnorm

    meter = pyloudnorm.Meter(rate)
    sections = [
        signal.tf2sos(np.asarray(f.b, dtype=np.float64) * float(f.passband_gain), np.asarray(f.a, dtype=np.float64))
        for f in meter._filters.values()
    ]
    return np.vstack(sections).astype(np.float32)


def k_weighted(x: FloatArray, rate: int, *, channel_gains: bool = True) -> FloatArray:
    """The K-weighted signal (pyloudnorm's filters), float32, same shape as ``x``; chunked with carried state.

    Parameters
    ----------
    x : numpy.ndarray
        float32 signal, shape (n,) or (n, channels).
    rate : int
        Sample rate in Hz.
    channel_gains : bool, optional
        Scale each channel's amplitude by the square root of its BS.1770 weight
        (``CHANNEL_WEIGHTS``: 1 for L, R, C; 1.41 for the surrounds). Default True.

    Returns
    -------
    numpy.ndarray
        float32, same shape as ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> tone = np.sin(2 * np.pi * 997 * np.arange(24_000) / 24_000).astype(np.float32)  # 1 s, 0 dBFS peak
    >>> weighted = k_weighted(tone, 24_000)
    >>> round(20 * math.log10(float(np.abs(weighted[12_000:]).max())), 1)  # the shelf lifts 1 kHz, in dB
    0.6
    """
    sos = _k_weighting_sos(rate)
    out = np.empty(x.shape, dtype=np.float32)
    zi = np.zeros((sos.shape[0], 2, *x.shape[1:]), dtype=np.float32)
    for start in range(0, x.shape[0], CHUNK):
        stop = min(x.shape[0], start + CHUNK)
        out[start:stop], zi = signal.sosfilt(sos, x[start:stop], axis=0, zi=zi)
    if channel_gains and x.ndim == 2:
        weights = np.sqrt(np.asarray(CHANNEL_WEIGHTS[: x.shape[1]], dtype=np.float32))
        if np.any(weights != 1.0):
            out *= weights
    return out


def _subblock_powers(kx: FloatArray, step: int) -> npt.NDArray[np.float64]:
    """Sum over channels of K-weighted energy in each 100 ms sub-block (channel gains applied)."""
    data = kx[:, None] if kx.ndim == 1 else kx
    blocks = data.shape[0] // step
    out = np.empty(blocks, dtype=np.float64)
    per = max(1, CHUNK // step)
    for first in range(0, blocks, per):
        last = min(blocks, first + per)
        part = data[first * step : last * step].astype(np.float64)
        out[first:last] = np.square(part).reshape(last - first, step, -1).sum(axis=(1, 2))
    return out


def _k_weighted_powers(x: FloatArray, rate: int, step: int) -> npt.NDArray[np.float64]:
    """``_subblock_powers(k_weighted(x))`` chunk by chunk, never holding the whole filtered signal."""
    sos = _k_weighting_sos(rate)
    zi = np.zeros((sos.shape[0], 2, *x.shape[1:]), dtype=np.float32)
    chunk = max(1, CHUNK // step) * step  # whole sub-blocks per chunk
    parts: list[npt.NDArray[np.float64]] = []
    weights = np.sqrt(np.asarray(CHANNEL_WEIGHTS[: x.shape[1]], dtype=np.float32)) if x.ndim == 2 else None
    for start in range(0, x.shape[0], chunk):
        filtered, zi = signal.sosfilt(sos, x[start : start + chunk], axis=0, zi=zi)
        if weights is not None and np.any(weights != 1.0):
            filtered *= weights
        parts.append(_subblock_powers(filtered, step))
    return np.concatenate(parts) if parts else np.zeros(0)


def _gated_loudness(powers: npt.NDArray[np.float64], step: int) -> float:
    """BS.1770-4 gating over 400 ms blocks with 75 % overlap, from 100 ms sub-block energies."""
    blocks = powers.size - 3
    if blocks <= 0:
        return float("-inf")
    z = (powers[:-3] + powers[1:-2] + powers[2:-1] + powers[3:])[:blocks] / (4 * step)
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10.0 * np.log10(z)
    absolute = z[loud >= -70.0]
    if absolute.size == 0:
        return float("-inf")
    relative = -0.691 + 10.0 * np.log10(absolute.mean()) - 10.0
    gated = z[(loud > relative) & (loud > -70.0)]
    return float(-0.691 + 10.0 * np.log10(gated.mean()))


def integrated_loudness(x: FloatArray, rate: int) -> float:
    """ITU-R BS.1770-4 integrated loudness (LUFS) with pyloudnorm's K-weighting filters, in chunks.

    Gives pyloudnorm's ``Meter.integrated_loudness`` figure (tests check this) without its
    float64 copies of the whole signal, which would not fit a 45-minute session in the memory budget.

    Parameters
    ----------
    x : numpy.ndarray
        float32 signal, shape (n,) or (n, channels).
    rate : int
        Sample rate in Hz.

    Returns
    -------
    float
        Integrated loudness in LUFS; -inf for a signal shorter than one 400 ms block or all below −70 LUFS.

    Examples
    --------
    >>> import numpy as np
    >>> tone = np.sin(2 * np.pi * 997 * np.arange(24_000) / 24_000).astype(np.float32)  # 1 s, 0 dBFS peak
    >>> round(integrated_loudness(tone, 24_000), 1), round(integrated_loudness(tone * np.float32(0.1), 24_000), 1)
    (-3.1, -23.1)
    """
    step = round(0.1 * rate)
    return _gated_loudness(_k_weighted_powers(x, rate, step), step)


_TAPS_PER_PHASE: Final = 12


@lru_cache(maxsize=4)
def _interpolation_matrix(oversample: int) -> npt.NDArray[np.float32]:
    """Rows k = 0..oversample-1 give the signal at ``c + k/oversample`` from the window x[c-6 .. c+6].

    A 49-tap windowed-sinc interpolator (BS.1770-4 Annex 2 uses 4 phases × 12 taps); with an odd
    length its delay is a whole number of input samples, so each row lines up with the window.
    """
    length = oversample * _TAPS_PER_PHASE + 1
    h = signal.firwin(length, 1.0 / oversample, window=("kaiser", 5.0)) * oversample
    width = _TAPS_PER_PHASE + 1
    matrix = np.zeros((oversample, width), dtype=np.float64)
    for k in range(oversample):
        for j in range(width):
            tap = oversample * (width - 1 - j) + k
            if tap < length:
                matrix[k, j] = h[tap]
    return matrix.astype(np.float32)


def _sample_level(x: FloatArray, start: int, stop: int) -> FloatArray:
    part = x[start:stop]
    return np.abs(part) if part.ndim == 1 else np.max(np.abs(part), axis=1)


def true_level(x: FloatArray, *, floor: float = 0.0, oversample: int = 4) -> FloatArray:
    """Per-sample peak of the ``oversample``× upsampled signal (max over channels).

    Entry ``i`` covers the interval from sample i to i+1. Only intervals next to a sample at or
    above ``floor`` are interpolated; elsewhere the sample peak stands in (inter-sample overs are
    a fraction of a dB to a few dB, never enough to matter there).

    Parameters
    ----------
    x : numpy.ndarray
        float32 signal, shape (n,) or (n, channels).
    floor : float, optional
        Linear level (1.0 = full scale) from which intervals are interpolated (default 0: all).
    oversample : int, optional
        Oversampling factor (default 4, as BS.1770-4 Annex 2).

    Returns
    -------
    numpy.ndarray
        float32, shape (n,): the linear peak level of each interval.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.sin(np.pi / 2 * np.arange(24_000) + np.pi / 4).astype(np.float32)  # samples miss the crests
    >>> round(float(np.abs(x).max()), 3), round(float(true_level(x).max()), 2)
    (0.707, 1.01)
    """
    n = x.shape[0]
    level = np.empty(n, dtype=np.float32)
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        level[start:stop] = _sample_level(x, start, stop)
    hot = level >= np.float32(floor)
    hot[:-1] |= hot[1:]  # the interval before a hot sample, too
    candidates = np.flatnonzero(hot)
    del hot
    _raise_to_oversampled(level, x, candidates, oversample)
    return level


def _raise_to_oversampled(
    level: FloatArray, x: FloatArray, candidates: npt.NDArray[np.signedinteger[Any]], oversample: int = 4
) -> None:
    """Raise ``level[i]`` at each candidate interval i to the ``oversample``× interpolated peak there."""
    n = x.shape[0]
    if candidates.size == 0:
        return
    matrix = _interpolation_matrix(oversample)
    half = _TAPS_PER_PHASE // 2
    offsets = np.arange(-half, half + 1)
    channels = [x] if x.ndim == 1 else [x[:, ch] for ch in range(x.shape[1])]
    per = max(1, CHUNK // 8)
    for first in range(0, candidates.size, per):
        idx = candidates[first : first + per]
        window_idx = idx[:, None] + offsets[None, :]
        outside = (window_idx < 0) | (window_idx >= n)  # zeros beyond the ends, as a meter sees them
        np.clip(window_idx, 0, n - 1, out=window_idx)
        best = level[idx]
        for channel in channels:
            windows = channel[window_idx]
            windows[outside] = 0.0
            values = windows @ matrix.T  # (candidates, phases)
            np.maximum(best, np.max(np.abs(values), axis=1), out=best)
        level[idx] = best


def true_peak_dbtp(x: FloatArray, rate: int, *, oversample: int = 4) -> float:
    """Maximum of the 4× oversampled signal (BS.1770 Annex 2 style), in dBTP.

    Parameters
    ----------
    x : numpy.ndarray
        float32 signal, shape (n,) or (n, channels).
    rate : int
        Sample rate in Hz (unused: the interpolation works in samples).
    oversample : int, optional
        Oversampling factor (default 4).

    Returns
    -------
    float
        True peak in dBTP; -inf for silence.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.sin(np.pi / 2 * np.arange(24_000) + np.pi / 4).astype(np.float32)  # sample peak −3 dBFS
    >>> round(true_peak_dbtp(x, 24_000), 1)
    0.1
    """
    del rate
    sample_peak = max(
        (float(np.max(np.abs(x[i : i + CHUNK]), initial=0.0)) for i in range(0, x.shape[0], CHUNK)), default=0.0
    )
    peak = float(true_level(x, floor=sample_peak * 0.7, oversample=oversample).max(initial=0.0))
    return 20.0 * math.log10(peak) if peak > 0 else float("-inf")


def limiter_runs(
    level: FloatArray,
    rate: int,
    *,
    ceiling: float,
    makeup: float = 1.0,
    candidates: npt.NDArray[np.signedinteger[Any]] | None = None,
) -> list[tuple[int, FloatArray]]:
    """Smooth look-ahead gain (≤ 1, 5 ms windows) keeping ``level × makeup × gain`` under ``ceiling``.

    Returned sparsely as (start index, gain values) runs; the gain is 1 everywhere else.
    ``candidates`` (indices that could exceed the ceiling) saves scanning the whole signal.

    Parameters
    ----------
    level : numpy.ndarray
        float32 linear peak level per sample, shape (n,), as ``true_level`` gives.
    rate : int
        Sample rate in Hz (sets the 5 ms windows).
    ceiling : float
        Linear ceiling (1.0 = full scale).
    makeup : float, optional
        Linear gain applied before the limiter (default 1).
    candidates : numpy.ndarray, optional
        Sample indices that may exceed the ceiling; default: every sample is checked.

    Returns
    -------
    list of (int, numpy.ndarray)
        (first sample, float32 gains ≤ 1) for each stretch that needs limiting.

    Examples
    --------
    >>> import numpy as np
    >>> tone = np.sin(2 * np.pi * 997 * np.arange(24_000) / 24_000).astype(np.float32)  # 1 s, 0 dBFS peak
    >>> level = true_level(tone)
    >>> runs = limiter_runs(level, 24_000, ceiling=0.5)
    >>> round(max(float((level[lo : lo + gain.size] * gain).max()) for lo, gain in runs), 3)
    0.5
    """
    n = level.size
    window = max(2, int(0.005 * rate))
    ceiling = ceiling / makeup
    hot = np.flatnonzero(level > ceiling) if candidates is None else candidates[level[candidates] > ceiling]
    if hot.size == 0:
        return []
    reach = 2 * window + 2
    breaks = np.flatnonzero(np.diff(hot) > 2 * reach)
    starts = np.concatenate(([hot[0]], hot[breaks + 1]))
    ends = np.concatenate((hot[breaks], [hot[-1]]))
    runs: list[tuple[int, FloatArray]] = []
    for first, last in zip(starts, ends, strict=True):
        lo, hi = max(0, int(first) - reach), min(n, int(last) + reach + 1)
        need = np.minimum(np.float32(1.0), np.float32(ceiling) / np.maximum(level[lo:hi], np.float32(1e-9)))
        gain = ndimage.minimum_filter1d(need, size=2 * window + 1, mode="nearest")
        gain = ndimage.uniform_filter1d(gain, size=window, mode="nearest")
        np.minimum(gain, need, out=gain)  # guarantee the ceiling even at window edges
        runs.append((lo, gain.astype(np.float32)))
    return runs


def _apply_runs(x: FloatArray, runs: list[tuple[int, FloatArray]]) -> None:
    for lo, gain in runs:
        hi = lo + gain.size
        x[lo:hi] *= gain if x.ndim == 1 else gain[:, None]


def limit(x: FloatArray, rate: int, *, ceiling_db: float) -> FloatArray:
    """Look-ahead true-peak limiter, in place.

    Parameters
    ----------
    x : numpy.ndarray
        float32 signal, shape (n,) or (n, channels); changed in place.
    rate : int
        Sample rate in Hz.
    ceiling_db : float
        True-peak ceiling in dBTP.

    Returns
    -------
    numpy.ndarray
        ``x``, limited.

    Examples
    --------
    >>> import numpy as np
    >>> tone = np.sin(2 * np.pi * 997 * np.arange(24_000) / 24_000).astype(np.float32)  # 1 s, 0 dBFS peak
    >>> round(true_peak_dbtp(limit(tone, 24_000, ceiling_db=-6.0), 24_000), 1)
    -6.0
    """
    ceiling = 10 ** (ceiling_db / 20.0)
    _apply_runs(x, limiter_runs(true_level(x, floor=ceiling * 0.5), rate, ceiling=ceiling))
    return x


def _limited_powers(
    x: FloatArray,
    base: npt.NDArray[np.float64],
    runs: list[tuple[int, FloatArray]],
    rate: int,
    step: int,
) -> npt.NDArray[np.float64]:
    """Sub-block energies of ``x`` after the limiter runs, without filtering the whole signal again.

    Outside the runs the signal is unchanged, so only sub-blocks a run touches (plus the filters'
    short tail, 200 ms is ample) change. Those stretches are K-weighted afresh, starting 200 ms
    early so the filters have settled (their memory is a few milliseconds) by the first changed block.
    """
    powers = base.copy()
    if not runs:
        return powers
    n = x.shape[0]
    settle = int(0.2 * rate)
    clusters: list[list[tuple[int, FloatArray]]] = [[runs[0]]]
    for run in runs[1:]:
        last_lo, last_gain = clusters[-1][-1]
        if run[0] - (last_lo + last_gain.size) < 2 * settle + 2 * step:
            clusters[-1].append(run)
        else:
            clusters.append([run])
    for cluster in clusters:
        lo = cluster[0][0] // step * step
        hi = min(n, cluster[-1][0] + cluster[-1][1].size + settle)
        hi = min(n, -(-hi // step) * step)
        start = max(0, lo - settle)
        segment = x[start:hi].copy()
        for first_sample, gain in cluster:
            where = segment[first_sample - start : first_sample - start + gain.size]
            where *= gain if x.ndim == 1 else gain[:, None]
        count = (hi - lo) // step
        if count:
            weighted = k_weighted(segment, rate)[lo - start : lo - start + count * step]
            powers[lo // step : lo // step + count] = _subblock_powers(weighted, step)
    return powers


def _true_peak_after(x: FloatArray, level: FloatArray, runs: list[tuple[int, FloatArray]], gain: float) -> float:
    """True peak (dBTP) of ``x`` after ``gain`` and the limiter ``runs``, given its ``true_level`` before.

    Away from the runs the signal is only scaled, so its level is too; an interval is oversampled
    from the samples within ``_TAPS_PER_PHASE`` of it, so stretches that far around each run are
    measured again (``level`` is overwritten there).
    """
    n = x.shape[0]
    if not runs:
        peak = float(level.max(initial=0.0)) * gain
    else:
        margin = _TAPS_PER_PHASE + 1
        changed = np.zeros(n, dtype=bool)
        for lo, run_gain in runs:
            changed[max(0, lo - margin) : lo + run_gain.size + margin] = True
        around = np.flatnonzero(changed)
        del changed
        level[around] = 0.0
        outside = float(level.max(initial=0.0)) * gain
        samples = np.abs(x[around]) if x.ndim == 1 else np.max(np.abs(x[around]), axis=1)
        level[around] = samples
        # As ``true_peak_dbtp`` does: only intervals next to a sample within 3 dB of the peak are oversampled.
        hot = around[samples >= np.float32(0.7 * max(outside, float(samples.max())))]
        del samples
        marked = np.zeros(n, dtype=bool)  # the interval before a hot sample, too (as in ``true_level``)
        marked[hot] = True
        marked[hot[hot > 0] - 1] = True
        candidates = np.flatnonzero(marked)
        del marked, hot
        _raise_to_oversampled(level, x, candidates)
        peak = max(outside, float(level[candidates].max()))
    return 20.0 * math.log10(peak) if peak > 0 else float("-inf")


def normalise(
    x: FloatArray, rate: int, *, target_lufs: float = TARGET_LUFS, peak_dbtp: float = TRUE_PEAK_DBTP
) -> tuple[FloatArray, float, float]:
    """`normalise_with_gain` without the gain: (signal, LUFS, true peak dBTP); see there.

    Examples
    --------
    >>> import numpy as np
    >>> tone = np.sin(2 * np.pi * 997 * np.arange(24_000) / 24_000).astype(np.float32)  # 1 s, 0 dBFS peak
    >>> y, lufs, peak = normalise(tone * np.float32(0.01), 24_000)
    >>> round(lufs, 1), peak <= -1.0
    (-16.0, True)
    """
    y, loudness, peak, _gain = normalise_with_gain(x, rate, target_lufs=target_lufs, peak_dbtp=peak_dbtp)
    return y, loudness, peak


def normalise_with_gain(
    x: FloatArray, rate: int, *, target_lufs: float = TARGET_LUFS, peak_dbtp: float = TRUE_PEAK_DBTP
) -> tuple[FloatArray, float, float, float]:
    """Gain to ``target_lufs`` integrated, limiting so the true peak stays ≤ ``peak_dbtp``, in place.

    Limiting lowers loudness a little, so the gain is raised until gain + limiting meet the target.
    The search filters the signal once and then only re-measures the stretches the limiter
    touches; the result's loudness and true peak follow from those measurements (the tests check
    them against a fresh measurement). Returns (signal, LUFS, true peak dBTP).

    Parameters
    ----------
    x : numpy.ndarray
        float32 signal, shape (n,) or (n, channels); changed in place.
    rate : int
        Sample rate in Hz.
    target_lufs : float, optional
        Wanted integrated loudness in LUFS (default ``TARGET_LUFS``, −16).
    peak_dbtp : float, optional
        True-peak ceiling in dBTP (default ``TRUE_PEAK_DBTP``, −1).

    Returns
    -------
    tuple of (numpy.ndarray, float, float, float)
        ``x`` after gain and limiting, its integrated loudness in LUFS, its true peak in dBTP and the linear
        gain applied outside the limiter's runs (an adaptive session's clips get the same gain).
        A silent or too-short signal comes back unchanged with -inf for both and a gain of 1.

    Examples
    --------
    >>> import numpy as np
    >>> tone = np.sin(2 * np.pi * 997 * np.arange(24_000) / 24_000).astype(np.float32)  # 1 s, 0 dBFS peak
    >>> y, lufs, peak, gain = normalise_with_gain(tone * np.float32(0.01), 24_000)
    >>> round(lufs, 1), peak <= -1.0, bool(np.allclose(y, tone * np.float32(0.01) * gain, atol=1e-6))
    (-16.0, True, True)
    """
    step = round(0.1 * rate)
    base = _k_weighted_powers(x, rate, step)
    loudness = _gated_loudness(base, step)
    if not math.isfinite(loudness):
        return x, loudness, float("-inf"), 1.0
    ceiling = 10 ** ((peak_dbtp - 0.3) / 20.0)
    gain_db = target_lufs - loudness
    # Limiting may call for more gain than the plain loudness difference, up to MAX_EXTRA_GAIN_DB;
    # only samples that could pass the ceiling at that gain need the oversampled level.
    highest_db = gain_db + MAX_EXTRA_GAIN_DB
    lowest_level = ceiling / 10 ** (highest_db / 20.0)
    level = true_level(x, floor=lowest_level * 0.7)
    candidates: npt.NDArray[np.signedinteger[Any]] = np.flatnonzero(level > lowest_level)
    if x.shape[0] < 2**31:
        candidates = candidates.astype(np.int32)  # half the memory of the default int64 indices
    tried: list[tuple[float, float, list[tuple[int, FloatArray]], npt.NDArray[np.float64]]] = []
    for _ in range(6):
        runs = limiter_runs(level, rate, ceiling=ceiling, makeup=10 ** (gain_db / 20.0), candidates=candidates)
        limited = _limited_powers(x, base, runs, rate, step)
        estimate = _gated_loudness(limited, step) + gain_db
        tried.append((gain_db, estimate, runs, limited))
        error = target_lufs - estimate
        if abs(error) < 0.05:
            break
        slope = 1.0
        if len(tried) >= 2 and tried[-1][0] != tried[-2][0]:
            # Secant step: limiting makes loudness grow more slowly than the gain.
            slope = min(1.0, max(0.1, (tried[-1][1] - tried[-2][1]) / (tried[-1][0] - tried[-2][0])))
        gain_db = min(highest_db, gain_db + error / slope)
    # The gain whose limiter runs were computed and whose estimate came closest.
    gain_db, _estimate, runs, limited = min(tried, key=lambda t: abs(target_lufs - t[1]))
    del candidates, tried
    gain = np.float32(10 ** (gain_db / 20.0))
    x *= gain
    _apply_runs(x, runs)
    # Measured from what is known rather than by filtering the whole result again: the limited
    # signal's sub-block energies scaled by the gain (gating applied afresh), and the true level
    # scaled by the gain except around the limiter runs, which are oversampled again.
    measured = _gated_loudness(limited * float(gain) ** 2, step)
    if float(level.max(initial=0.0)) >= lowest_level:
        peak = _true_peak_after(x, level, runs, float(gain))
    else:  # all of it far under the ceiling, where ``level`` was not oversampled: measure afresh
        peak = true_peak_dbtp(x, rate)
    del level
    applied = float(gain)
    if peak > peak_dbtp:  # a last safety margin; costs at most a fraction of a dB
        margin = np.float32(10 ** ((peak_dbtp - peak - 0.05) / 20.0))
        x *= margin
        applied *= float(margin)
        peak = true_peak_dbtp(x, rate)
        measured = integrated_loudness(x, rate)
    return x, measured, peak, applied
