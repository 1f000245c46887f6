"""The amplitude envelope: moving RMS (or mean absolute value) evaluated every hop."""

from __future__ import annotations

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
    n_pts = -(-n // h)
    widths = [max(1, round(window_s * fs)) for window_s in windows_s]
    # each point's window [k·h + a, k·h + b), before truncation at the signal's ends
    spans = [(-(w // 2), w - w // 2) if centered else (1 - w, 1) for w in widths]
    # The squared (or absolute) signal is laid out in rows of one hop, with zeros around it: a window is
    # whole rows (their sums, one per hop) plus parts of a row at either end, the same few columns for
    # every point. So every point's sum is a few vector additions, and it does not depend on where the
    # signal starts (``start``): a streamed chunk and the whole file add exactly the same numbers.
    left = -(-max(0, -min(a for a, _ in spans)) // h) * h
    reach = max(left + n, left + (n_pts - 1) * h + max(b for _, b in spans))
    padded = np.zeros(-(-reach // h) * h)
    part = padded[left : left + n]
    if kind == "rms":
        np.multiply(arr, arr, out=part)
    else:
        np.abs(arr, out=part)
    rows = padded.reshape(-1, h)
    row_sums = np.einsum("ij->i", rows)
    result = []
    for (a, b), w in zip(spans, widths, strict=True):
        q0, r0 = divmod(left + a, h)
        q1, r1 = divmod(left + b, h)
        total_sum = np.zeros(n_pts)
        if q1 == q0:
            for j in range(r0, r1):
                total_sum += rows[q0 : q0 + n_pts, j]
        else:
            for j in range(r0, h) if r0 else ():
                total_sum += rows[q0 : q0 + n_pts, j]
            for q in range(q0 + (1 if r0 else 0), q1):
                total_sum += row_sums[q : q + n_pts]
            for j in range(r1):
                total_sum += rows[q1 : q1 + n_pts, j]
        centers = np.arange(n_pts) * h
        lo = np.clip(centers + a, 0, n)
        hi = np.clip(lo + w if centered else centers + 1, 0, n)
        if centered:
            # a centred window that would start before the signal starts at sample 0 instead (whole length)
            for k in range(min(n_pts, -(a // h) + 1)):
                if centers[k] + a < 0:
                    total_sum[k] = padded[left : left + int(hi[k])].sum()
        # windows truncated at the ends average over the samples they hold
        total_sum /= np.maximum(hi - lo, 1)
        np.maximum(total_sum, 0.0, out=total_sum)
        result.append(np.sqrt(total_sum, out=total_sum) if kind == "rms" else total_sum)
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
