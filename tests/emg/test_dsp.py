"""Offline EMG processing against signals with known ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.scoring import onset_f1
from unclench.core.errors import UserInputError
from unclench.emg import dsp
from unclench.emg.simulate import neurokit_truth, simulate_emg

FS = 1000.0


@pytest.fixture(scope="module")
def sims() -> list:
    return [simulate_emg(300, FS, seed=seed) for seed in (11, 12, 13)]


def test_onset_f1_on_own_generator_reaches_097(sims: list) -> None:
    for sim in sims:
        result = dsp.analyze(sim.signal, FS)
        f1, precision, recall = onset_f1([b.onset_s for b in result.bursts], sim.onsets, 0.05)
        assert f1 >= 0.97, (f1, precision, recall)


def test_onset_f1_on_neurokit_simulator_reaches_097() -> None:
    x, onsets = neurokit_truth(120, FS, burst_number=12, burst_duration=1.0, seed=7)
    result = dsp.analyze(x, FS)
    f1, _, _ = onset_f1([b.onset_s for b in result.bursts], onsets, 0.05)
    assert f1 >= 0.97
    durations = [b.duration_s for b in result.bursts]
    assert np.allclose(durations, 1.0, atol=0.08)


def test_causal_notch_beats_zero_phase_and_no_notch(sims: list) -> None:
    """The issue warns a zero-phase notch smears onsets; measured here, the causal one does not."""
    scores: dict[str, list[float]] = {"causal": [], "zero_phase": [], "off": []}
    for sim in sims:
        for mode in scores:
            r = dsp.analyze(sim.signal, FS, dsp.AnalysisSettings(notch_mode=mode))
            scores[mode].append(onset_f1([b.onset_s for b in r.bursts], sim.onsets)[0])
    mean = {k: float(np.mean(v)) for k, v in scores.items()}
    assert mean["causal"] >= mean["zero_phase"]
    assert mean["causal"] > mean["off"] + 0.05


def test_mains_detection_50_60_and_none() -> None:
    for mains in (50.0, 60.0, None):
        sim = simulate_emg(30, FS, seed=2, mains_hz=mains)
        assert dsp.detect_mains(sim.signal, FS) == mains
    sim = simulate_emg(30, FS, seed=2, mains_hz=60.0)
    _, spec = dsp.clean(sim.signal, FS)
    assert spec.notch_hz[:1] == (60.0,) and 180.0 in spec.notch_hz  # simulated third harmonic found


def test_bandpass_limited_by_sample_rate() -> None:
    assert dsp.band_edges(250.0) == (20.0, 112.5)
    assert dsp.band_edges(1000.0) == (20.0, 450.0)


def test_resting_tone_in_microvolts_matches_truth(sims: list) -> None:
    for sim in sims:
        result = dsp.analyze(sim.signal, FS)
        # the simulated rest is 3 µV RMS of EMG-like noise; band-pass keeps nearly all of it
        assert result.resting_tone_uv == pytest.approx(sim.rest_uv, rel=0.1)


def test_parameters_are_reported_with_the_result(sims: list) -> None:
    summary = dsp.analyze(sims[0].signal, FS).summary()
    method = summary["method"]
    assert method["bursts"]["k_on"] == dsp.BurstParams().k_on
    assert method["clean"]["notch_mode"] == "causal"
    assert method["thresholds_uv"]["on"] > method["thresholds_uv"]["off"] > 0
    assert summary["burst_count"] > 0 and summary["burst_rate_per_min"] > 0


def test_motion_spikes_are_flagged_and_not_bursts() -> None:
    sim = simulate_emg(120, FS, seed=5, motion_per_min=6, motion_uv=800)
    assert len(sim.motion) >= 5
    flags = dsp.quality_flags(sim.signal, FS)
    motion_segments = flags.segments("motion")
    for start, end in sim.motion:
        assert any(a <= start + 0.05 and b >= end - 0.05 for a, b in motion_segments), (start, end)
    assert flags.motion.sum() * flags.block_s < 1.0 * len(sim.motion) + 1  # flagged time stays tight
    result = dsp.analyze(sim.signal, FS)
    for b in result.bursts:
        assert not any(s - 0.1 < b.onset_s < e + 0.1 for s, e in sim.motion)


def test_flat_segment_is_flagged_and_left_out() -> None:
    sim = simulate_emg(60, FS, seed=6)
    x = sim.signal.copy()
    x[20_000:25_000] = x[20_000]  # electrode off for 5 s
    flags = dsp.quality_flags(x, FS)
    assert flags.seconds()["flat_s"] == pytest.approx(5.0, abs=0.2)
    result = dsp.analyze(x, FS)
    assert all(not (20.0 < b.onset_s < 25.0) for b in result.bursts)


def test_clipping_is_flagged() -> None:
    sim = simulate_emg(30, FS, seed=8)
    x = np.clip(sim.signal, -150.0, 150.0)
    flags = dsp.quality_flags(x, FS)
    assert flags.clipped.any()
    unclipped = dsp.quality_flags(sim.signal, FS)
    assert not unclipped.clipped.any()


def test_bridging_keeps_a_weak_burst_in_one_piece() -> None:
    env_fs = 100.0
    env = np.full(600, 3.0)
    env[100:160] = 30.0
    env[160:170] = 3.0  # 100 ms dip inside one burst
    env[170:260] = 30.0
    base = dsp.Baseline(3.0, 0.3, "test")
    bridged = dsp.detect_bursts_env(env, env_fs, base, dsp.BurstParams(bridge_s=0.2))
    split = dsp.detect_bursts_env(env, env_fs, base, dsp.BurstParams(bridge_s=0.05))
    assert len(bridged) == 1 and len(split) == 2


def test_relaxation_score_sees_tone_fall() -> None:
    env_fs = 100.0
    env = np.linspace(10.0, 4.0, 6000)
    valid = np.ones(env.size, dtype=bool)
    score = dsp.relaxation_score(env, env_fs, valid, target_uv=6.0)
    assert score.change_pct < -40
    assert score.time_below_target_s == pytest.approx(20.0, abs=0.2)


def test_envelope_rms_of_a_sine() -> None:
    t = np.arange(0, 2, 1 / FS)
    x = 10 * np.sin(2 * np.pi * 123.4 * t)
    env = dsp.envelope(x, FS)
    assert np.allclose(env[10:-10], 10 / np.sqrt(2), rtol=2e-2)
    mav = dsp.envelope(x, FS, kind="mav")
    assert np.allclose(mav[10:-10], 20 / np.pi, rtol=2e-2)


@pytest.mark.parametrize(
    ("fs", "message"),
    [(None, "missing"), (0, "positive"), (50, "too low"), ("abc", "not a number"), (float("nan"), "positive")],
)
def test_bad_sample_rate_is_a_clear_error(fs: object, message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        dsp.analyze(np.zeros(5000), fs)  # type: ignore[arg-type]


def test_nans_flat_and_short_signals_are_clear_errors() -> None:
    x = simulate_emg(10, FS, seed=1).signal
    x[123] = np.nan
    with pytest.raises(UserInputError, match="NaN"):
        dsp.analyze(x, FS)
    with pytest.raises(UserInputError, match="flat line"):
        dsp.analyze(np.full(5000, 7.0), FS)
    with pytest.raises(UserInputError, match="at least 1 s"):
        dsp.analyze(np.ones(100), FS)


def test_check_signal_names_every_nan_and_infinity_and_accepts_huge_finite_samples() -> None:
    x = np.zeros(20)
    x[[3, 7]] = [np.inf, np.nan]
    with pytest.raises(UserInputError, match=r"2 sample\(s\) are NaN or infinite \(first at sample 3\)"):
        dsp.check_signal(x, field_name="chunk")
    x = np.full(4, -np.inf)
    with pytest.raises(UserInputError, match="4 sample"):
        dsp.check_signal(x)
    # Finite samples whose sum overflows to infinity are still finite samples.
    huge = np.full(4, 1e308)
    assert np.array_equal(dsp.check_signal(huge), huge)


def test_250hz_still_works_but_band_is_narrower() -> None:
    sim = simulate_emg(120, 250.0, seed=3)
    result = dsp.analyze(sim.signal, 250.0)
    assert result.clean.high_hz == 112.5
    f1, _, _ = onset_f1([b.onset_s for b in result.bursts], sim.onsets)
    assert f1 >= 0.8


def test_onset_of_a_stepped_rise_is_on_the_step_in_any_window() -> None:
    """The timing envelope reaches the burst's level only after a weaker first step (a burst that begins
    weak): the onset is where the activity begins — the first step, found as the change point of the
    power — the same whether the search window starts early (offline) or just before the run (live),
    never the window's start or far outside it."""
    env_fs = 100.0
    base = dsp.Baseline(3.0, 0.3, "given")
    env = np.full(400, 3.0)
    env[100:200] = 60.0
    fine = np.full(400, 3.0)
    fine[100] = 3.05  # rises a hair at the run start …
    fine[101:111] = 20.0  # … a weak first step …
    fine[111:200] = 100.0  # … then the activity at its own level
    whole = dsp.detect_bursts_env(env, env_fs, base, fine=fine)
    window = dsp.detect_bursts_env(env[65:260], env_fs, base, fine=fine[65:260], t0_s=0.65)
    late = dsp.detect_bursts_env(env[95:260], env_fs, base, fine=fine[95:260], t0_s=0.95)
    assert len(whole) == len(window) == len(late) == 1
    assert 1.00 <= whole[0].onset_s <= 1.01
    assert window[0].onset_s == pytest.approx(whole[0].onset_s, abs=1e-9)
    assert late[0].onset_s == pytest.approx(whole[0].onset_s, abs=1e-9)


def test_psd_equals_scipy_welch_with_median_averaging() -> None:
    from scipy import signal as sps

    rng = np.random.default_rng(5)
    # 59, 59, 57, 60 and 1 segments: odd and even counts for the median
    for fs, n in ((1000.0, 60000), (250.0, 15000), (512.0, 30001), (1000.0, 61000), (1000.0, 1999)):
        x = rng.normal(size=n).cumsum() * 0.01 + rng.normal(size=n)
        freqs, pxx = dsp.welch_psd(x, fs)
        ref_f, ref_p = sps.welch(x, fs=fs, nperseg=min(n, round(2 * fs)), detrend="constant", average="median")
        assert np.allclose(freqs, ref_f) and np.allclose(pxx, ref_p, rtol=1e-9, atol=0)


def test_envelopes_from_one_running_sum_equal_separate_envelopes() -> None:
    y = np.random.default_rng(6).normal(size=25_000) * 5.0
    long, short = dsp.envelopes(y, FS, (0.1, 0.025), start=3000)
    assert np.allclose(long, dsp.envelope(y, FS, window_s=0.1, start=3000), rtol=1e-9)
    assert np.allclose(short, dsp.envelope(y, FS, window_s=0.025, start=3000), rtol=1e-9)


def test_filtfilt_sos_equals_scipy_sosfiltfilt() -> None:
    from scipy import signal as sps

    x = np.random.default_rng(7).normal(size=5000).cumsum()
    for sos in (dsp.bandpass_sos(FS), dsp.bandpass_sos(250.0), dsp.notch_sos(FS, [50.0, 150.0])):
        assert np.allclose(dsp.filtfilt_sos(sos, x), sps.sosfiltfilt(sos, x), rtol=0, atol=1e-9 * np.abs(x).max())


@pytest.mark.parametrize("fs", [100.0, 250.0, 512.0, 1000.0, 2000.0])
def test_envelope_points_are_the_rms_of_their_windows(fs: float) -> None:
    y = np.random.default_rng(8).normal(size=int(7.3 * fs)) * 4.0
    h = dsp.hop_samples(fs, 0.01)
    for window_s in (0.1, 0.025):
        w = max(1, round(window_s * fs))
        for centered in (True, False):
            env = dsp.envelope(y, fs, window_s=window_s, centered=centered, start=40 * h)
            want = []
            for c in range(0, y.size, h):
                lo = min(max(c - w // 2, 0), y.size) if centered else max(c + 1 - w, 0)
                hi = min(lo + w, y.size) if centered else c + 1
                want.append(np.sqrt(np.mean(y[lo:hi] ** 2)))
            assert np.allclose(env, want, rtol=1e-12, atol=0)


@given(flags=st.lists(st.booleans(), max_size=80), q=st.integers(min_value=0, max_value=6))
def test_last_quiet_end_is_the_last_point_that_ends_a_long_enough_quiet_run(flags: list[bool], q: int) -> None:
    from unclench.emg.dsp.bursts import _last_quiet_end

    below = np.array(flags, dtype=bool)
    if q <= 1 or len(flags) < q:
        wanted = [i for i, f in enumerate(flags) if f]
    else:  # the rule spelled out: the q points ending at i are all quiet
        wanted = [i for i in range(q - 1, len(flags)) if all(flags[i - q + 1 : i + 1])]
    assert _last_quiet_end(below, q) == (wanted[-1] if wanted else None)
