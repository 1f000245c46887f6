"""Ground-truth signals for the adaptive tone layer, and the recording file the adaptive player's tests replay.

``write_tense_then_released_recording(path)`` writes a BrainFlow playback file (or an EDF+) whose muscle rests
for ``rest_s`` (the baseline minute, shortened for tests), is tense (``tense_ratio`` × rest) for ``tense_s``,
then lets go back to rest for ``released_s``. Open it live with
``/emg/ws/live?board=playback&master_board=callibri_emg&file=<path>&calibration=<calibration_s>&adaptive=1``
``&baseline_s=<rest_s>&region=jaw&listen=<id>``: the tone frames are "unknown" until ``rest_s``, then "tense",
then "released" from about ``released_at_s + 2.5`` s (1 s tone window, 1.5 s dwell).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

FS = 1000.0


def emg_like(rms_uv: npt.ArrayLike, fs: float = FS, *, seed: int = 0, hum_uv: float = 2.0) -> npt.NDArray[np.float64]:
    """Band-limited (30–250 Hz) noise whose RMS follows ``rms_uv`` sample by sample, plus 50 Hz hum."""
    amp = np.asarray(rms_uv, dtype=np.float64)
    rng = np.random.default_rng(seed)
    sos = sps.butter(4, [30.0, 250.0], btype="bandpass", fs=fs, output="sos")
    noise = sps.sosfiltfilt(sos, rng.standard_normal(amp.size))
    noise /= np.sqrt(np.mean(noise**2))
    t = np.arange(amp.size) / fs
    return np.asarray(amp * noise + hum_uv * np.sin(2 * np.pi * 50.0 * t), dtype=np.float64)


def steps(parts: list[tuple[float, float]], fs: float = FS) -> npt.NDArray[np.float64]:
    """A per-sample RMS of (seconds, µV) parts, one after the other."""
    return np.concatenate([np.full(round(sec * fs), uv) for sec, uv in parts])


@dataclass(frozen=True)
class TenseThenReleased:
    """What the file holds: where each part starts (s) and the levels (µV RMS of the muscle band)."""

    path: Path
    fs: float
    rest_uv: float
    tense_uv: float
    tense_at_s: float
    released_at_s: float
    duration_s: float


def tense_then_released_uv(
    *,
    rest_s: float = 20.0,
    tense_s: float = 30.0,
    released_s: float = 30.0,
    rest_uv: float = 5.0,
    tense_ratio: float = 2.5,
    fs: float = FS,
    seed: int = 7,
) -> npt.NDArray[np.float64]:
    """The signal (µV, one channel): rest, then tense at ``tense_ratio`` × rest, then rest again."""
    rms = steps([(rest_s, rest_uv), (tense_s, rest_uv * tense_ratio), (released_s, rest_uv)], fs)
    return emg_like(rms, fs, seed=seed)


def write_tense_then_released_recording(
    path: str | Path,
    *,
    rest_s: float = 20.0,
    tense_s: float = 30.0,
    released_s: float = 30.0,
    rest_uv: float = 5.0,
    tense_ratio: float = 2.5,
    seed: int = 7,
    fmt: Literal["playback", "edf"] = "playback",
    start: datetime | None = None,
) -> TenseThenReleased:
    """Write the tense-then-released recording (1000 Hz, one channel) as a BrainFlow playback file or an EDF+
    (``start``: the EDF's local wall-clock start, which ties it to a listen in time)."""
    x = tense_then_released_uv(
        rest_s=rest_s, tense_s=tense_s, released_s=released_s, rest_uv=rest_uv, tense_ratio=tense_ratio, seed=seed
    )
    p = Path(path)
    if fmt == "playback":
        from unclench.emg.boards import write_playback_file

        write_playback_file(p, x, master_board="callibri_emg")
    else:
        from unclench.emg.readers import write_edf

        write_edf(p, x[np.newaxis, :], FS, ["emg1"], physical_range_uv=3000.0, start=start)
    return TenseThenReleased(p, FS, rest_uv, rest_uv * tense_ratio, rest_s, rest_s + tense_s, x.size / FS)
