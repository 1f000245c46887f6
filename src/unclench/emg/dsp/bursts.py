"""Rest baseline and burst detection on an envelope: double threshold with hysteresis, timed on a short envelope."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from unclench.core.errors import UserInputError
from unclench.emg.dsp._arrays import BoolArray, FloatArray, true_runs

QUIET_PTS = 3
BurstKind = Literal["twitch", "burst", "sustained"]
BURST_KINDS: tuple[BurstKind, ...] = ("twitch", "burst", "sustained")


@dataclass(frozen=True)
class BurstParams:
    """Double threshold with hysteresis over a robust rest baseline, timed on a short envelope.

    A burst starts when the (100 ms) envelope rises above ``on = base + k_on·spread`` (and at least
    ``min_on_ratio``·base) and lasts while it stays above ``off = base + k_off·spread``. The two parts of
    ``on`` do different jobs: ``k_on`` spreads keep the rest envelope's own noise out, ``min_on_ratio`` keeps
    raised resting tone out. The noise part depends on the sample rate (at 250 Hz the band is 20–112 Hz,
    a 100 ms window holds about a quarter of the independent samples it holds at 1 kHz, and the rest
    envelope's relative spread doubles), the tone part does not; with one k for both, 12 spreads asked for
    2.4× rest at 1 kHz but 3.8× at 250 Hz, where weak bursts and twitches were missed. Gaps shorter
    than ``bridge_s`` are bridged. A longer stretch under ``on`` splits a run in two when its median
    level is below ``split_ratio`` × the level of the activity on either side: a twitch on raised
    low-level tone ends where the twitch ends, and two twitches with tone between them stay two.
    Onsets and offsets are placed on a short (``fine_window_s``) envelope where its power crosses
    ``refine_fraction`` of the way from rest to the burst's own level, so 30 ms twitches keep their
    length and onsets are not delayed by the long window. A longer event's level is read after the change
    point of that power (maximum likelihood, Staude & Wolf 1999), so a burst that begins weak and first
    reaches ``on`` late is timed from where it begins. Events shorter than ``min_duration_s`` or
    whose mean envelope stays under ``min_mean_ratio``·on (blips that barely touch the threshold) are
    dropped, as are longer events whose mean is under ``on`` that do not rise clearly over the tone
    around them (raised resting tone that only touches ``on``). Each event is classed by duration:
    twitch (< ``twitch_max_s``), burst, or sustained (≥ ``sustained_min_s``: cramp, held tension).
    """

    k_on: float = 9.0
    k_off: float = 4.0
    min_on_ratio: float = 2.4
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

    Parameters
    ----------
    env : array_like
        Envelope, µV.
    valid : ndarray of bool, optional
        Points that count (flat line and motion left out).
    quiet_percentile : float
        Share of the points taken as rest, %.

    Returns
    -------
    Baseline
        Rest level and spread, µV.

    Example
    -------
    >>> from unclench.emg.dsp import clean, detect_bursts_env, envelope, robust_baseline
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> env = envelope(clean(sim.signal, 1000)[0], 1000.0)  # 100 points per second
    >>> base = robust_baseline(env)
    >>> 2.0 < base.level_uv < 4.0, base.source  # the simulated rest is 3 µV RMS
    (True, 'quiet segments')
    """
    e = np.asarray(env)
    if e.dtype.kind != "f":
        e = e.astype(np.float64)
    if valid is not None:
        e = e[valid]  # (a float32 envelope, a streamed night's, stays float32: no copy of twice its size)
    if e.size == 0:
        raise UserInputError.single("signal", "no usable signal left after removing flat-line and motion segments")
    # (sorting in place where ``e`` is already a copy: a night's envelope is 11–23 MB a channel)
    cut = np.percentile(e, quiet_percentile, overwrite_input=valid is not None)
    quiet = e[e <= cut]
    level = float(np.median(quiet, overwrite_input=True))
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
    """[start, stop) runs where env is above ``off`` and that reach ``on`` somewhere (vectorised).

    Parameters
    ----------
    env : ndarray
        Envelope, µV.
    on, off : float
        Thresholds, µV (``off`` ≤ ``on``).

    Returns
    -------
    list of tuple
        [start, stop) point indices of each run.

    Example
    -------
    >>> hysteresis_runs(np.array([0.0, 2, 5, 2, 0, 2, 0]), on=4.0, off=1.0)
    [(1, 4)]
    """
    above_off = env > off
    runs = true_runs(above_off)
    if not runs:
        return []
    starts = np.array([a for a, _ in runs])
    stops = np.array([b for _, b in runs])
    hit = np.maximum.reduceat(env, starts) > on if env.size else np.zeros(0, dtype=bool)
    # reduceat over [start_i, start_{i+1}) includes the gap after run i, which is below `off` < `on`.
    return [(int(a), int(b)) for a, b, h in zip(starts, stops, hit, strict=True) if h]


def bridge(runs: list[tuple[int, int]], max_gap: int) -> list[tuple[int, int]]:
    """Merge runs separated by at most ``max_gap`` points.

    Parameters
    ----------
    runs : list of tuple
        [start, stop) point indices, in order.
    max_gap : int
        Largest gap bridged, points.

    Returns
    -------
    list of tuple
        The merged runs.

    Example
    -------
    >>> bridge([(0, 3), (5, 8), (20, 22)], max_gap=2)
    [(0, 8), (20, 22)]
    """
    out: list[tuple[int, int]] = []
    for a, b in runs:
        if out and a - out[-1][1] <= max_gap:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _crossing(env: FloatArray, i0: int, i1: int, level2: float, rising: bool) -> float:
    """Fractional index in [i0, i1] where env² crosses ``level2`` (first rising / last falling)."""
    seg = env[i0 : i1 + 1]
    seg = seg * seg  # squared here, on the span only: squaring the whole envelope per event made a night O(n²)
    if rising:
        idx = (seg >= level2).nonzero()[0]
        if idx.size == 0:
            return float(i0)
        j = int(idx[0])
        if j == 0:
            return float(i0)
        a, b = seg[j - 1], seg[j]
        return i0 + j - 1 + float((level2 - a) / (b - a)) if b != a else float(i0 + j)
    idx = (seg >= level2).nonzero()[0]
    if idx.size == 0:
        return float(i1)
    j = int(idx[-1])
    if j >= seg.size - 1:
        return float(i1)
    a, b = seg[j], seg[j + 1]
    return i0 + j + float((a - level2) / (a - b)) if a != b else float(i0 + j)


def _med(a: FloatArray) -> float:
    """np.median for small 1-D arrays, without its per-call overhead (same value)."""
    srt = a.copy()
    srt.sort()  # (the method: np.sort's wrapper costs as much as sorting a few dozen points)
    m = srt.size // 2
    return float(srt[m]) if srt.size % 2 else float(0.5 * (srt[m - 1] + srt[m]))


def split_runs(
    env: FloatArray, runs: list[tuple[int, int]], on: float, min_gap: int, ratio: float
) -> list[tuple[int, int]]:
    """Split hysteresis runs at stretches under ``on`` that last more than ``min_gap`` points and whose
    median is below ``ratio`` × the median level of the above-``on`` activity on either side.

    Parameters
    ----------
    env : ndarray
        Envelope, µV.
    runs : list of tuple
        [start, stop) point indices.
    on : float
        On-threshold, µV.
    min_gap : int
        Shortest stretch under ``on`` that can split, points.
    ratio : float
        The stretch's median must be under this × the activity on either side.

    Returns
    -------
    list of tuple
        The runs, split.

    Example
    -------
    >>> env = np.array([0.0, 10, 10, 1, 1, 1, 10, 10, 0])
    >>> split_runs(env, [(1, 8)], on=5.0, min_gap=2, ratio=0.5)
    [(1, 3), (6, 8)]
    """
    out: list[tuple[int, int]] = []
    for a, b in runs:
        cores = true_runs(env[a:b] > on)
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


def _last_quiet_end(below: BoolArray, q: int) -> int | None:
    """Index of the last ``below`` point that ends a run of at least ``q`` True values (the last True point if
    q ≤ 1, or if there are fewer than ``q`` points); None when there is none.

    Scanned from the end in plain Python: the runs looked at are tens to hundreds of points and the answer is
    usually near the end, where five NumPy calls per look cost several times more (this runs twice per burst).
    """
    if q <= 1 or below.size < q:
        idx = below.nonzero()[0]
        return int(idx[-1]) if idx.size else None
    run = 0
    end = 0
    flags = below.tolist()
    for i in range(len(flags) - 1, -1, -1):
        if flags[i]:
            if run == 0:
                end = i
            run += 1
            if run >= q:
                return end  # the last run of at least q ends at its last point
        else:
            run = 0
    return None


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
    above = (env[a:b] >= on).nonzero()[0]
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
    reach = (near >= lvl_on).nonzero()[0]
    if not reach.size:
        reach = (near >= level2).nonzero()[0]
    start = _walk_back(f2, lo, lo + int(reach[0]) if reach.size else c, level2, q)
    # offset of a longer event: where the long envelope's power falls through ``frac`` of the way from rest
    # to the event's median power (robust to slowly fading tails)
    env2_seg = env[c : d + 1] ** 2
    lvl_long = max(_med(env2_seg), on2)
    stop = _crossing(env, c, min(n - 1, max(b - 1, d) + w), base2 + frac * (lvl_long - base2), rising=False)
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
    reach = (f2[c : hi + 1] >= lvl).nonzero()[0]
    i = c + int(reach[-1]) if reach.size else d
    last = _last_quiet_end(f2[i + 1 : hi + 1][::-1] < level2, q)
    if last is not None:
        j = hi - last
        y0, y1 = f2[j - 1], f2[j]
        return j - 1 + min(1.0, max(0.0, float((y0 - level2) / (y0 - y1)))) if y0 > y1 else float(j - 1)
    return float(hi)


def _walk_back(f2: FloatArray, lo: int, i: int, level2: float, q: int) -> float:
    """Fractional index where the power ``f2`` last rises through ``level2`` before point ``i``, after at
    least ``q`` points under it (``lo`` when there is no such quiet stretch in [lo, i))."""
    last = _last_quiet_end(f2[lo:i] < level2, q)
    if last is None:
        return float(lo)
    j = lo + last
    y0, y1 = f2[j], f2[j + 1]
    return j + min(1.0, float((level2 - y0) / (y1 - y0))) if y1 > y0 else float(j + 1)


def _change_point(f2: FloatArray, lo: int, hi: int, last: int) -> int | None:
    """The index k in (lo, last] that best splits ``f2[lo:hi]`` into a quieter then a louder stretch.

    Maximum-likelihood change in power: each stretch's points are taken as scaled χ² values around their
    own mean, so the log-likelihood of a split at k is −n₀·log m₀ − n₁·log m₁ (n, m: length and mean power
    of each side). This is the variance-change statistic used for EMG onsets by Staude & Wolf (1999, Med Eng
    Phys 21:449) and Staude et al. (2001, IEEE TBME 48:1292), with both levels estimated (the tone before an
    onset need not be the recording's rest level).
    """
    seg = f2[lo:hi]
    top = min(last - lo, seg.size - 3)
    if top < 3:
        return None
    cs = np.cumsum(seg)
    k = np.arange(3, top + 1)
    n1 = seg.size - k
    s0 = cs[2:top]  # sum of the first k points
    m0 = np.maximum(s0 / k, 1e-12)
    m1 = np.maximum((cs[-1] - s0) / n1, 1e-12)
    ll = np.where(m1 > m0, -k * np.log(m0) - n1 * np.log(m1), -np.inf)
    best = int(np.argmax(ll))
    return lo + int(k[best]) if np.isfinite(ll[best]) else None


def _change_onset(f2: FloatArray, c: int, base2: float, lo: int, w: int, frac: float, start: float) -> float:
    """A longer event's onset, from the change point of the short envelope's power before it first reaches ``on``.

    The change point (``_change_point`` over ``lo`` … a window past ``c``, the first point at ``on``) finds where the
    activity begins even when it begins weak; the onset is then placed as ``_refine`` places it, ``frac`` of
    the way from rest to the activity's own level, read between the change point and the first point at
    ``on`` when that stretch is long enough (a weak start), else over two windows from the change point.
    Returns ``start`` (the level-crossing onset) when no change is found.
    """
    n = f2.size
    k = _change_point(f2, lo, min(n, c + w), c)
    if k is None:
        return start
    span = c - k if c - k >= max(3, w // 2) else 2 * w
    lvl = max(_med(f2[k : min(n, k + span)]), base2)
    lo2 = max(lo, k - w)
    reach = (f2[lo2 : min(n, k + 2 * w)] >= lvl).nonzero()[0]
    return _walk_back(f2, lo2, lo2 + int(reach[0]) if reach.size else k, base2 + frac * (lvl - base2), QUIET_PTS)


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

    Parameters
    ----------
    env : ndarray
        Envelope (``window_s`` RMS), µV.
    env_fs : float
        Envelope points per second, Hz.
    baseline : Baseline
        Rest level and spread (``robust_baseline``).
    params : BurstParams, optional
        Thresholds and timing rules.
    valid : ndarray of bool, optional
        Points that count; a run mostly outside them is left out.
    clipped : ndarray of bool, optional
        Points that touch saturation (marks the burst ``clipped``).
    t0_s : float
        Time of point 0, seconds.
    window_s : float
        The envelope's window, seconds.
    fine : ndarray, optional
        Short-window envelope on the same points, µV.

    Returns
    -------
    list of Burst
        Onset, offset (s), peak and mean envelope (µV) and class of each event, in time order.

    Example
    -------
    >>> from unclench.emg.dsp import clean, detect_bursts_env, envelope, robust_baseline
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> env = envelope(clean(sim.signal, 1000)[0], 1000.0)  # 100 points per second
    >>> bursts = detect_bursts_env(env, 100.0, robust_baseline(env))
    >>> abs(len(bursts) - len(sim.bursts)) <= 1
    True
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
    prev_stop = 0
    for a, b in runs:
        seg = env[a:b]
        if valid is not None and 2 * np.count_nonzero(valid[a:b]) < b - a:
            continue  # mostly flat line or motion artefact: left out
        if p.refine:
            start, stop = _refine(env, f2, a, b, base2, on, w, p.refine_fraction, QUIET_PTS, p.split_ratio)
            if stop <= start:
                start, stop = float(a), float(b - 1)
            elif stop - start >= 2 * w:
                # a longer event: time its onset from where the power changes, not from where it first reaches
                # on (a weak burst can rise well before it touches on, late in its first second)
                above = (seg >= on).nonzero()[0]
                c = a + int(above[0]) if above.size else a
                start = _change_onset(f2, c, base2, max(prev_stop, a - 2 * w), w, p.refine_fraction, start)
        else:
            start, stop = float(a), float(b - 1)
        onset = t0_s + start / env_fs
        offset = t0_s + stop / env_fs
        if offset - onset < p.min_duration_s:
            continue
        inside = env[int(np.ceil(start)) : int(np.floor(stop)) + 1]
        if inside.size == 0:
            inside = env[int(np.floor(start)) : int(np.ceil(stop)) + 1]
        inside_mean = float(inside.sum()) / inside.size if inside.size else 0.0
        seg_max = float(seg.max())
        # brief events must stand clear of the on-threshold on average (blips that barely touch it do
        # not); a longer one is a weak burst hovering around it when its mean stays above ``off``
        brief = offset - onset < 2 * window_s
        floor = p.min_mean_ratio * on if brief else off
        if inside.size == 0 or inside_mean < floor or (brief and seg_max < p.brief_peak_ratio * on):
            continue
        if not brief and inside_mean < on:
            bg = _background(env, valid, start, stop, round(p.background_s * env_fs), round(0.3 * env_fs))
            if inside_mean < p.rise_ratio * bg and seg_max < p.rise_peak_ratio * bg:
                continue  # raised tone touching on, not a burst
        prev_stop = int(np.ceil(stop)) + 1
        bursts.append(
            Burst(
                onset_s=round(onset, 6),
                offset_s=round(offset, 6),
                peak_uv=seg_max,
                mean_uv=float(seg.sum()) / seg.size,
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
