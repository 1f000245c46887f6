"""The causal (live) pipeline: the offline steps with carried filter state, one chunk at a time.

Differences from the offline analysis, each one deliberate and bounded:

* the band-pass runs forward only (``sosfilt`` with carried ``zi``); the notch is causal offline too;
* the RMS window trails the newest sample, so envelope point k (sample k·hop) describes the time
  (k·hop − window/2)/fs — the same instant the offline, centred envelope describes at that point;
* a burst is *confirmed* once the envelope has stayed above the on-threshold for ``debounce_s``; when
  it ends (below the off-threshold for longer than the bridging gap) it is *finalised* by running
  the offline detector on the stored envelope around it, so onsets, offsets and the drop rules are
  the offline ones. The baseline comes from a calibration rest period at the start.

Test: tests/emg/test_live.py checks live against offline onsets within ±20 ms on a simulated file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import signal as sps
from scipy.ndimage import maximum_filter1d

from unclench.core.errors import UserInputError
from unclench.emg.dsp import (
    Baseline,
    Burst,
    BurstParams,
    CleanSpec,
    FloatArray,
    check_fs,
    check_signal,
    detect_bursts_env,
    hop_samples,
    plan_clean,
    robust_baseline,
    sosfilt_inplace,
)

EventKind = Literal["burst_confirmed", "burst_final", "burst_dropped"]


@dataclass(frozen=True)
class LiveEvent:
    kind: EventKind
    at_sample: int  # the newest sample index when the event was raised (its wall-clock moment)
    onset_s: float  # best onset estimate so far (signal time)
    burst: Burst | None = None  # for burst_final


@dataclass
class LiveUpdate:
    """What one ``push`` produced: new envelope points (signal time s, µV) and events."""

    times_s: FloatArray
    env_uv: FloatArray
    events: list[LiveEvent] = field(default_factory=list)
    low_rms: FloatArray = field(default_factory=lambda: np.zeros(0), repr=False)
    high_rms: FloatArray = field(default_factory=lambda: np.zeros(0), repr=False)
    motion: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)
    fine: FloatArray = field(default_factory=lambda: np.zeros(0), repr=False)  # short-window envelope (timing)


class LiveChannel:
    """One channel's live pipeline. Create with ``LiveChannel.calibrate(rest_samples, fs)``."""

    def __init__(
        self,
        fs: float,
        spec: CleanSpec,
        baseline: Baseline,
        *,
        params: BurstParams | None = None,
        window_s: float = 0.1,
        hop_s: float = 0.01,
        debounce_s: float = 0.04,
        history_s: float = 120.0,
    ) -> None:
        self.fs = check_fs(fs)
        self.spec = spec
        self.baseline = baseline
        self.params = params or BurstParams()
        self.window_s = window_s
        self.w = max(1, round(window_s * self.fs))
        self.wf = min(self.w, max(1, round(self.params.fine_window_s * self.fs)))
        self.h = hop_samples(self.fs, hop_s)
        self.env_fs = self.fs / self.h
        self.on, self.off = baseline.thresholds(self.params)
        self.debounce_pts = max(1, round(debounce_s * self.env_fs))
        # Band-pass then notch as one cascade of sections: the same arithmetic sample by sample (each section
        # filters the previous one's output), in one call per chunk instead of two.
        notch = spec.notch if spec.notch_hz else None
        sections = spec.bandpass if notch is None else np.concatenate([spec.bandpass, notch])
        self._clean = np.ascontiguousarray(sections, dtype=np.float64)
        self._clean_zi = np.zeros((1, self._clean.shape[0], 2))  # one row's state, as sosfilt_inplace takes it
        self._tail = np.zeros((2, 0))  # last (w − 1) cleaned and motion-band samples
        # motion-artefact check, causal: 4–15 Hz vs cleaned (muscle) power over the same trailing window
        self._mlow = np.ascontiguousarray(sps.butter(2, [4.0, 15.0], btype="bandpass", fs=self.fs, output="sos"))
        self._mlow_zi = np.zeros((1, self._mlow.shape[0], 2))
        self.motion_reference_uv: float | None = None
        self.motion_factor = 12.0
        self._hist_motion = np.zeros(0, dtype=bool)
        self._hist_parts: list[FloatArray] = []
        self._fine_parts: list[FloatArray] = []
        self._hist_fine = np.zeros(0)
        self._motion_parts: list[npt.NDArray[np.bool_]] = []
        self._n = 0  # samples consumed
        self._k = 0  # envelope points produced
        self._hist = np.zeros(0)  # envelope history (points _hist_start …)
        self._hist_start = 0
        self._history_pts = int(history_s * self.env_fs)
        # detector state
        self._above = 0
        self._active_from: int | None = None  # envelope index where the run rose above `off`
        self._last_high: int | None = None  # last envelope index above `off`
        self._confirmed = False
        self.bursts: list[Burst] = []

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def calibrate(
        cls,
        rest: npt.ArrayLike,
        fs: float,
        *,
        mains: float | Literal["auto"] | None = "auto",
        params: BurstParams | None = None,
        window_s: float = 0.1,
        hop_s: float = 0.01,
        debounce_s: float = 0.04,
    ) -> LiveChannel:
        """Plan filters and measure the rest baseline on a calibration period, then continue live after it."""
        fs = check_fs(fs)
        raw = check_signal(rest, field_name="calibration")
        if raw.size < 2 * fs:
            raise UserInputError.single("calibration", "at least 2 s of rest are needed to calibrate")
        spec = plan_clean(raw, fs, mains=mains, notch_mode="causal")
        probe = cls(fs, spec, Baseline(1.0, 1.0, "calibration rest"), window_s=window_s, hop_s=hop_s)
        upd = probe._filter_and_envelope(raw)
        # skip the first window and filter start-up before measuring rest
        skip = round(0.5 * probe.env_fs)
        base = robust_baseline(upd.env_uv[skip:], quiet_percentile=50.0)
        base = Baseline(base.level_uv, base.spread_uv, "calibration rest")
        live = cls(fs, spec, base, params=params, window_s=window_s, hop_s=hop_s, debounce_s=debounce_s)
        # carry the probe's filter state and position so the stream continues seamlessly
        live._clean_zi, live._tail = probe._clean_zi, probe._tail
        live._mlow_zi = probe._mlow_zi
        live.motion_reference_uv = float(max(np.median(upd.low_rms[skip:]), 1e-9))
        live._n, live._k = probe._n, probe._k
        live._hist_start = probe._k
        return live

    # -- streaming -------------------------------------------------------------------------

    def _filter_and_envelope(self, chunk: FloatArray) -> LiveUpdate:
        # A 20 ms chunk yields two envelope points: NumPy's per-call cost, not the arithmetic, sets the pace here,
        # so the index work is done on Python ints and every window sum is read in one gather.
        # row 0 = cleaned (muscle), row 1 = 4–15 Hz (motion), filtered in place with the carried state:
        # sosfilt's own copies and argument checks cost more than the filtering of a 20 ms chunk
        rows = np.array([chunk, chunk], dtype=np.float64)
        sosfilt_inplace(self._clean, rows[:1], self._clean_zi)
        sosfilt_inplace(self._mlow, rows[1:], self._mlow_zi)
        # one buffer, one running sum (with a leading zero) per row, each row accumulated on its own (a 2-row
        # cumsum along the rows costs NumPy's general strided loop)
        buf = np.concatenate([self._tail, rows], axis=1)
        width = buf.shape[1] + 1
        offset = self._n - self._tail.shape[1]  # global index of buf[:, 0]
        csum = np.zeros((2, width))
        np.multiply(buf, buf, out=csum[:, 1:])
        np.add.accumulate(csum[0], out=csum[0])
        np.add.accumulate(csum[1], out=csum[1])
        w, wf, fs = self.w, self.wf, self.fs
        first = -(-self._n // self.h) * self.h  # first hop position ≥ _n
        positions = range(first, self._n + chunk.size, self.h)
        # Per hop position: (top, bottom) of the muscle row's trailing window, of the motion row's (one row further
        # on in the flat running sums) and of the short timing window, centred on the instant the long one describes.
        bounds: list[tuple[int, int]] = []
        sizes: list[int] = []
        times: list[float] = []
        for position in positions:
            end = position + 1 - offset  # one past the window's last sample, in buf
            start = max(end - w, 0)
            count = min(position + 1, w)  # a truncated window at the very start
            fine_start = max(end - w + w // 2 - wf // 2, 0)
            fine_end = max(fine_start + wf, fine_start + 1)
            bounds += ((end, start), (width + end, width + start), (fine_end, fine_start))
            sizes += (count, count, fine_end - fine_start)
            times.append((position - w / 2) / fs)
        k = len(times)
        sums = csum.ravel()[np.array(bounds, dtype=np.intp).reshape(-1, 2)]
        envelopes = np.sqrt(np.maximum((sums[:, 0] - sums[:, 1]) / np.array(sizes, dtype=np.float64), 0.0))
        muscle, low, fine = envelopes.reshape(k, 3).T.copy()
        self._n += chunk.size
        self._k += k
        self._tail = buf[:, -(w - 1) :] if w > 1 else np.zeros((2, 0))
        ref = self.motion_reference_uv  # None while calibrating: no motion yet
        motion = (low > self.motion_factor * ref) & (low > muscle) if ref is not None else np.zeros(k, dtype=bool)
        return LiveUpdate(
            np.array(times, dtype=np.float64), muscle, low_rms=low, high_rms=muscle, motion=motion, fine=fine
        )

    def push(self, chunk: npt.ArrayLike) -> LiveUpdate:
        """Feed new raw samples (µV); get the new envelope points and any burst events."""
        if np.size(chunk) == 0:
            return LiveUpdate(np.zeros(0), np.zeros(0))
        arr = check_signal(chunk, field_name="chunk")
        k0 = self._k
        upd = self._filter_and_envelope(arr)
        self._hist_parts.append(upd.env_uv)
        self._fine_parts.append(upd.fine)
        self._motion_parts.append(upd.motion)
        if self._active_from is not None or (upd.env_uv.size and np.maximum.reduce(upd.env_uv) > self.off):
            for i, value in enumerate(upd.env_uv.tolist()):
                ev = self._step(k0 + i, value)
                if ev is not None:
                    upd.events.append(ev)
        self._trim_history()
        return upd

    def _consolidate(self) -> None:
        if self._hist_parts:
            self._hist = np.concatenate([self._hist, *self._hist_parts])
            self._hist_motion = np.concatenate([self._hist_motion, *self._motion_parts])
            self._hist_fine = np.concatenate([self._hist_fine, *self._fine_parts])
            self._fine_parts.clear()
            self._hist_parts.clear()
            self._motion_parts.clear()

    def _time_of(self, k: int) -> float:
        return (k * self.h - self.w / 2) / self.fs

    def _step(self, k: int, value: float) -> LiveEvent | None:
        p = self.params
        if self._active_from is None:
            if value > self.off:
                self._active_from = k
                self._last_high = k
                self._above = 1 if value > self.on else 0
            return None
        if value > self.off:
            self._last_high = k
            if value > self.on:
                self._above += 1
            if not self._confirmed and self._above >= self.debounce_pts:
                self._confirmed = True
                return LiveEvent("burst_confirmed", min(self._n, (k + 1) * self.h), self._time_of(self._active_from))
            return None
        # below off: end the run once the gap exceeds the bridging time
        assert self._last_high is not None
        if (k - self._last_high) / self.env_fs <= p.bridge_s:
            return None
        start, end = self._active_from, self._last_high
        confirmed = self._confirmed
        self._active_from = self._last_high = None
        self._above = 0
        self._confirmed = False
        if not confirmed:
            return None
        return self._finalise(start, end, k)

    def _finalise(self, start: int, end: int, k: int) -> LiveEvent:
        self._consolidate()
        w_pts = max(1, round(self.window_s * self.env_fs))
        lo = max(self._hist_start, start - 3 * w_pts - 5)  # the onset may walk back two windows
        hi = min(self._hist_start + self._hist.size, k + 1)
        seg = self._hist[lo - self._hist_start : hi - self._hist_start]
        motion = self._hist_motion[lo - self._hist_start : hi - self._hist_start]
        # widen motion flags by 150 ms each way, as the offline block flags are widened by a block
        pad = max(1, round(0.15 * self.env_fs))
        valid = ~maximum_filter1d(motion.astype(np.uint8), size=2 * pad + 1).astype(bool)
        t0 = self._time_of(lo)
        fine = self._hist_fine[lo - self._hist_start : hi - self._hist_start]
        found = detect_bursts_env(
            seg, self.env_fs, self.baseline, self.params, valid=valid, t0_s=t0, window_s=self.window_s, fine=fine
        )
        at = min(self._n, (k + 1) * self.h)
        if not found:
            return LiveEvent("burst_dropped", at, self._time_of(start))
        # a run the offline rules split (e.g. two twitches on raised tone) stays split live
        self.bursts.extend(found)
        return LiveEvent("burst_final", at, found[0].onset_s, found[-1])

    def _trim_history(self) -> None:
        if len(self._hist_parts) < 200:
            return
        self._consolidate()
        keep_from = self._k - self._history_pts
        if self._active_from is not None:
            keep_from = min(keep_from, self._active_from - 40)
        drop = keep_from - self._hist_start
        if drop > 0:
            self._hist = self._hist[drop:]
            self._hist_motion = self._hist_motion[drop:]
            self._hist_fine = self._hist_fine[drop:]
            self._hist_start += drop

    @property
    def samples_seen(self) -> int:
        return self._n


def run_live_on_array(
    x: npt.ArrayLike, fs: float, *, calibration_s: float = 10.0, chunk_s: float = 0.05, **kwargs: object
) -> tuple[LiveChannel, list[LiveEvent]]:
    """Replay a recording through the live pipeline in ``chunk_s`` pieces (calibrating on its first seconds)."""
    fs = check_fs(fs)
    arr = check_signal(x)
    n_cal = round(calibration_s * fs)
    live = LiveChannel.calibrate(arr[:n_cal], fs, **kwargs)  # type: ignore[arg-type]
    step = max(1, round(chunk_s * fs))
    events: list[LiveEvent] = []
    for i in range(n_cal, arr.size, step):
        events.extend(live.push(arr[i : i + step]).events)
    return live, events
