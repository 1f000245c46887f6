"""The amplitude envelope: moving RMS (or mean absolute value) evaluated every hop."""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np
import numpy.typing as npt

from unclench.emg.dsp._arrays import BoolArray, FloatArray
from unclench.emg.dsp.validate import check_fs


def hop_samples(fs: float, hop_s: float) -> int:
    """Samples between envelope points: ``hop_s`` at ``fs``, at least one.

    Parameters
    ----------
    fs : float
        Sample rate, Hz.
    hop_s : float
        Envelope step, seconds.

    Returns
    -------
    int
        Step in samples.

    Example
    -------
    >>> hop_samples(1000.0, 0.01)
    10
    """
    return max(1, round(hop_s * fs))


def envelope(
    y: npt.ArrayLike,
    fs: float,
    *,
    window_s: float = 0.1,
    hop_s: float = 0.01,
    kind: Literal["rms", "mav"] = "rms",
    centered: bool = True,
    start: int = 0,
) -> FloatArray:
    """Moving RMS (or mean absolute value) over ``window_s``, evaluated every ``hop_s`` seconds.

    Point k describes sample index ``start + k·hop`` (``start`` must be a multiple of the hop); the window
    is centred on it offline and trailing (ending on it) when ``centered`` is False. Windows are
    truncated at the signal's ends.

    Parameters
    ----------
    y : array_like
        Cleaned signal, µV.
    fs : float
        Sample rate, Hz.
    window_s : float
        Window length, seconds.
    hop_s : float
        Step between points, seconds.
    kind : {"rms", "mav"}
        Root mean square or mean absolute value.
    centered : bool
        Centred (offline) or trailing (live) windows.
    start : int
        Global sample index of ``y[0]`` (streamed chunks).

    Returns
    -------
    ndarray
        Envelope, µV, one point per hop.

    Example
    -------
    >>> from unclench.emg.dsp import clean
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> y, _ = clean(sim.signal, 1000)
    >>> env = envelope(y, 1000.0)
    >>> env.size, bool(2.0 < np.median(env) < 4.5)  # 100 points per second; rest is 3 µV
    (2000, True)
    """
    return envelopes(y, fs, (window_s,), hop_s=hop_s, kind=kind, centered=centered, start=start)[0]


def envelopes(
    y: npt.ArrayLike,
    fs: float,
    windows_s: tuple[float, ...],
    *,
    hop_s: float = 0.01,
    kind: Literal["rms", "mav"] = "rms",
    centered: bool = True,
    start: int = 0,
) -> list[FloatArray]:
    """``envelope`` for several window lengths at once, from one running sum (one pass over the data).

    Parameters
    ----------
    y : array_like
        Cleaned signal, µV.
    fs : float
        Sample rate, Hz.
    windows_s : tuple of float
        Window lengths, seconds.
    hop_s, kind, centered, start
        As for ``envelope``.

    Returns
    -------
    list of ndarray
        One envelope (µV) per window length, on the same points.

    Example
    -------
    >>> from unclench.emg.dsp import clean
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> y, _ = clean(sim.signal, 1000)
    >>> env, fine = envelopes(y, 1000.0, (0.1, 0.025))
    >>> env.size == fine.size == 2000
    True
    """
    fs = check_fs(fs)
    arr = np.asarray(y, dtype=np.float64)
    n = arr.size
    h = hop_samples(fs, hop_s)
    values = arr * arr if kind == "rms" else np.abs(arr)
    centers = np.arange(0, n, h)
    spans = []
    for window_s in windows_s:
        w = max(1, round(window_s * fs))
        lo = centers - w // 2 if centered else centers + 1 - w
        lo = np.clip(lo, 0, n)
        hi = np.clip(lo + w if centered else centers + 1, 0, n)
        spans.append((lo, hi, np.maximum(hi - lo, 1)))
    s0_all = np.minimum.reduce([lo for lo, _, _ in spans])
    s1_all = np.maximum.reduce([hi for _, hi, _ in spans])
    # Running sums restart every ~10 s (at global sample indices, via ``start``) so rounding does
    # not grow with the recording's length and streamed chunks do the same arithmetic as whole files.
    seg = max(h, (round(10 * fs) // h) * h)
    sums = [np.empty(centers.size) for _ in spans]
    first = (-start) % seg  # local index of the first segment boundary
    bounds = [0, *range(first if first else seg, n, seg), n]
    csum = np.empty(0)
    for a, b in itertools.pairwise(bounds):
        ka, kb = -(-a // h), -(-b // h)
        if kb <= ka:
            continue
        # window edges only grow with the point index: the segment's span is its first start and last end
        s0, s1 = int(s0_all[ka]), int(s1_all[kb - 1])
        if csum.size < s1 - s0 + 1:
            csum = np.empty(s1 - s0 + 1)
            csum[0] = 0.0
        np.cumsum(values[s0:s1], out=csum[1 : s1 - s0 + 1])
        for (lo, hi, _), out in zip(spans, sums, strict=True):
            out[ka:kb] = csum[hi[ka:kb] - s0] - csum[lo[ka:kb] - s0]
    result = []
    for (_, _, count), total in zip(spans, sums, strict=True):
        total /= count
        np.maximum(total, 0.0, out=total)
        result.append(np.sqrt(total, out=total) if kind == "rms" else total)
    return result


def block_mask_to_envelope(mask: BoolArray, block_s: float, n_env: int, hop_s: float) -> BoolArray:
    """Map per-block flags onto envelope points (a point is flagged when its block is).

    Parameters
    ----------
    mask : ndarray of bool
        One flag per block.
    block_s : float
        Block length, seconds.
    n_env : int
        Number of envelope points.
    hop_s : float
        Envelope step, seconds.

    Returns
    -------
    ndarray of bool
        One flag per envelope point.

    Example
    -------
    >>> block_mask_to_envelope(np.array([True, False]), 0.1, 20, 0.01).sum()
    np.int64(10)
    """
    per = block_s / hop_s
    if abs(per - round(per)) < 1e-9 and round(per) >= 1:
        out = np.repeat(mask, round(per))[:n_env]
        if out.size < n_env:
            out = np.concatenate([out, np.zeros(n_env - out.size, dtype=bool)])
        return out
    idx = np.floor(np.arange(n_env) * hop_s / block_s + 1e-9).astype(np.int64)
    out = np.zeros(n_env, dtype=bool)
    ok = idx < mask.size
    out[ok] = mask[idx[ok]]
    return out
