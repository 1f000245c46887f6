"""Real biceps recordings (PLUX, MIT licence, see tests/emg/data/LICENSE): counts a person sees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from unclench.emg import dsp

DATA = Path(__file__).parent / "data"


def _load(name: str) -> np.ndarray:
    return pd.read_csv(DATA / name)["emg_mV"].to_numpy() * 1000.0  # mV → µV


def test_nine_clean_contractions_are_nine_bursts() -> None:
    result = dsp.analyze(_load("emg_bursts.csv"), 1000.0)
    assert len(result.bursts) == 9
    assert all(b.duration_s > 0.8 for b in result.bursts)
    # rest between contractions: a few µV, well under the contractions' levels
    assert 1.0 < result.resting_tone_uv < 15.0
    assert min(b.peak_uv for b in result.bursts) > 5 * result.resting_tone_uv
    assert result.quality["clipped_s"] == 0.0
    onsets = np.array([b.onset_s for b in result.bursts])
    assert np.all(np.diff(onsets) > 1.5)


def test_fatigue_recording_has_about_thirty_bursts_and_clipping_flagged() -> None:
    result = dsp.analyze(_load("emg_fatigue.csv"), 1000.0)
    assert 28 <= len(result.bursts) <= 32
    assert result.quality["clipped_s"] > 0
    assert any(b.clipped for b in result.bursts)  # clipped contractions still count as bursts
    assert 2.0 < np.median(np.diff([b.onset_s for b in result.bursts])) < 6.0
