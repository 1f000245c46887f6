"""A live biofeedback session: raw chunks in (any source), calibration, then envelope + burst events out.

Used by ``unclench emg live`` / ``record`` and the web page's WebSocket. No database import.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from unclench.emg.dsp import BoolArray, Burst, FloatArray
from unclench.emg.live import LiveChannel, LiveEvent
from unclench.emg.readers import Annotation, write_edf

Phase = Literal["calibrating", "live"]


@dataclass
class Frame:
    """What changed since the previous frame."""

    elapsed_s: float  # signal time received so far
    phase: Phase
    times_s: FloatArray  # signal times of the new envelope points
    env_uv: list[FloatArray]  # per channel, new envelope points (µV)
    events: list[tuple[int, LiveEvent]] = field(default_factory=list)  # (channel index, event)
    target_uv: float | None = None
    calibration_left_s: float = 0.0
    motion: list[BoolArray] = field(default_factory=list)  # per channel, the new points' motion flags

    @property
    def gauge_uv(self) -> float | None:
        """The newest tension value of the first channel (what the gauge shows)."""
        if not self.env_uv or self.env_uv[0].size == 0:
            return None
        return float(self.env_uv[0][-1])

    def to_json(self) -> dict[str, Any]:
        return {
            "elapsed_s": round(self.elapsed_s, 3),
            "phase": self.phase,
            "calibration_left_s": round(self.calibration_left_s, 2),
            "t": [round(float(t), 3) for t in self.times_s],
            "env": [[round(float(v), 3) for v in e] for e in self.env_uv],
            "gauge": None if self.gauge_uv is None else round(self.gauge_uv, 3),
            "target": self.target_uv,
            "events": [
                {
                    "channel": ch,
                    "kind": ev.kind,
                    "onset_s": round(ev.onset_s, 3),
                    "at_sample": ev.at_sample,
                    "burst": ev.burst.to_dict() if ev.burst else None,
                }
                for ch, ev in self.events
            ],
        }


class Monitor:
    """Feeds chunks (channels × samples, µV) through calibration and the live pipeline of each channel."""

    def __init__(
        self,
        fs: float,
        channel_names: list[str],
        *,
        calibration_s: float = 10.0,
        target_uv: float | None = None,
        keep_raw: bool = True,
    ) -> None:
        self.fs = fs
        self.channel_names = channel_names
        self.calibration_s = calibration_s
        self.target_uv = target_uv
        self.keep_raw = keep_raw
        self._raw: list[npt.NDArray[np.float64]] = []
        self._cal: list[npt.NDArray[np.float64]] = []
        self._n = 0
        self.channels: list[LiveChannel] | None = None
        self.events: list[tuple[int, LiveEvent]] = []
        self.session_events: list[Annotation] = []
        self.below_target_s = 0.0
        self._env_history: list[FloatArray] = []

    @property
    def elapsed_s(self) -> float:
        return self._n / self.fs

    def mark(self, text: str) -> None:
        """Note a session event (e.g. "audio started") at the current signal time."""
        self.session_events.append(Annotation(self.elapsed_s, 0.0, text))

    def feed(self, chunk: npt.ArrayLike) -> Frame:
        arr = np.atleast_2d(np.asarray(chunk, dtype=np.float64))
        if arr.shape[0] != len(self.channel_names):
            raise ValueError(f"expected {len(self.channel_names)} channels, got {arr.shape[0]}")
        if self.keep_raw and arr.shape[1]:
            self._raw.append(arr)
        self._n += arr.shape[1]
        n_cal = round(self.calibration_s * self.fs)
        empty = [np.zeros(0) for _ in self.channel_names]
        if self.channels is None:
            self._cal.append(arr)
            have = sum(c.shape[1] for c in self._cal)
            if have < n_cal:
                return Frame(
                    self.elapsed_s,
                    "calibrating",
                    np.zeros(0),
                    empty,
                    target_uv=self.target_uv,
                    calibration_left_s=(n_cal - have) / self.fs,
                )
            cal = np.concatenate(self._cal, axis=1)
            self._cal = []
            self.channels = [LiveChannel.calibrate(cal[c, :n_cal], self.fs) for c in range(cal.shape[0])]
            arr = cal[:, n_cal:]
            if self.target_uv is None:
                # default target: the calibration rest level — "get back to where you started"
                self.target_uv = round(self.channels[0].baseline.level_uv, 2)
        envs: list[FloatArray] = []
        motion: list[BoolArray] = []
        times = np.zeros(0)
        events: list[tuple[int, LiveEvent]] = []
        for c, live in enumerate(self.channels):
            upd = live.push(arr[c])
            envs.append(upd.env_uv)
            motion.append(upd.motion)
            times = upd.times_s
            events.extend((c, ev) for ev in upd.events)
        if envs and envs[0].size and self.target_uv is not None:
            self.below_target_s += float((envs[0] < self.target_uv).sum()) / self.channels[0].env_fs
            self._env_history.append(envs[0])
        self.events.extend(events)
        return Frame(self.elapsed_s, "live", times, envs, events, self.target_uv, motion=motion)

    @property
    def bursts(self) -> list[list[Burst]]:
        return [c.bursts for c in self.channels] if self.channels else [[] for _ in self.channel_names]

    def raw(self) -> npt.NDArray[np.float64]:
        if not self._raw:
            return np.zeros((len(self.channel_names), 0))
        return np.concatenate(self._raw, axis=1)

    def summary(self) -> dict[str, Any]:
        env = np.concatenate(self._env_history) if self._env_history else np.zeros(0)
        k = max(1, min(len(env) // 5, 6000)) if env.size else 0
        start = float(np.median(env[:k])) if k else None
        end = float(np.median(env[-k:])) if k else None
        return {
            "duration_s": self.elapsed_s,
            "fs": self.fs,
            "channels": self.channel_names,
            "baseline_uv": [c.baseline.level_uv for c in self.channels] if self.channels else [],
            "burst_counts": [len(b) for b in self.bursts],
            "target_uv": self.target_uv,
            "time_below_target_s": self.below_target_s,
            "start_tone_uv": start,
            "end_tone_uv": end,
        }

    def annotations(self) -> list[Annotation]:
        anns = list(self.session_events)
        anns.insert(0, Annotation(0.0, self.calibration_s, "calibration rest"))
        for c, bursts in enumerate(self.bursts):
            for b in bursts:
                anns.append(
                    Annotation(b.onset_s, b.duration_s, f"burst {self.channel_names[c]} peak {b.peak_uv:.0f} uV")
                )
        return sorted(anns, key=lambda a: a.onset_s)

    def save(self, path: str | Path, *, bdf: bool = False) -> Path:
        """Write the raw recording as EDF+/BDF+ with calibration, session events and bursts annotated."""
        return write_edf(path, self.raw(), self.fs, self.channel_names, annotations=self.annotations(), bdf=bdf)


def run_source(
    source: Any,
    monitor: Monitor,
    *,
    duration_s: float,
    poll_s: float = 0.02,
    on_frame: Callable[[Frame], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Monitor:
    """Poll a started ``LiveSource`` every ``poll_s`` until ``duration_s`` of signal or ``should_stop()``."""
    while monitor.elapsed_s < duration_s:
        if should_stop is not None and should_stop():
            break
        time.sleep(poll_s)
        chunk = source.poll()
        if chunk.shape[1] == 0:
            continue
        frame = monitor.feed(chunk)
        if on_frame is not None:
            on_frame(frame)
    return monitor
