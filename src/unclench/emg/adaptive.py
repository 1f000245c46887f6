"""The adaptive session's live tone: resting baseline, tone ratio, tense/released state, signal gating, level.

Pure (no database): fed by the live monitor's envelope and the raw chunk of one channel, it answers, at each
chunk, what the player of an adaptive session needs (docs/ADAPTIVE.md):

* **baseline**: the resting tone (µV) from the first minute — the median of clean one-second windows' tone,
  leaving out windows with a burst (any point above the live burst threshold) or a bad signal — or given up
  front from the person's earlier recordings of that region;
* **ratio**: current tone (median envelope over the last second of good points) / baseline;
* **state**: "tense" / "released" with hysteresis and a minimum dwell, "unknown" until the baseline is ready
  and while the signal is bad;
* **quality**: "bad" while the electrode is off (flat or near-silent), the signal clips at the ADC's rails,
  or the live pipeline flags motion (4–15 Hz far above its calibration level and above the muscle band);
* **level**: 0..1 for the continuous layer, from the fast envelope through an attack/release one-pole.

All tunable numbers sit in one ``AdaptiveSettings``.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from unclench.emg.dsp import BoolArray, FloatArray, QualityParams
from unclench.emg.monitor import Frame, Monitor

ToneState = Literal["tense", "released", "unknown"]
Quality = Literal["good", "bad"]


@dataclass(frozen=True)
class AdaptiveSettings:
    """Every number of the adaptive tone layer, with the reason for its value."""

    baseline_s: float = 60.0  # "measured in the first minute" (issue 17)
    # at least half the baseline period's one-second windows must be clean rest (and 3 at the least); if the
    # first minute has fewer, collecting goes on until it has
    min_clean_share: float = 0.5
    tone_window_s: float = 1.0  # the median over 1 s ignores a twitch (< 0.5 s) yet follows held tension
    min_good_fraction: float = 0.5  # a tone needs half its window free of artefacts
    # Hysteresis: resting tone wanders by about ±10 % over minutes at rest (the first minute's windows have a
    # spread of that order in our recordings and the simulator), so 1.1× is still "at rest"; 1.3× is three such
    # wanderings above it — clearly more than rest, while a held mild contraction is 2–5× rest.
    enter_tense: float = 1.3
    leave_tense: float = 1.1
    # Dwell: a state must be wanted for 1.5 s before it changes: longer than the tone window (so one
    # twitch's leftover cannot flip it) and short against the 5–15 s between decision points.
    dwell_s: float = 1.5
    # The continuous layer: level 0 at 0.8× baseline (let go further than the resting start), 1 at 1.6×
    # (well into "tense"), on a log scale since muscle activity scales multiplicatively.
    level_zero_ratio: float = 0.8
    level_full_ratio: float = 1.6
    neutral_level: float = 0.5  # the level before the baseline is known
    attack_s: float = 0.04  # tension shows quickly …
    release_s: float = 0.25  # … letting go fades smoothly (no pumping in the background)
    # Gating
    flat_uv: float = QualityParams().flat_uv  # raw spread below this over 0.1 s: electrode off
    silent_fraction: float = 0.15  # envelope below 15 % of the resting tone: under the amplifier's own noise
    clip_run: int = 5  # this many equal samples at the newest 0.1 s's extreme: the ADC sits on its rail
    rail_uv: float | None = None  # the board's rail in µV when known: any sample at or beyond it is clipped
    bad_hold_s: float = 0.5  # after an artefact the signal stays "bad" this long (settling filters)


@dataclass(frozen=True)
class ToneFrame:
    """One tone message for the player (the contract in docs/ADAPTIVE.md)."""

    t: float
    ratio: float | None
    state: ToneState
    quality: Quality
    baseline_ready: bool
    level: float
    tone_uv: float | None = None
    baseline_uv: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "tone",
            "t": round(self.t, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "state": self.state,
            "quality": self.quality,
            "baseline_ready": self.baseline_ready,
            "level": round(self.level, 4),
        }


class ToneTracker:
    """The adaptive layer of one channel: call ``update`` with each raw chunk and the live envelope it produced."""

    def __init__(
        self,
        fs: float,
        settings: AdaptiveSettings | None = None,
        *,
        baseline_uv: float | None = None,
        hop_s: float = 0.01,
    ) -> None:
        self.fs = fs
        self.hop_s = hop_s  # one envelope point per hop
        self.s = settings or AdaptiveSettings()
        self.baseline_uv = baseline_uv if baseline_uv and baseline_uv > 0 else None
        self.baseline_source = "earlier recordings" if self.baseline_uv else "first minute"
        self._raw_tail = np.zeros(0)  # the newest 0.1 s of raw samples (gating)
        self._block = max(1, round(0.1 * fs))
        self._window: deque[tuple[float, float, bool]] = deque()  # (t, env µV, good) over tone_window_s
        self._win_sum_good = 0
        self._clean_windows: list[float] = []
        self._cur_window: list[float] = []
        self._cur_window_ok = True
        self._cur_window_end: float | None = None
        self._windows_closed = 0
        self._held: ToneState = "unknown"
        self._wanted: ToneState | None = None
        self._wanted_since = 0.0
        self._bad_until = -math.inf
        # the continuous layer starts in the middle and stays there until a baseline says where the tone is
        self.level = self.s.neutral_level
        self._level_target = self.s.neutral_level
        self.last: ToneFrame = ToneFrame(0.0, None, "unknown", "good", self.baseline_ready, self.level)
        self._hist_t: list[float] = []  # stream time and good ratio (NaN when none) per update: tone-after look-ups
        self._hist_r: list[float] = []

    @property
    def baseline_ready(self) -> bool:
        return self.baseline_uv is not None

    # -- gating ----------------------------------------------------------------------------

    def _raw_bad(self, raw: FloatArray) -> bool:
        """Electrode off (flat) or clipping in any 0.1 s of the newest samples (the chunk and the 0.1 s before it)."""
        buf = np.concatenate([self._raw_tail, raw])
        self._raw_tail = buf[-self._block :]
        if buf.size < self._block:
            return False
        # whole blocks ending at the newest sample (a long chunk is checked all through, a short one with its past)
        blocks = buf[buf.size % self._block :].reshape(-1, self._block)
        hi, lo = blocks.max(axis=1), blocks.min(axis=1)
        if bool((hi - lo < self.s.flat_uv).any()):
            return True
        rail = self.s.rail_uv
        if rail is not None and bool(((hi >= rail) | (lo <= -rail)).any()):
            return True
        return any(
            _longest_run_at(b, float(h)) >= self.s.clip_run or _longest_run_at(b, float(lo_)) >= self.s.clip_run
            for b, h, lo_ in zip(blocks, hi, lo, strict=True)
        )

    # -- the step --------------------------------------------------------------------------

    def update(
        self,
        raw: FloatArray,
        times_s: FloatArray,
        env_uv: FloatArray,
        motion: BoolArray,
        *,
        t: float,
        burst_on_uv: float | None = None,
    ) -> ToneFrame:
        """Take one chunk (raw µV, the envelope points it produced and their motion flags) at stream time ``t``."""
        s = self.s
        raw_bad = self._raw_bad(raw) if raw.size else False
        if raw_bad:
            self._bad_until = t + s.bad_hold_s
        for tp, value, moving in zip(times_s.tolist(), env_uv.tolist(), motion.tolist(), strict=True):
            silent = self.baseline_uv is not None and value < s.silent_fraction * self.baseline_uv
            if moving or silent:
                self._bad_until = max(self._bad_until, t + s.bad_hold_s)
            good = not (moving or silent or raw_bad)
            self._window.append((tp, value, good))
            self._win_sum_good += good
            if not self.baseline_ready:
                self._collect_baseline(tp, value, good, burst_on_uv)
        while self._window and self._window[0][0] <= (times_s[-1] if times_s.size else t) - s.tone_window_s:
            self._win_sum_good -= self._window.popleft()[2]
        frame = self._decide(t, env_uv)
        self.last = frame
        self._hist_t.append(t)
        self._hist_r.append(frame.ratio if frame.ratio is not None else math.nan)
        return frame

    def _collect_baseline(self, tp: float, value: float, good: bool, burst_on_uv: float | None) -> None:
        s = self.s
        if self._cur_window_end is None:
            self._cur_window_end = tp + s.tone_window_s
        if tp >= self._cur_window_end:  # a window closed: keep its tone if it was clean rest
            self._windows_closed += 1
            if self._cur_window_ok and self._cur_window:
                self._clean_windows.append(float(np.median(self._cur_window)))
            self._cur_window, self._cur_window_ok = [], True
            self._cur_window_end += s.tone_window_s
        self._cur_window.append(value)
        if not good or (burst_on_uv is not None and value > burst_on_uv):
            self._cur_window_ok = False  # a burst or an artefact: this window is not rest
        needed = max(3.0, s.min_clean_share * min(self._windows_closed, s.baseline_s / s.tone_window_s))
        if tp >= s.baseline_s and len(self._clean_windows) >= needed:
            self.baseline_uv = float(np.median(self._clean_windows))

    def _decide(self, t: float, env_uv: FloatArray) -> ToneFrame:
        s = self.s
        n = len(self._window)
        enough = n > 0 and self._win_sum_good >= s.min_good_fraction * n
        # no envelope yet (the monitor's calibration) is "unknown", not "bad": the signal may well be fine
        bad = t < self._bad_until or (n > 0 and not enough)
        tone = float(np.median([v for _, v, g in self._window if g])) if enough else None
        base = self.baseline_uv
        ratio = tone / base if (tone is not None and base) else None
        # the continuous layer follows the fast envelope (not the 1-s median) so it reacts within the attack time
        if base and env_uv.size and not bad:
            fast = float(env_uv[-1]) / base
            span = math.log(s.level_full_ratio / s.level_zero_ratio)
            self._level_target = min(1.0, max(0.0, math.log(max(fast, 1e-9) / s.level_zero_ratio) / span))
        self._smooth_level(env_uv.size * self.hop_s)
        if bad or ratio is None:
            quality: Quality = "bad" if bad else "good"
            return ToneFrame(t, None, "unknown", quality, base is not None, self.level, tone, base)
        self._step_state(t, ratio)
        return ToneFrame(t, ratio, self._held, "good", True, self.level, tone, base)

    def _smooth_level(self, dt: float) -> None:
        if dt <= 0:
            return
        tau = self.s.attack_s if self._level_target > self.level else self.s.release_s
        self.level += (self._level_target - self.level) * (1.0 - math.exp(-dt / tau))

    def _step_state(self, t: float, ratio: float) -> None:
        s = self.s
        if self._held == "unknown":  # the first good tone: no earlier state to flap against
            self._held = "tense" if ratio > s.enter_tense else "released"
            self._wanted = None
            return
        if self._held == "released" and ratio > s.enter_tense:
            want: ToneState | None = "tense"
        elif self._held == "tense" and ratio < s.leave_tense:
            want = "released"
        else:
            want = None
        if want is None:
            self._wanted = None
            return
        if want != self._wanted:
            self._wanted, self._wanted_since = want, t
        if t - self._wanted_since >= s.dwell_s:
            self._held, self._wanted = want, None

    def ratio_at(self, t: float, *, window_s: float = 1.0) -> float | None:
        """The median good ratio over ``window_s`` ending at stream time ``t`` (None when none was good)."""
        lo, hi = bisect.bisect_right(self._hist_t, t - window_s), bisect.bisect_right(self._hist_t, t)
        values = [r for r in self._hist_r[lo:hi] if not math.isnan(r)]
        return float(np.median(values)) if values else None

    def feed(self, monitor: Monitor, chunk: FloatArray, frame: Frame) -> ToneFrame:
        """Take what ``monitor.feed(chunk)`` returned (channel 0: the target region's sensor)."""
        live = monitor.channels[0] if monitor.channels else None
        motion = frame.motion[0] if frame.motion else np.zeros(frame.times_s.size, dtype=bool)
        env = frame.env_uv[0] if frame.env_uv else np.zeros(0)
        raw = np.asarray(chunk, dtype=np.float64)
        raw = raw[0] if raw.ndim == 2 else raw
        return self.update(raw, frame.times_s, env, motion, t=frame.elapsed_s, burst_on_uv=live.on if live else None)


def replay(
    x: FloatArray,
    fs: float,
    *,
    calibration_s: float = 10.0,
    chunk_s: float = 0.02,
    settings: AdaptiveSettings | None = None,
    baseline_uv: float | None = None,
) -> tuple[ToneTracker, list[ToneFrame]]:
    """Run one channel (µV) through the live monitor and the tone layer in ``chunk_s`` pieces, as if live."""
    monitor = Monitor(fs, ["emg1"], calibration_s=calibration_s, keep_raw=False)
    tracker = ToneTracker(fs, settings, baseline_uv=baseline_uv)
    step = max(1, round(chunk_s * fs))
    frames = []
    for i in range(0, x.size, step):
        chunk = x[np.newaxis, i : i + step]
        frames.append(tracker.feed(monitor, chunk, monitor.feed(chunk)))
    return tracker, frames


def _longest_run_at(x: FloatArray, level: float) -> int:
    """The longest run of consecutive samples exactly at ``level``."""
    at = np.flatnonzero(x == level)
    if at.size == 0:
        return 0
    breaks = np.flatnonzero(np.diff(at) != 1)
    bounds = np.r_[-1, breaks, at.size - 1]
    return int(np.diff(bounds).max())
