"""Surface-EMG signal processing: array in, array out, sample rate always explicit.

The offline pipeline is four named steps, each a public function:

``clean`` (band-pass + detected mains notch) → ``quality_flags`` (flat line, clipping, motion) →
``envelope`` (moving RMS, evaluated every ``hop_s``) → ``detect_bursts`` / ``resting_tone``.
``analyze`` composes them. Units: signals in µV, times in seconds, frequencies in Hz.

No database import here: this module is tested and benchmarked alone.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal as sps
from scipy.ndimage import maximum_filter1d, median_filter

from unclench.core.errors import UserInputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MIN_FS_HZ = 100.0
QUIET_PTS = 3
RECOMMENDED_FS_HZ = 1000.0
MAINS_CANDIDATES_HZ = (50.0, 60.0)
MAINS_PROBE_S = 60.0  # mains hum is looked for in the first minute (whole-file and streamed alike)
NotchMode = Literal["causal", "zero_phase", "off"]


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def check_fs(fs: float | None, *, field_name: str = "fs") -> float:
    """Return ``fs`` as a float, or raise a clear UserInputError if it is missing or implausible."""
    if fs is None:
        raise UserInputError.single(field_name, "the sample rate is missing: state it in Hz (e.g. --fs 1000)")
    try:
        value = float(fs)
    except (TypeError, ValueError):
        raise UserInputError.single(field_name, f"the sample rate {fs!r} is not a number") from None
    if not np.isfinite(value) or value <= 0:
        raise UserInputError.single(field_name, f"the sample rate must be a positive number of Hz, got {fs!r}")
    if value < MIN_FS_HZ:
        raise UserInputError.single(
            field_name, f"a sample rate of {value:g} Hz is too low for surface EMG (at least {MIN_FS_HZ:g} Hz)"
        )
    if value > 100_000:
        raise UserInputError.single(field_name, f"a sample rate of {value:g} Hz is implausible for surface EMG")
    return value


def check_signal(x: npt.ArrayLike, *, field_name: str = "signal") -> FloatArray:
    """Return a 1-D float64 copy-free view of ``x``; NaN/inf or an empty signal are clear errors."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise UserInputError.single(field_name, f"expected one channel (1-D array), got shape {arr.shape}")
    if arr.size == 0:
        raise UserInputError.single(field_name, "the signal is empty")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.argmax(bad))
        raise UserInputError.single(
            field_name, f"{int(bad.sum())} sample(s) are NaN or infinite (first at sample {first}); remove or fill them"
        )
    return arr


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


def band_edges(fs: float, low_hz: float = 20.0, high_hz: float = 450.0) -> tuple[float, float]:
    """The band-pass edges actually used: ``high_hz`` is limited to 0.45·fs (e.g. 112.5 Hz at 250 Hz)."""
    high = min(high_hz, 0.45 * fs)
    if low_hz <= 0 or high <= low_hz * 1.5:
        raise UserInputError.single("fs", f"a sample rate of {fs:g} Hz leaves no usable band above {low_hz:g} Hz")
    return low_hz, high


def bandpass_sos(fs: float, low_hz: float = 20.0, high_hz: float = 450.0, order: int = 4) -> FloatArray:
    """Butterworth band-pass as second-order sections (``order`` per edge), designed once per setting."""
    low, high = band_edges(fs, low_hz, high_hz)
    return _butter_sos(order, low, high, fs).copy()  # a copy: scipy's sosfilt wants writable sections


@functools.lru_cache(maxsize=64)
def _butter_sos(order: int, low_hz: float, high_hz: float, fs: float) -> FloatArray:
    """A Butterworth band-pass design, cached (designing one costs more than filtering a minute at 1 kHz)."""
    sos = np.asarray(sps.butter(order, [low_hz, high_hz], btype="bandpass", fs=fs, output="sos"), dtype=np.float64)
    sos.setflags(write=False)
    return sos


@functools.lru_cache(maxsize=64)
def _sos_zi(sos_bytes: bytes, sections: int) -> FloatArray:
    """``sosfilt_zi`` of a cascade given by its bytes, cached (the same few cascades are used again and again)."""
    zi = np.asarray(sps.sosfilt_zi(np.frombuffer(sos_bytes).reshape(sections, 6)), dtype=np.float64)
    zi.setflags(write=False)
    return zi


def sos_zi(sos: FloatArray) -> FloatArray:
    """Steady-state initial conditions of a second-order-section cascade (read-only; see ``sosfilt_zi``)."""
    arr = np.ascontiguousarray(sos, dtype=np.float64)
    return _sos_zi(arr.tobytes(), arr.shape[0])


def _psd(x: FloatArray, fs: float) -> tuple[FloatArray, FloatArray]:
    """Welch PSD at 0.5 Hz resolution with median averaging: steady hum survives, bursts do not raise the floor.

    Equals ``scipy.signal.welch(x, fs, nperseg=2 s, detrend="constant", average="median")`` (tested), written
    out over a strided view of the segments: scipy's general version spends more on bookkeeping than on the
    FFTs for this one case.
    """
    nper = int(min(x.size, round(fs * 2)))
    segs = sliding_window_view(x, nper)[:: nper - nper // 2]
    win = _hann(nper)
    spec = np.fft.rfft((segs - segs.mean(axis=1, keepdims=True)) * win, axis=1)
    power = spec.real * spec.real + spec.imag * spec.imag
    # the median of exponentially distributed periodogram values is biased low: scipy's correction
    half = 2.0 * np.arange(1.0, (segs.shape[0] - 1) // 2 + 1)
    bias = 1.0 + float(np.sum(1.0 / (half + 1.0) - 1.0 / half))
    pxx = np.median(power, axis=0) / (fs * float(win @ win) * bias)
    pxx[1 : None if nper % 2 else -1] *= 2.0  # one-sided: all but DC (and Nyquist) count twice
    return np.fft.rfftfreq(nper, 1.0 / fs).astype(np.float64), pxx


@functools.lru_cache(maxsize=16)
def _hann(n: int) -> FloatArray:
    win = np.asarray(sps.get_window("hann", n), dtype=np.float64)
    win.setflags(write=False)
    return win


def mains_peak_ratios(
    x: npt.ArrayLike,
    fs: float,
    mains_hz: float,
    max_hz: float | None = None,
    *,
    psd: tuple[FloatArray, FloatArray] | None = None,
) -> dict[float, float]:
    """Power at each harmonic of ``mains_hz`` relative to the median power of its neighbourhood (Welch PSD)."""
    freqs, pxx = psd if psd is not None else _psd(np.asarray(x, dtype=np.float64), fs)
    top = min(max_hz if max_hz is not None else fs / 2, fs / 2 - 2)
    ratios: dict[float, float] = {}
    k = 1
    while mains_hz * k <= top:
        f0 = mains_hz * k
        peak = float(pxx[np.abs(freqs - f0) <= 1.0].max())
        ring = (np.abs(freqs - f0) >= 3.0) & (np.abs(freqs - f0) <= 12.0)
        floor = float(np.median(pxx[ring])) if ring.any() else 0.0
        ratios[f0] = peak / floor if floor > 0 else (np.inf if peak > 0 else 0.0)
        k += 1
    return ratios


def detect_mains(
    x: npt.ArrayLike, fs: float, *, ratio: float = 8.0, psd: tuple[FloatArray, FloatArray] | None = None
) -> float | None:
    """Return 50.0 or 60.0 when that mains fundamental stands ``ratio``× above its spectral neighbourhood, else None.

    Uses at most the first 60 s (MAINS_PROBE_S) of ``x`` so that streamed and whole-file analysis decide alike.
    """
    fs = check_fs(fs)
    arr = np.asarray(x, dtype=np.float64)[: int(MAINS_PROBE_S * fs)]
    if arr.size < fs * 2:
        return None
    psd = psd if psd is not None else _psd(arr, fs)
    best: tuple[float, float] | None = None
    for f0 in MAINS_CANDIDATES_HZ:
        if f0 >= fs / 2 - 2:
            continue
        r = mains_peak_ratios(arr, fs, f0, max_hz=f0, psd=psd)[f0]
        if r >= ratio and (best is None or r > best[1]):
            best = (f0, r)
    return best[0] if best else None


def notch_frequencies(
    x: npt.ArrayLike,
    fs: float,
    mains_hz: float,
    *,
    high_hz: float = 450.0,
    ratio: float = 8.0,
    psd: tuple[FloatArray, FloatArray] | None = None,
) -> list[float]:
    """The fundamental plus every harmonic inside the pass band that actually stands out (``ratio``× its floor)."""
    arr = np.asarray(x, dtype=np.float64)[: int(MAINS_PROBE_S * fs)]
    top = min(high_hz, 0.45 * fs)
    ratios = mains_peak_ratios(arr, fs, mains_hz, max_hz=top, psd=psd)
    return [f for f, r in ratios.items() if f == mains_hz or r >= ratio]


def notch_sos(fs: float, freqs_hz: list[float], quality: float = 30.0) -> FloatArray:
    """IIR notches (one second-order section each) at ``freqs_hz``; quality Q = f0 / bandwidth."""
    sections = []
    for f0 in freqs_hz:
        b, a = sps.iirnotch(f0, quality, fs=fs)
        sections.append(np.concatenate([b, a]))
    return np.asarray(sections, dtype=np.float64).reshape(-1, 6)


@dataclass(frozen=True)
class CleanSpec:
    """Everything ``clean`` decided, so a streamed or live run can apply exactly the same filters."""

    fs: float
    low_hz: float
    high_hz: float
    order: int
    mains_hz: float | None
    notch_hz: tuple[float, ...]
    notch_q: float
    notch_mode: NotchMode
    ecg: EcgPlan | None = None

    @property
    def ecg_bpm(self) -> float | None:
        """Heart rate (beats per minute) when heartbeats were found in the signal, else None."""
        return self.ecg.bpm if self.ecg is not None else None

    @property
    def bandpass(self) -> FloatArray:
        return bandpass_sos(self.fs, self.low_hz, self.high_hz, self.order)

    @property
    def notch(self) -> FloatArray:
        return notch_sos(self.fs, list(self.notch_hz), self.notch_q)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "ecg"}
        d["notch_hz"] = list(self.notch_hz)
        d["ecg_bpm"] = self.ecg_bpm
        d["ecg_removal"] = "template subtraction" if self.ecg is not None else None
        return d


# ---------------------------------------------------------------------------------------------
# ECG (heartbeat) contamination
# ---------------------------------------------------------------------------------------------

ECG_BPM_RANGE = (40.0, 180.0)


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
    peaks, _ = sps.find_peaks(e, height=threshold, distance=max(1, round(60.0 / ECG_BPM_RANGE[1] * fs)))
    return np.asarray(peaks, dtype=np.intp)


def _segments(y: FloatArray, at: npt.NDArray[np.intp], pre: int, post: int) -> FloatArray:
    idx = at[:, None] + np.arange(-pre, post)[None, :]
    return y[idx]


def detect_ecg(y: npt.ArrayLike, fs: float) -> EcgPlan | None:
    """Look for heartbeats in a cleaned channel; return the removal plan, or None when there are none.

    Heartbeats are QRS-energy peaks that stand well above the channel's typical level, come at a steady
    rate of 40–180 beats per minute (most intervals within 20 % of the median), and look alike (each beat
    correlates with their median waveform).
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
    if beats.size < 0.6 * arr.size / fs / med_rr:
        return None  # too few beats for the rate: occasional spikes, not a heartbeat
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
    """Subtract the beat template, scaled to each beat, wherever a beat is found (returns a new array)."""
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
    # expects it, aligned on the template
    rr = round(60.0 / plan.bpm * plan.fs)
    filled: list[int] = []
    for s0, s1 in itertools.pairwise(starts.tolist()):
        filled.append(s0)
        k = s0 + rr
        while s1 - k > rr // 2:
            lo, hi = max(0, k - shift), min(xc.size - 1, k + shift)
            filled.append(lo + int(np.argmax(xc[lo : hi + 1])))
            k = filled[-1] + rr
    if starts.size:
        filled.append(int(starts[-1]))
    starts = np.asarray(filled, dtype=np.intp)
    segs = _segments(y, starts + pre, pre, post)
    tt = float(template @ template)
    for s0, seg in zip(starts.tolist(), segs, strict=True):
        scale = min(1.5, max(0.5, float(seg @ template) / tt))
        out[s0 : s0 + template.size] -= scale * template
    return out


def plan_clean(
    x: npt.ArrayLike,
    fs: float,
    *,
    low_hz: float = 20.0,
    high_hz: float = 450.0,
    order: int = 4,
    mains: float | Literal["auto"] | None = "auto",
    notch_q: float = 30.0,
    notch_mode: NotchMode = "causal",
    ecg: bool = True,
) -> CleanSpec:
    """Decide the cleaning filters for a signal: mains notch and heartbeat removal are decided from the
    first 60 s (MAINS_PROBE_S) only, so streamed and whole-file analysis decide alike."""
    fs = check_fs(fs)
    low, high = band_edges(fs, low_hz, high_hz)
    mains_hz: float | None
    head = np.asarray(x, dtype=np.float64)[: int(MAINS_PROBE_S * fs)]
    psd = _psd(head, fs) if head.size >= 2 * fs else None
    if mains == "auto":
        mains_hz = detect_mains(head, fs, psd=psd)
    elif mains is None:
        mains_hz = None
    else:
        mains_hz = float(mains)
        if mains_hz not in MAINS_CANDIDATES_HZ:
            raise UserInputError.single("mains", f"mains must be 50 or 60 Hz (or 'auto'), got {mains!r}")
    notches: tuple[float, ...] = ()
    if mains_hz is not None and notch_mode != "off":
        notches = tuple(notch_frequencies(head, fs, mains_hz, high_hz=high, psd=psd) if psd is not None else [mains_hz])
    spec = CleanSpec(fs, low, high, order, mains_hz, notches, notch_q, notch_mode)
    if ecg and head.size >= 10 * fs:
        plan = detect_ecg(apply_clean(head, spec), fs)
        if plan is not None:
            spec = replace(spec, ecg=plan)
    return spec


def apply_clean(x: npt.ArrayLike, spec: CleanSpec) -> FloatArray:
    """Filter (see ``apply_filters``), then subtract heartbeats when the spec found them."""
    y = apply_filters(x, spec)
    return remove_ecg(y, spec.ecg) if spec.ecg is not None else y


def apply_filters(x: npt.ArrayLike, spec: CleanSpec) -> FloatArray:
    """Offline cleaning: zero-phase band-pass; the notch causal (default: it cannot smear onsets earlier) or zero-phase.

    The causal notch rides along in the band-pass's forward pass (one cascade, one pass over the
    data; linear filters commute, so this equals notching after the zero-phase band-pass up to the
    start-up transient). Edges are handled as in ``scipy.signal.sosfiltfilt`` (odd extension).
    """
    arr = np.asarray(x, dtype=np.float64)
    bp = spec.bandpass
    if not spec.notch_hz or spec.notch_mode == "off":
        return filtfilt_sos(bp, arr)
    if spec.notch_mode == "zero_phase":
        return filtfilt_sos(spec.notch, filtfilt_sos(bp, arr))
    return filtfilt_sos(bp, arr, forward_extra=spec.notch)


def filtfilt_sos(sos: FloatArray, x: FloatArray, *, forward_extra: FloatArray | None = None) -> FloatArray:
    """``scipy.signal.sosfiltfilt(sos, x)`` (odd extension, default pad length) with cached initial conditions.

    ``forward_extra`` sections run in the forward pass only (a causal filter riding along in the same
    pass over the data).
    """
    forward = sos if forward_extra is None else np.vstack([sos, forward_extra])
    # pad length as sosfiltfilt computes it for these sections
    taps = 2 * sos.shape[0] + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    padlen = min(x.size - 1, 3 * taps)
    ext = np.concatenate([2 * x[0] - x[padlen:0:-1], x, 2 * x[-1] - x[-2 : -padlen - 2 : -1]])
    y, _ = sps.sosfilt(forward, ext, zi=sos_zi(forward) * ext[0])
    rev = y[::-1]
    z, _ = sps.sosfilt(sos, rev, zi=sos_zi(sos) * rev[0])
    return np.ascontiguousarray(z[::-1][padlen : padlen + x.size])


def clean(x: npt.ArrayLike, fs: float, **kwargs: Any) -> tuple[FloatArray, CleanSpec]:
    """Band-pass (default 20–450 Hz, limited by fs) and notch the detected mains; returns (signal µV, spec).

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)
    >>> y, spec = clean(sim.signal, 1000)
    >>> spec.mains_hz
    50.0
    """
    arr = check_signal(x)
    spec = plan_clean(arr, fs, **kwargs)
    return apply_clean(arr, spec), spec


# ---------------------------------------------------------------------------------------------
# Quality flags
# ---------------------------------------------------------------------------------------------


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
        return [(a * self.block_s, b * self.block_s) for a, b in _runs(mask)]


def _runs(mask: BoolArray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of True runs."""
    if mask.size == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def _block_view(x: FloatArray, n: int) -> FloatArray:
    nblocks = x.size // n
    return x[: nblocks * n].reshape(nblocks, n)


def clip_levels(raw: FloatArray, clip_run: int = 3, clip_count: int = 5) -> tuple[float | None, float | None]:
    """The channel's (min, max) values where the signal saturates, else None.

    An extreme value is a saturation level when the signal sits on it for ``clip_run`` consecutive
    samples or touches it ``clip_count`` times: a real signal's exact extreme occurs once.
    """
    levels: list[float | None] = []
    for level in (float(raw.min()), float(raw.max())):
        at = raw == level
        count = int(np.count_nonzero(at))
        if count >= clip_count:
            levels.append(level)
        elif count >= clip_run:
            longest = max((b - a for a, b in _runs(at)), default=0)
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
    """Quality features of each whole block of ``block_n`` samples (raw channel and its cleaned version)."""
    blocks = _block_view(raw, block_n)
    spread = blocks.max(axis=1) - blocks.min(axis=1) if blocks.shape[0] else np.zeros(0)
    clip_hit = np.zeros(blocks.shape[0], dtype=bool)
    lo, hi = clip_at
    # a hair of tolerance: an EDF's physical extreme comes back through a float scale factor
    if lo is not None:
        clip_hit |= (blocks <= lo + 1e-7 * abs(lo) + 1e-9).any(axis=1)
    if hi is not None:
        clip_hit |= (blocks >= hi - 1e-7 * abs(hi) - 1e-9).any(axis=1)
    low_rms, ratio = motion_features(raw, cleaned, fs, block_n)
    return BlockFeatures(spread, clip_hit, low_rms, ratio)


def flags_from_features(f: BlockFeatures, params: QualityParams | None = None) -> QualityFlags:
    """Decide flat / clipped / motion blocks; the motion yardstick is the recording's median 4–15 Hz RMS."""
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
    """
    d = max(k for k in range(1, n + 1) if n % k == 0 and fs / k >= 50.0)
    nblocks = raw.size // n
    if nblocks == 0:
        return np.zeros(0), np.zeros(0)
    coarse = raw[: nblocks * n].reshape(-1, d).mean(axis=1)
    low_sos = _butter_sos(2, 4.0, 15.0, fs / d).copy()
    low = filtfilt_sos(low_sos, coarse) if coarse.size > 15 else coarse - coarse.mean()
    low_rms = np.sqrt(np.mean(low.reshape(nblocks, n // d) ** 2, axis=1))
    high_rms = np.sqrt(np.mean(_block_view(cleaned, n) ** 2, axis=1))
    ratio = low_rms / np.maximum(high_rms, 1e-9)
    return low_rms, ratio


def motion_reference_level(low_rms: FloatArray) -> float:
    """The recording's typical 4–15 Hz block RMS (median), the yardstick for motion artefacts."""
    return float(max(np.median(low_rms), 1e-9))


# ---------------------------------------------------------------------------------------------
# Envelope
# ---------------------------------------------------------------------------------------------


def hop_samples(fs: float, hop_s: float) -> int:
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
    truncated at the signal's ends. Units: those of ``y`` (µV).
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
    """``envelope`` for several window lengths at once, from one running sum (one pass over the data)."""
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
    """Map per-block flags onto envelope points (a point is flagged when its block is)."""
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


# ---------------------------------------------------------------------------------------------
# Baseline, resting tone, bursts
# ---------------------------------------------------------------------------------------------


BurstKind = Literal["twitch", "burst", "sustained"]
BURST_KINDS: tuple[BurstKind, ...] = ("twitch", "burst", "sustained")


@dataclass(frozen=True)
class BurstParams:
    """Double threshold with hysteresis over a robust rest baseline, timed on a short envelope.

    A burst starts when the (100 ms) envelope rises above ``on = base + k_on·spread`` (and at least
    ``min_on_ratio``·base) and lasts while it stays above ``off = base + k_off·spread``. Gaps shorter
    than ``bridge_s`` are bridged. A longer stretch under ``on`` splits a run in two when its median
    level is below ``split_ratio`` × the level of the activity on either side: a twitch on raised
    low-level tone ends where the twitch ends, and two twitches with tone between them stay two.
    Onsets and offsets are placed on a short (``fine_window_s``) envelope where its power crosses
    ``refine_fraction`` of the way from rest to the burst's own level, so 30 ms twitches keep their
    length and onsets are not delayed by the long window. Events shorter than ``min_duration_s`` or
    whose mean envelope stays under ``min_mean_ratio``·on (blips that barely touch the threshold) are
    dropped, as are longer events whose mean is under ``on`` that do not rise clearly over the tone
    around them (raised resting tone that only touches ``on``). Each event is classed by duration:
    twitch (< ``twitch_max_s``), burst, or sustained (≥ ``sustained_min_s``: cramp, held tension).
    """

    k_on: float = 12.0
    k_off: float = 4.0
    min_on_ratio: float = 1.6
    min_off_ratio: float = 1.3
    min_duration_s: float = 0.02
    min_mean_ratio: float = 1.0  # a burst's mean envelope must reach this × the on-threshold (drops blips)
    brief_peak_ratio: float = 1.5  # an event shorter than two windows must peak this × on (a twitch one sees)
    bridge_s: float = 0.2
    split_ratio: float = 0.5
    refine: bool = True
    refine_fraction: float = 0.3  # on the short envelope; 0.2 measured no better on the accuracy suite
    fine_window_s: float = 0.025
    quiet_percentile: float = 20.0
    twitch_max_s: float = 0.25
    sustained_min_s: float = 5.0
    # a weak longer event (mean under on) must stand out from the tone around it (``background_s`` either
    # side, a low percentile): its mean ``rise_ratio``× or its peak ``rise_peak_ratio``× that background.
    # Patches of raised resting tone that touch on measured ≤ 1.94× / 2.41×, weak bursts ≥ 2.26× / 2.61×.
    rise_ratio: float = 2.0
    rise_peak_ratio: float = 2.5
    background_s: float = 3.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def kind_of(self, duration_s: float) -> BurstKind:
        """twitch, burst or sustained, by duration."""
        if duration_s < self.twitch_max_s:
            return "twitch"
        return "sustained" if duration_s >= self.sustained_min_s else "burst"


@dataclass(frozen=True)
class Baseline:
    level_uv: float  # robust rest level of the envelope
    spread_uv: float  # robust spread of the rest envelope
    source: str  # "quiet segments" or "calibration rest"

    def thresholds(self, params: BurstParams) -> tuple[float, float]:
        on = max(self.level_uv + params.k_on * self.spread_uv, self.level_uv * params.min_on_ratio)
        off = max(self.level_uv + params.k_off * self.spread_uv, self.level_uv * params.min_off_ratio)
        return on, min(off, on)


def robust_baseline(env: npt.ArrayLike, valid: BoolArray | None = None, *, quiet_percentile: float = 20.0) -> Baseline:
    """Rest level and spread from the quietest envelope points.

    The quietest ``quiet_percentile`` % of valid points are taken as rest; level = their median,
    spread = 1.4826·MAD of the points below the overall 50th percentile of that lower half. Works
    whether a recording is mostly rest or mostly active.
    """
    e = np.asarray(env, dtype=np.float64)
    if valid is not None:
        e = e[valid]
    if e.size == 0:
        raise UserInputError.single("signal", "no usable signal left after removing flat-line and motion segments")
    cut = np.percentile(e, quiet_percentile)
    quiet = e[e <= cut]
    level = float(np.median(quiet))
    # spread: from the lower tail below the level (not contaminated by activity above it)
    lower = quiet[quiet <= level]
    spread = float(1.4826 * np.median(level - lower)) * 2.0 if lower.size else 0.0
    spread = max(spread, 0.02 * level, 1e-6)
    return Baseline(level, spread, "quiet segments")


@dataclass(frozen=True)
class Burst:
    onset_s: float
    offset_s: float
    peak_uv: float  # highest envelope (RMS) value inside the burst
    mean_uv: float
    clipped: bool = False
    kind: BurstKind = "burst"

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["duration_s"] = self.duration_s
        return d


def hysteresis_runs(env: FloatArray, on: float, off: float) -> list[tuple[int, int]]:
    """[start, stop) runs where env is above ``off`` and that reach ``on`` somewhere (vectorised)."""
    above_off = env > off
    runs = _runs(above_off)
    if not runs:
        return []
    starts = np.array([a for a, _ in runs])
    stops = np.array([b for _, b in runs])
    hit = np.maximum.reduceat(env, starts) > on if env.size else np.zeros(0, dtype=bool)
    # reduceat over [start_i, start_{i+1}) includes the gap after run i, which is below `off` < `on`.
    return [(int(a), int(b)) for a, b, h in zip(starts, stops, hit, strict=True) if h]


def bridge(runs: list[tuple[int, int]], max_gap: int) -> list[tuple[int, int]]:
    """Merge runs separated by at most ``max_gap`` points."""
    out: list[tuple[int, int]] = []
    for a, b in runs:
        if out and a - out[-1][1] <= max_gap:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _crossing(env2: FloatArray, i0: int, i1: int, level2: float, rising: bool) -> float:
    """Fractional index in [i0, i1] where env² crosses ``level2`` (first rising / last falling)."""
    seg = env2[i0 : i1 + 1]
    if rising:
        idx = np.flatnonzero(seg >= level2)
        if idx.size == 0:
            return float(i0)
        j = int(idx[0])
        if j == 0:
            return float(i0)
        a, b = seg[j - 1], seg[j]
        return i0 + j - 1 + float((level2 - a) / (b - a)) if b != a else float(i0 + j)
    idx = np.flatnonzero(seg >= level2)
    if idx.size == 0:
        return float(i1)
    j = int(idx[-1])
    if j >= seg.size - 1:
        return float(i1)
    a, b = seg[j], seg[j + 1]
    return i0 + j + float((a - level2) / (a - b)) if a != b else float(i0 + j)


def _med(a: FloatArray) -> float:
    """np.median for small 1-D arrays, without its per-call overhead (same value)."""
    srt = np.sort(a)
    m = srt.size // 2
    return float(srt[m]) if srt.size % 2 else float(0.5 * (srt[m - 1] + srt[m]))


def split_runs(
    env: FloatArray, runs: list[tuple[int, int]], on: float, min_gap: int, ratio: float
) -> list[tuple[int, int]]:
    """Split hysteresis runs at stretches under ``on`` that last more than ``min_gap`` points and whose
    median is below ``ratio`` × the median level of the above-``on`` activity on either side."""
    out: list[tuple[int, int]] = []
    for a, b in runs:
        cores = _runs(env[a:b] > on)
        if len(cores) < 2:
            out.append((a, b))
            continue
        start = a
        levels = [_med(env[a + c0 : a + c1]) for c0, c1 in cores]
        for i in range(1, len(cores)):
            g0, g1 = a + cores[i - 1][1], a + cores[i][0]
            if g1 - g0 > min_gap and _med(env[g0:g1]) < ratio * max(levels[i - 1], levels[i]):
                out.append((start, g0))
                start = g1
        out.append((start, b))
    return out


def _level(f2: FloatArray, i0: int, i1: int, on2: float) -> float:
    """The activity's own power: median of the short-envelope power at points above ``on`` in [i0, i1]."""
    seg = f2[i0 : i1 + 1]
    high = seg[seg >= on2]
    return max(_med(high) if high.size else float(seg.max()), on2)


def _peak_level(f2: FloatArray, i0: int, i1: int) -> float:
    """The power of the strongest activity in [i0, i1]: median of the points within 6 dB of the peak power."""
    seg = f2[i0 : i1 + 1]
    return _med(seg[seg >= 0.25 * float(seg.max())])


def _quiet_ends(below: BoolArray, q: int) -> npt.NDArray[np.intp]:
    """Indices of ``below`` points that end a run of at least ``q`` True values (all True points if q ≤ 1)."""
    if q <= 1 or below.size < q:
        return np.flatnonzero(below)
    run = np.convolve(below.astype(np.int16), np.ones(q, dtype=np.int16), mode="full")[: below.size]
    return np.flatnonzero(below & (run >= q))


def _refine(
    env: FloatArray,
    f2: FloatArray,
    a: int,
    b: int,
    base2: float,
    on: float,
    w: int,
    frac: float,
    q: int = 1,
    split_ratio: float = 0.0,
) -> tuple[float, float]:
    """Fractional onset/offset indices where the short envelope's power ``f2`` crosses ``frac`` of the way from
    rest to the activity's own level (read near the onset for the onset; over the whole event for a long
    event's offset, and at least the onset's level for a brief one's).

    From the first point that reaches that level the onset walks back to the last point under the crossing
    level (and the offset forward), so noise before a weak onset cannot pull it early. A long event that is
    a brief core followed by a stretch whose median is under ``split_ratio`` × the core's (a twitch running
    on into raised tone that touches ``on``) ends with its core, as ``split_runs`` ends one whose tone stays
    under ``on``.
    """
    n = env.size
    above = np.flatnonzero(env[a:b] >= on)
    c = a + int(above[0]) if above.size else a
    d = a + int(above[-1]) if above.size else b - 1
    on2 = on * on
    lvl_on = _level(f2, c, min(n - 1, c + 2 * w), on2)
    lvl_off = _level(f2, c, d, on2)
    lo, hi = max(0, c - 2 * w), min(n - 1, max(b - 1, d + 2 * w))
    # onset: the first point near c at the onset level, then back to the crossing
    level2 = base2 + frac * (lvl_on - base2)
    # (searched up to c + 2w, where the onset level was read, so the walk back never starts from a point
    # still under the crossing level and extrapolates far off)
    near = f2[lo : min(n, c + 2 * w + 1)]
    reach = np.flatnonzero(near >= lvl_on)
    if not reach.size:
        reach = np.flatnonzero(near >= level2)
    i = lo + int(reach[0]) if reach.size else c
    below = _quiet_ends(f2[lo:i] < level2, q)
    if below.size:
        j = lo + int(below[-1])
        y0, y1 = f2[j], f2[j + 1]
        start = j + min(1.0, float((level2 - y0) / (y1 - y0))) if y1 > y0 else float(j + 1)
    else:
        start = float(lo)
    # offset of a longer event: where the long envelope's power falls through ``frac`` of the way from rest
    # to the event's median power (robust to slowly fading tails)
    env2_seg = env[c : d + 1] ** 2
    lvl_long = max(_med(env2_seg), on2)
    stop = _crossing(env * env, c, min(n - 1, max(b - 1, d) + w), base2 + frac * (lvl_long - base2), rising=False)
    # a brief event's level is at least the level at its onset: the long window's smear after a twitch (and
    # the notch's ring) would otherwise pull the median down and the offset late
    lvl_brief = max(lvl_off, lvl_on)
    if stop - start >= 2 * w:
        if split_ratio <= 0:
            return start, stop
        # the core's level: its strongest part (a 30 ms twitch is a few points of the 200 ms the onset
        # level is read over, the rest raised tone)
        core_stop = _brief_stop(f2, c, d, hi, base2, frac, _peak_level(f2, c, min(n - 1, c + 2 * w)), w, q)
        k0, k1 = int(np.ceil(start)), int(np.floor(core_stop))
        t0, t1 = int(np.ceil(core_stop)), int(np.floor(stop))
        if (
            core_stop - start >= 2 * w
            or k1 < k0
            or t1 - t0 < 2 * w
            or _med(env[t0 : t1 + 1]) >= split_ratio * _med(env[k0 : k1 + 1])
        ):
            return start, stop
        return start, core_stop
    return start, _brief_stop(f2, c, d, hi, base2, frac, lvl_brief, w, q)


def _brief_stop(
    f2: FloatArray, c: int, d: int, hi: int, base2: float, frac: float, lvl: float, w: int, q: int
) -> float:
    """A brief event's offset: the last point at its level ``lvl`` (power), then forward to where the short
    envelope's power falls through ``frac`` of the way from rest to that level."""
    level2 = base2 + frac * (lvl - base2)
    # (the last point at the level is looked for from c: after a twitch the long envelope, and so d, runs on
    # by half a window or more, and the twitch's strong part can end before d − w)
    reach = np.flatnonzero(f2[c : hi + 1] >= lvl)
    i = c + int(reach[-1]) if reach.size else d
    below = _quiet_ends(f2[i + 1 : hi + 1][::-1] < level2, q)
    if below.size:
        j = hi - int(below[-1])
        y0, y1 = f2[j - 1], f2[j]
        return j - 1 + min(1.0, max(0.0, float((y0 - level2) / (y0 - y1)))) if y0 > y1 else float(j - 1)
    return float(hi)


def detect_bursts_env(
    env: FloatArray,
    env_fs: float,
    baseline: Baseline,
    params: BurstParams | None = None,
    *,
    valid: BoolArray | None = None,
    clipped: BoolArray | None = None,
    t0_s: float = 0.0,
    window_s: float = 0.1,
    fine: FloatArray | None = None,
) -> list[Burst]:
    """Bursts from an envelope sampled at ``env_fs`` (points per second). See ``BurstParams``.

    ``fine`` is the short-window envelope on the same points (``fine_window_s``), used for timing;
    without it the envelope itself is used.
    """
    p = params or BurstParams()
    on, off = baseline.thresholds(p)
    gap = round(p.bridge_s * env_fs)
    runs = hysteresis_runs(env, on, off)
    runs = split_runs(env, bridge(runs, gap), on, gap, p.split_ratio)
    f = env if fine is None else fine
    f2 = f * f
    base2 = baseline.level_uv**2
    bursts: list[Burst] = []
    w = max(1, round(window_s * env_fs))
    for a, b in runs:
        seg = env[a:b]
        if valid is not None and 2 * np.count_nonzero(valid[a:b]) < b - a:
            continue  # mostly flat line or motion artefact: left out
        if p.refine:
            start, stop = _refine(env, f2, a, b, base2, on, w, p.refine_fraction, QUIET_PTS, p.split_ratio)
            if stop <= start:
                start, stop = float(a), float(b - 1)
        else:
            start, stop = float(a), float(b - 1)
        onset = t0_s + start / env_fs
        offset = t0_s + stop / env_fs
        if offset - onset < p.min_duration_s:
            continue
        inside = env[int(np.ceil(start)) : int(np.floor(stop)) + 1]
        if inside.size == 0:
            inside = env[int(np.floor(start)) : int(np.ceil(stop)) + 1]
        # brief events must stand clear of the on-threshold on average (blips that barely touch it do
        # not); a longer one is a weak burst hovering around it when its mean stays above ``off``
        brief = offset - onset < 2 * window_s
        floor = p.min_mean_ratio * on if brief else off
        if inside.size == 0 or float(inside.mean()) < floor or (brief and float(seg.max()) < p.brief_peak_ratio * on):
            continue
        if not brief and float(inside.mean()) < on:
            bg = _background(env, valid, start, stop, round(p.background_s * env_fs), round(0.3 * env_fs))
            if float(inside.mean()) < p.rise_ratio * bg and float(seg.max()) < p.rise_peak_ratio * bg:
                continue  # raised tone touching on, not a burst
        bursts.append(
            Burst(
                onset_s=round(onset, 6),
                offset_s=round(offset, 6),
                peak_uv=float(seg.max()),
                mean_uv=float(seg.mean()),
                clipped=bool(clipped[a:b].any()) if clipped is not None else False,
                kind=p.kind_of(offset - onset),
            )
        )
    return bursts


def _background(env: FloatArray, valid: BoolArray | None, start: float, stop: float, reach: int, guard: int) -> float:
    """The tone around an event: 25th percentile of the valid envelope from ``guard`` to ``reach`` points
    either side of it (0 when under half a second's worth of points is there, e.g. in a live window)."""
    i0, i1 = int(np.floor(start)), int(np.ceil(stop))
    lo, hi = max(0, i0 - reach), min(env.size, i1 + reach + 1)
    parts = [env[lo : max(lo, i0 - guard)], env[min(hi, i1 + guard + 1) : hi]]
    if valid is not None:
        parts = [parts[0][valid[lo : max(lo, i0 - guard)]], parts[1][valid[min(hi, i1 + guard + 1) : hi]]]
    around = np.concatenate(parts)
    return float(np.percentile(around, 25)) if around.size >= max(10, reach // 6) else 0.0


def resting_tone(env: FloatArray, valid: BoolArray, bursts: list[Burst], env_fs: float, *, pad_s: float = 0.5) -> float:
    """Resting tone (µV): median envelope over quiet segments — valid points away from any burst."""
    quiet = quiet_mask(env.size, valid, bursts, env_fs, pad_s=pad_s)
    if quiet.sum() < max(10, 0.05 * env.size):
        quiet = valid.copy()
    if not quiet.any():
        return float("nan")
    return float(np.median(env[quiet]))


def quiet_mask(n: int, valid: BoolArray, bursts: list[Burst], env_fs: float, *, pad_s: float = 0.5) -> BoolArray:
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


# ---------------------------------------------------------------------------------------------
# The composed offline analysis
# ---------------------------------------------------------------------------------------------


@dataclass
class ChannelAnalysis:
    """Everything the offline analysis found for one channel, with the method and its parameters."""

    fs: float
    duration_s: float
    clean: CleanSpec
    baseline: Baseline
    bursts: list[Burst]
    resting_tone_uv: float
    quality: dict[str, float]
    env: FloatArray = field(repr=False)
    env_fs: float = 100.0
    fine_env: FloatArray | None = field(repr=False, default=None)  # the short envelope bursts are timed on
    valid: BoolArray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=bool))
    burst_params: BurstParams = field(default_factory=BurstParams)
    window_s: float = 0.1
    clipped_segments: list[tuple[float, float]] = field(default_factory=list)
    relaxation: RelaxationScore | None = None

    @property
    def burst_rate_per_min(self) -> float:
        valid_min = float(self.valid.sum()) / self.env_fs / 60.0 if self.valid.size else self.duration_s / 60
        return len(self.bursts) / valid_min if valid_min > 0 else float("nan")

    def method(self) -> dict[str, Any]:
        return {
            "clean": self.clean.to_dict(),
            "envelope": {"kind": "rms", "window_s": self.window_s, "hop_s": 1.0 / self.env_fs, "centered": True},
            "baseline": asdict(self.baseline),
            "thresholds_uv": dict(zip(("on", "off"), self.baseline.thresholds(self.burst_params), strict=True)),
            "bursts": self.burst_params.to_dict(),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "fs": self.fs,
            "duration_s": self.duration_s,
            "resting_tone_uv": self.resting_tone_uv,
            "burst_count": len(self.bursts),
            "burst_rate_per_min": self.burst_rate_per_min,
            "mains_hz": self.clean.mains_hz,
            **self.quality,
            "relaxation": self.relaxation.to_dict() if self.relaxation else None,
            "method": self.method(),
        }


def analyze_envelope(
    env: FloatArray,
    env_fs: float,
    *,
    fs: float,
    n_samples: int,
    spec: CleanSpec,
    flags: QualityFlags,
    params: BurstParams | None = None,
    calibration_s: tuple[float, float] | None = None,
    target_uv: float | None = None,
    window_s: float = 0.1,
    fine_env: FloatArray | None = None,
) -> ChannelAnalysis:
    """Second half of the analysis, shared by the in-memory and the streamed paths."""
    p = params or BurstParams()
    hop_s = 1.0 / env_fs
    valid = ~block_mask_to_envelope(flags.excluded, flags.block_s, env.size, hop_s)
    # an electrode coming off or back on makes the filters ring: 0.3 s either side of a flat line is left out
    flat = block_mask_to_envelope(flags.flat, flags.block_s, env.size, hop_s)
    if flat.any():
        pad = round(0.3 * env_fs)
        valid &= ~maximum_filter1d(flat.astype(np.uint8), size=2 * pad + 1).astype(bool)
    # the first and last 0.25 s hold the filters' start-up and a truncated window: not rest, not bursts
    edge = min(env.size // 4, round(0.25 * env_fs))
    valid[:edge] = False
    valid[env.size - edge :] = False
    clipped = block_mask_to_envelope(flags.clipped, flags.block_s, env.size, hop_s)
    if calibration_s is not None:
        i0, i1 = (round(t * env_fs) for t in calibration_s)
        cal = np.zeros(env.size, dtype=bool)
        cal[max(0, i0) : min(env.size, i1)] = True
        cal &= valid
        if cal.sum() < 10:
            raise UserInputError.single("calibration", "the calibration rest period has too little usable signal")
        base = robust_baseline(env, cal, quiet_percentile=50.0)
        base = Baseline(base.level_uv, base.spread_uv, "calibration rest")
    else:
        base = robust_baseline(env, valid, quiet_percentile=p.quiet_percentile)
    bursts = detect_bursts_env(env, env_fs, base, p, valid=valid, clipped=clipped, window_s=window_s, fine=fine_env)
    tone = resting_tone(env, valid, bursts, env_fs)
    quiet = quiet_mask(env.size, valid, bursts, env_fs)
    relax = relaxation_score(env, env_fs, quiet if quiet.any() else valid, target_uv=target_uv) if env.size else None
    return ChannelAnalysis(
        fs=fs,
        duration_s=n_samples / fs,
        clean=spec,
        baseline=base,
        bursts=bursts,
        resting_tone_uv=tone,
        quality=flags.seconds(),
        env=env,
        env_fs=env_fs,
        fine_env=fine_env,
        valid=valid,
        burst_params=p,
        window_s=window_s,
        clipped_segments=flags.segments("clipped"),
        relaxation=relax,
    )


def analyze(
    x: npt.ArrayLike,
    fs: float,
    *,
    params: BurstParams | None = None,
    window_s: float = 0.1,
    hop_s: float = 0.01,
    mains: float | Literal["auto"] | None = "auto",
    notch_mode: NotchMode = "causal",
    low_hz: float = 20.0,
    high_hz: float = 450.0,
    calibration_s: tuple[float, float] | None = None,
    target_uv: float | None = None,
    quality: QualityParams | None = None,
    clip_at: tuple[float | None, float | None] | None = None,
) -> ChannelAnalysis:
    """Offline analysis of one raw channel in µV: clean → flags → envelope → baseline → bursts → tone.

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(60, 1000, seed=3)
    >>> result = analyze(sim.signal, 1000)
    >>> abs(len(result.bursts) - len(sim.bursts)) <= 1
    True
    """
    fs = check_fs(fs)
    raw = check_signal(x)
    if raw.size < fs:
        raise UserInputError.single("signal", f"the signal is only {raw.size / fs:.2f} s long; at least 1 s is needed")
    spec = plan_clean(raw, fs, low_hz=low_hz, high_hz=high_hz, mains=mains, notch_mode=notch_mode, ecg=False)
    y = apply_filters(raw, spec)
    heart = detect_ecg(y[: int(MAINS_PROBE_S * fs)], fs)  # the same head plan_clean would look at
    if heart is not None:
        spec = replace(spec, ecg=heart)
        y = remove_ecg(y, heart)
    flags = quality_flags(raw, fs, quality, clip_at=clip_at, cleaned=y)
    if flags.flat.all():
        raise UserInputError.single("signal", "the channel is a flat line (electrode off or disconnected)")
    p = params or BurstParams()
    env, fine = envelopes(y, fs, (window_s, p.fine_window_s), hop_s=hop_s)
    env_fs = fs / hop_samples(fs, hop_s)
    return analyze_envelope(
        env,
        env_fs,
        fs=fs,
        n_samples=raw.size,
        spec=spec,
        flags=flags,
        params=params,
        calibration_s=calibration_s,
        target_uv=target_uv,
        window_s=window_s,
        fine_env=fine,
    )


# ---------------------------------------------------------------------------------------------
# Scoring against ground truth
# ---------------------------------------------------------------------------------------------


def onset_f1(detected: npt.ArrayLike, truth: npt.ArrayLike, tolerance_s: float = 0.05) -> tuple[float, float, float]:
    """(F1, precision, recall) of onset times matched one-to-one within ±``tolerance_s`` (greedy by time)."""
    d = np.sort(np.asarray(detected, dtype=np.float64))
    t = np.sort(np.asarray(truth, dtype=np.float64))
    if d.size == 0 and t.size == 0:
        return 1.0, 1.0, 1.0
    used = np.zeros(d.size, dtype=bool)
    tp = 0
    for onset in t:
        if d.size == 0:
            break
        j = int(np.searchsorted(d, onset - tolerance_s))
        while j < d.size and d[j] <= onset + tolerance_s:
            if not used[j]:
                used[j] = True
                tp += 1
                break
            j += 1
    precision = tp / d.size if d.size else 0.0
    recall = tp / t.size if t.size else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall
