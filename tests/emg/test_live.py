"""The causal live pipeline matches the offline analysis on the same file."""

from __future__ import annotations

import numpy as np
import pytest

from bench.scoring import onset_f1
from unclench.core.errors import UserInputError
from unclench.emg import dsp
from unclench.emg.live import LiveChannel, run_live_on_array
from unclench.emg.simulate import simulate_emg

FS = 1000.0
# Stated tolerance: same burst count, every live onset/offset within ±20 ms of the offline one.
TOLERANCE_S = 0.02


@pytest.mark.parametrize("seed", [21, 22])
def test_live_matches_offline_within_tolerance(seed: int) -> None:
    sim = simulate_emg(240, FS, seed=seed, first_burst_after_s=10.0)
    offline = dsp.analyze(sim.signal, FS, dsp.AnalysisSettings(calibration_s=(0.5, 10.0)))
    live, _events = run_live_on_array(sim.signal, FS, calibration_s=10.0, chunk_s=0.05)
    assert len(live.bursts) == len(offline.bursts)
    for a, b in zip(live.bursts, offline.bursts, strict=True):
        assert a.onset_s == pytest.approx(b.onset_s, abs=TOLERANCE_S)
        assert a.offset_s == pytest.approx(b.offset_s, abs=TOLERANCE_S)
    f1, _, _ = onset_f1([b.onset_s for b in live.bursts], sim.onsets)
    assert f1 >= 0.95
    assert live.baseline.level_uv == pytest.approx(offline.baseline.level_uv, rel=0.05)


def test_confirmation_comes_within_100_ms_of_true_onset() -> None:
    sim = simulate_emg(180, FS, seed=23, first_burst_after_s=10.0)
    _, events = run_live_on_array(sim.signal, FS, calibration_s=10.0, chunk_s=0.02)
    confirmed = np.array([e.at_sample / FS for e in events if e.kind == "burst_confirmed"])
    latencies = []
    for onset in sim.onsets:
        after = confirmed[(confirmed > onset - 0.05) & (confirmed < onset + 0.5)]
        if after.size:
            latencies.append(after.min() - onset)
    assert len(latencies) >= 0.95 * len(sim.onsets)
    assert float(np.median(latencies)) <= 0.1


def test_chunk_size_does_not_change_the_envelope() -> None:
    sim = simulate_emg(30, FS, seed=24)
    a = LiveChannel.calibrate(sim.signal[:5000], FS)
    b = LiveChannel.calibrate(sim.signal[:5000], FS)
    env_a = np.concatenate([a.push(sim.signal[i : i + 37]).env_uv for i in range(5000, 30000, 37)])
    env_b = np.concatenate([b.push(sim.signal[i : i + 1000]).env_uv for i in range(5000, 30000, 1000)])
    assert np.allclose(env_a, env_b, rtol=1e-9, atol=1e-9)


def test_live_envelope_is_offline_envelope_delayed_by_half_a_window() -> None:
    """Live point k (trailing window) describes the same instant as the offline, centred point k."""
    sim = simulate_emg(60, FS, seed=25, mains_hz=None, wander_uv=0.0, motion_per_min=0)
    spec = dsp.plan_clean(sim.signal, FS, mains=None)
    live = LiveChannel(FS, spec, dsp.Baseline(3.0, 0.3, "given"))
    upd = live.push(sim.signal)
    y = dsp.apply_clean(sim.signal, spec)
    offline = dsp.envelope(y, FS)
    # the trailing window ending at sample k·hop covers the centred window of point k − 5 (50 ms)
    corr = np.corrcoef(upd.env_uv[1000:5000], offline[995:4995])[0, 1]
    assert corr > 0.97


def test_calibration_needs_two_seconds() -> None:
    with pytest.raises(UserInputError, match="at least 2 s"):
        LiveChannel.calibrate(np.random.default_rng(0).normal(size=500), FS)
