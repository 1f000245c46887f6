"""Surface-EMG signal processing: array in, array out, sample rate always explicit.

The offline pipeline is four named steps, each a public function:

``clean`` (band-pass + detected mains notch) → ``quality_flags`` (flat line, clipping, motion) →
``envelope`` (moving RMS, evaluated every ``hop_s``) → ``detect_bursts`` / ``resting_tone``.
``analyze`` composes them. Units: signals in µV, times in seconds, frequencies in Hz.

No database import here: this module is tested and benchmarked alone.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

from unclench.core.errors import UserInputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MIN_FS_HZ = 100.0
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
    """Butterworth band-pass as second-order sections (``order`` per edge)."""
    low, high = band_edges(fs, low_hz, high_hz)
    sos = sps.butter(order, [low, high], btype="bandpass", fs=fs, output="sos")
    return np.asarray(sos, dtype=np.float64)


def _psd(x: FloatArray, fs: float) -> tuple[FloatArray, FloatArray]:
    """Welch PSD at 0.5 Hz resolution with median averaging: steady hum survives, bursts do not raise the floor."""
    nper = int(min(x.size, round(fs * 2)))
    freqs, pxx = sps.welch(x, fs=fs, nperseg=nper, detrend="constant", average="median")
    return np.asarray(freqs), np.asarray(pxx)


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

    @property
    def bandpass(self) -> FloatArray:
        return bandpass_sos(self.fs, self.low_hz, self.high_hz, self.order)

    @property
    def notch(self) -> FloatArray:
        return notch_sos(self.fs, list(self.notch_hz), self.notch_q)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["notch_hz"] = list(self.notch_hz)
        return d


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
) -> CleanSpec:
    """Decide the cleaning filters for a signal (mains detection looks at the first 60 s (MAINS_PROBE_S) only)."""
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
    return CleanSpec(fs, low, high, order, mains_hz, notches, notch_q, notch_mode)


def apply_clean(x: npt.ArrayLike, spec: CleanSpec) -> FloatArray:
    """Offline cleaning: zero-phase band-pass; the notch causal (default: it cannot smear onsets earlier) or zero-phase.

    The causal notch rides along in the band-pass's forward pass (one cascade, one pass over the
    data; linear filters commute, so this equals notching after the zero-phase band-pass up to the
    start-up transient). Edges are handled as in ``scipy.signal.sosfiltfilt`` (odd extension).
    """
    arr = np.asarray(x, dtype=np.float64)
    bp = spec.bandpass
    if not spec.notch_hz or spec.notch_mode == "off":
        return np.asarray(sps.sosfiltfilt(bp, arr), dtype=np.float64)
    if spec.notch_mode == "zero_phase":
        y = np.asarray(sps.sosfiltfilt(bp, arr), dtype=np.float64)
        return np.asarray(sps.sosfiltfilt(spec.notch, y), dtype=np.float64)
    forward = np.vstack([bp, spec.notch])
    padlen = min(arr.size - 1, 3 * (2 * bp.shape[0] + 1))
    ext = np.concatenate([2 * arr[0] - arr[padlen:0:-1], arr, 2 * arr[-1] - arr[-2 : -padlen - 2 : -1]])
    y, _ = sps.sosfilt(forward, ext, zi=sps.sosfilt_zi(forward) * ext[0])
    rev = y[::-1]
    z, _ = sps.sosfilt(bp, rev, zi=sps.sosfilt_zi(bp) * rev[0])
    return np.ascontiguousarray(z[::-1][padlen : padlen + arr.size])


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
    low_sos = sps.butter(2, [4.0, 15.0], btype="bandpass", fs=fs / d, output="sos")
    low = np.asarray(sps.sosfiltfilt(low_sos, coarse)) if coarse.size > 15 else coarse - coarse.mean()
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
    fs = check_fs(fs)
    arr = np.asarray(y, dtype=np.float64)
    w = max(1, round(window_s * fs))
    h = hop_samples(fs, hop_s)
    values = arr * arr if kind == "rms" else np.abs(arr)
    centers = np.arange(0, arr.size, h)
    if centered:
        lo = centers - w // 2
        hi = lo + w
    else:
        hi = centers + 1
        lo = hi - w
    lo = np.clip(lo, 0, arr.size)
    hi = np.clip(hi, 0, arr.size)
    count = np.maximum(hi - lo, 1)
    # Running sums restart every ~10 s (at global sample indices, via ``start``) so rounding does
    # not grow with the recording's length and streamed chunks do the same arithmetic as whole files.
    seg = max(h, (round(10 * fs) // h) * h)
    sums = np.empty(centers.size)
    first = (-start) % seg  # local index of the first segment boundary
    bounds = [0, *range(first if first else seg, arr.size, seg), arr.size]
    for a, b in itertools.pairwise(bounds):
        ka, kb = -(-a // h), -(-b // h)
        if kb <= ka:
            continue
        s0, s1 = int(lo[ka:kb].min()), int(hi[ka:kb].max())
        csum = np.concatenate([[0.0], np.cumsum(values[s0:s1])])
        sums[ka:kb] = csum[hi[ka:kb] - s0] - csum[lo[ka:kb] - s0]
    mean = np.maximum(sums / count, 0.0)
    return np.sqrt(mean) if kind == "rms" else mean


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


@dataclass(frozen=True)
class BurstParams:
    """Double threshold with hysteresis over a robust rest baseline.

    A burst starts when the envelope rises above ``on = base + k_on·spread`` (and at least
    ``min_on_ratio``·base), lasts while it stays above ``off = base + k_off·spread``, gaps shorter
    than ``bridge_s`` are bridged, and bursts shorter than ``min_duration_s`` or whose mean envelope stays
    under ``min_mean_ratio``·on (brief blips that barely touch the threshold) are dropped. Onsets and
    offsets are then placed where the envelope power crosses halfway between rest and the burst's
    own level (``refine``), which removes the 100 ms window's spread.
    """

    k_on: float = 12.0
    k_off: float = 4.0
    min_on_ratio: float = 1.6
    min_off_ratio: float = 1.3
    min_duration_s: float = 0.15
    min_mean_ratio: float = 1.0  # a burst's mean envelope must reach this × the on-threshold (drops blips)
    bridge_s: float = 0.2
    refine: bool = True
    refine_fraction: float = 0.3  # measured best on the simulator (median onset error −2 ms)
    quiet_percentile: float = 20.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _refine(
    env: FloatArray, env2: FloatArray, a: int, b: int, base2: float, on: float, w: int, frac: float
) -> tuple[float, float]:
    """Fractional onset/offset indices where env² crosses ``frac`` of the way from rest to the burst's level.

    The onset level is read one window (``w`` points) inside the burst, where the moving window no longer
    straddles the edge. With a centred window a sharp edge maps to its true time at frac = 0.5 and
    20 ms early at 0.3; real onsets ramp up over tens of ms, and 0.3 measured best (see bench).
    """
    above = np.flatnonzero(env[a:b] >= on)
    c = a + int(above[0]) if above.size else a
    d = a + int(above[-1]) if above.size else b - 1
    n = env.size
    lvl_on = _med(env2[min(c + w, b - 1) : max(min(c + w + 5, b), min(c + w, b - 1) + 1)])
    # the end level: the burst's median power, robust to slowly fading tails (filter ringing)
    lvl_off = _med(env2[c : d + 1])
    lvl_on = max(lvl_on, on * on)
    lvl_off = max(lvl_off, on * on)
    start = _crossing(env2, max(0, min(a, c - w)), min(n - 1, c + w), base2 + frac * (lvl_on - base2), rising=True)
    stop = _crossing(env2, c, min(n - 1, max(b - 1, d) + w), base2 + frac * (lvl_off - base2), rising=False)
    return start, stop


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
) -> list[Burst]:
    """Bursts from an envelope sampled at ``env_fs`` (points per second). See ``BurstParams``."""
    p = params or BurstParams()
    on, off = baseline.thresholds(p)
    runs = hysteresis_runs(env, on, off)
    runs = bridge(runs, round(p.bridge_s * env_fs))
    env2 = env * env
    base2 = baseline.level_uv**2
    bursts: list[Burst] = []
    w = max(1, round(window_s * env_fs))
    for a, b in runs:
        seg = env[a:b]
        if valid is not None and 2 * np.count_nonzero(valid[a:b]) < b - a:
            continue  # mostly flat line or motion artefact: left out
        if p.refine:
            start, stop = _refine(env, env2, a, b, base2, on, w, p.refine_fraction)
            if stop <= start:
                start, stop = float(a), float(b - 1)
        else:
            start, stop = float(a), float(b - 1)
        onset = t0_s + start / env_fs
        offset = t0_s + stop / env_fs
        if offset - onset < p.min_duration_s:
            continue
        inside = env[int(np.ceil(start)) : int(np.floor(stop)) + 1]
        if inside.size == 0 or float(inside.mean()) < p.min_mean_ratio * on:
            continue
        bursts.append(
            Burst(
                onset_s=round(onset, 6),
                offset_s=round(offset, 6),
                peak_uv=float(seg.max()),
                mean_uv=float(seg.mean()),
                clipped=bool(clipped[a:b].any()) if clipped is not None else False,
            )
        )
    return bursts


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
) -> ChannelAnalysis:
    """Second half of the analysis, shared by the in-memory and the streamed paths."""
    p = params or BurstParams()
    hop_s = 1.0 / env_fs
    valid = ~block_mask_to_envelope(flags.excluded, flags.block_s, env.size, hop_s)
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
    bursts = detect_bursts_env(env, env_fs, base, p, valid=valid, clipped=clipped, window_s=window_s)
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
    spec = plan_clean(raw, fs, low_hz=low_hz, high_hz=high_hz, mains=mains, notch_mode=notch_mode)
    y = apply_clean(raw, spec)
    flags = quality_flags(raw, fs, quality, clip_at=clip_at, cleaned=y)
    if flags.flat.all():
        raise UserInputError.single("signal", "the channel is a flat line (electrode off or disconnected)")
    env = envelope(y, fs, window_s=window_s, hop_s=hop_s)
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
