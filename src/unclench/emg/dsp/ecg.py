"""Heartbeat (ECG) contamination: find the beats in a cleaned channel and subtract them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import signal as sps
from scipy.ndimage import median_filter

from unclench.emg.dsp._arrays import FloatArray

ECG_BPM_RANGE = (40.0, 180.0)
# Candidate beats at least this far apart: the heart's refractory period, as in Pan & Tompkins (1985, IEEE
# TBME 32:230). A wider spacing (the 333 ms of 180 bpm) let a burst starting 0.2–0.3 s after a beat swallow
# the beat's energy peak, so the beat stayed in and merged into the burst (onsets 0.2–0.3 s early).
QRS_REFRACTORY_S = 0.2


@dataclass(frozen=True)
class EcgPlan:
    """Heartbeats found in a channel: the rate, the beat template in the cleaned signal, and how to find beats.

    Removal is template subtraction (Drake & Callaghan 2006, J Electromyogr Kinesiol 16:175–187; compared
    with other methods by Willigenburg et al. 2012, J Electromyogr Kinesiol 22:485–493): each beat is found
    in the cleaned signal by its QRS energy and its likeness to the template, and the template, scaled to
    the beat, is subtracted. Muscle activity is random from beat to beat and averages out of the template.
    """

    bpm: float
    template: tuple[float, ...]  # µV, the cleaned signal from ``pre`` samples before the R peak
    pre: int
    threshold_uv: float  # QRS energy (40 ms RMS) a beat must reach
    fs: float

    def template_array(self) -> FloatArray:
        return np.asarray(self.template, dtype=np.float64)


def _qrs_energy(y: FloatArray, fs: float) -> FloatArray:
    """40 ms centred moving RMS of the cleaned signal: one hump per QRS complex."""
    n = y.size
    w = min(max(1, round(0.04 * fs)), n)
    c = np.empty(n + 1)
    c[0] = 0.0
    np.cumsum(y * y, out=c[1:])
    # window k covers [k − w//2, k − w//2 + w), truncated at the ends: whole windows by slicing, the ends by index
    sums = np.empty(n)
    count = np.full(n, float(w))
    h = w // 2
    sums[h : n - w + h + 1] = c[w:] - c[: n - w + 1]
    for k in (*range(h), *range(n - w + h + 1, n)):
        lo = max(0, k - h)
        hi = min(n, lo + w)
        sums[k], count[k] = c[hi] - c[lo], hi - lo
    np.maximum(sums, 0.0, out=sums)
    return np.sqrt(sums / count)


def _beat_candidates(e: FloatArray, fs: float, threshold: float) -> npt.NDArray[np.intp]:
    peaks, _ = sps.find_peaks(e, height=threshold, distance=max(1, round(QRS_REFRACTORY_S * fs)))
    return np.asarray(peaks, dtype=np.intp)


def _segments(y: FloatArray, at: npt.NDArray[np.intp], pre: int, post: int) -> FloatArray:
    idx = at[:, None] + np.arange(-pre, post)[None, :]
    return y[idx]


def detect_ecg(y: npt.ArrayLike, fs: float) -> EcgPlan | None:
    """Look for heartbeats in a cleaned channel; return the removal plan, or None when there are none.

    Heartbeats are QRS-energy peaks that stand well above the channel's typical level, come at a steady
    rate of 40–180 beats per minute (most intervals within 20 % of the median), and look alike (each beat
    correlates with their median waveform).

    Parameters
    ----------
    y : array_like
        Cleaned (band-passed, notched) signal, µV; at least 10 s.
    fs : float
        Sample rate, Hz.

    Returns
    -------
    EcgPlan or None
        Rate (beats per minute), beat template (µV) and detection threshold; None when no heartbeat is found.

    Example
    -------
    >>> from unclench.emg.dsp import clean
    >>> from unclench.emg.simulate import simulate_emg, synthetic_ecg
    >>> sim = simulate_emg(20, 1000, seed=1)
    >>> heart, _ = synthetic_ecg(sim.signal.size, 1000, bpm=70)
    >>> y, _ = clean(sim.signal + heart, 1000, ecg=False)  # band-pass and notch only
    >>> plan = detect_ecg(y, 1000)
    >>> 65 <= plan.bpm <= 75
    True
    """
    arr = np.asarray(y, dtype=np.float64)
    if arr.size < 10 * fs:
        return None
    e = _qrs_energy(arr, fs)
    floor = float(np.median(e))
    peaks = _beat_candidates(e, fs, 3.0 * floor)
    # the checks below need at least 60 % of the beats at 40 bpm or faster (and 8): give up early when
    # there are not even that many candidates (the usual case, and the costly part is what follows)
    if peaks.size < max(8, 0.6 * arr.size / fs * ECG_BPM_RANGE[0] / 60.0):
        return None
    # a QRS is a 40 ms hump well above the half second around it; muscle bursts are not
    step = max(1, round(0.01 * fs))
    local = median_filter(e[::step], size=51, mode="nearest")
    beats = peaks[e[peaks] >= 2.5 * local[np.minimum(peaks // step, local.size - 1)]]
    pre, post = round(0.1 * fs), round(0.15 * fs)
    beats = beats[(beats >= pre) & (beats < arr.size - post)]
    # the energy hump is broad: put each beat on its R peak (the largest deflection within ±20 ms)
    half = round(0.02 * fs)
    around = _segments(arr, beats, half, half + 1)
    beats = beats - half + np.argmax(np.abs(around), axis=1)
    beats = beats[(beats >= pre) & (beats < arr.size - post)]
    if beats.size < 8:
        return None
    rr = np.diff(beats) / fs
    med_rr = float(np.median(rr))
    bpm = 60.0 / med_rr
    if not ECG_BPM_RANGE[0] <= bpm <= ECG_BPM_RANGE[1]:
        return None
    if float(np.mean(np.abs(rr / med_rr - 1.0) < 0.2)) < 0.6:
        return None
    # too few beats for the rate: occasional spikes, not a heartbeat. Counted over the time the muscle is at
    # rest (a beat inside a burst does not stand out from the half second around it, so it is not counted)
    rest_s = float(np.count_nonzero(local <= 2.0 * floor)) * step / fs
    if beats.size < 0.6 * rest_s / med_rr:
        return None
    segs = _segments(arr, beats, pre, post)
    template = np.median(segs, axis=0)
    if float(np.median(_correlations(segs, template))) < 0.6:
        return None
    threshold = 0.5 * float(np.median(e[beats]))
    return EcgPlan(round(bpm, 1), tuple(template.tolist()), pre, threshold, fs)


def _correlations(segs: FloatArray, template: FloatArray) -> FloatArray:
    a = segs - segs.mean(axis=1, keepdims=True)
    b = template - template.mean()
    den = np.sqrt((a * a).sum(axis=1) * float((b * b).sum()))
    return np.asarray((a @ b) / np.maximum(den, 1e-12), dtype=np.float64)


def remove_ecg(y: FloatArray, plan: EcgPlan) -> FloatArray:
    """Subtract the beat template, scaled to each beat, wherever a beat is found (returns a new array).

    Parameters
    ----------
    y : ndarray
        Cleaned signal, µV, at the plan's sample rate.
    plan : EcgPlan
        From ``detect_ecg``.

    Returns
    -------
    ndarray
        The signal with the heartbeats subtracted, µV.

    Example
    -------
    >>> from unclench.emg.dsp import clean
    >>> from unclench.emg.simulate import simulate_emg, synthetic_ecg
    >>> sim = simulate_emg(20, 1000, seed=1)
    >>> heart, _ = synthetic_ecg(sim.signal.size, 1000, bpm=70)
    >>> y, _ = clean(sim.signal + heart, 1000, ecg=False)  # band-pass and notch only
    >>> muscle, _ = clean(sim.signal, 1000, ecg=False)  # the same signal without the heart
    >>> without = remove_ecg(y, detect_ecg(y, 1000))
    >>> def rms(a): return float(np.sqrt(np.mean(a**2)))
    >>> rms(y - muscle) > 4 * rms(without - muscle)  # heartbeat left in the signal: 5.3 → 1.1 µV RMS
    True
    """
    template = plan.template_array()
    pre, post = plan.pre, template.size - plan.pre
    e = _qrs_energy(y, plan.fs)
    beats = _beat_candidates(e, plan.fs, plan.threshold_uv)
    beats = beats[(beats >= pre) & (beats < y.size - post)]
    out = y.copy()
    if beats.size == 0:
        return out
    # align each candidate on the template and keep those that look like a beat; the search reaches ±10 % of
    # the beat interval (at most 80 ms): the energy peak can sit off the R wave when muscle activity is near,
    # and a beat put back by the rhythm below is off by the beat-to-beat variation (a few % of the interval)
    shift = round(min(0.08, 0.1 * 60.0 / plan.bpm) * plan.fs)
    xc = sps.correlate(y, template, mode="valid", method="fft")  # xc[i] = <y[i:i+len], template>
    starts = beats - pre
    offsets = np.arange(-shift, shift + 1)
    cand = np.clip(starts[:, None] + offsets[None, :], 0, xc.size - 1)
    starts = cand[np.arange(cand.shape[0]), np.argmax(xc[cand], axis=1)]
    segs = _segments(y, starts + pre, pre, post)
    starts = starts[_correlations(segs, template) >= 0.5]
    # a beat hidden by a burst (its energy peak swallowed by a bigger one) is put back where the rhythm
    # expects it — evenly between the beats found on either side, so the local rate counts, not only the
    # median one — aligned on the template
    rr = 60.0 / plan.bpm * plan.fs
    filled: list[int] = []
    for s0, s1 in itertools.pairwise(starts.tolist()):
        filled.append(s0)
        gaps = round((s1 - s0) / rr)
        for j in range(1, gaps):
            k = round(s0 + j * (s1 - s0) / gaps)
            lo, hi = max(0, k - shift), min(xc.size - 1, k + shift)
            filled.append(lo + int(np.argmax(xc[lo : hi + 1])))
    if starts.size:
        filled.append(int(starts[-1]))
    starts = np.asarray(filled, dtype=np.intp)
    segs = _segments(y, starts + pre, pre, post)
    tt = float(template @ template)
    for s0, seg in zip(starts.tolist(), segs, strict=True):
        scale = min(1.5, max(0.5, float(seg @ template) / tt))
        out[s0 : s0 + template.size] -= scale * template
    return out
