"""The adaptive tone layer on signals with known ground truth: baseline, rule, hysteresis and dwell, gating, level."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from tests.emg.adaptive_signals import FS, emg_like, steps, tense_then_released_uv
from unclench.emg.adaptive import AdaptiveSettings, ToneFrame, replay

FAST = AdaptiveSettings(baseline_s=20.0)


def states(frames: list[ToneFrame], t0: float, t1: float) -> set[str]:
    return {f.state for f in frames if t0 <= f.t < t1}


def changes(frames: list[ToneFrame], t0: float) -> int:
    seq = [f.state for f in frames if f.t >= t0]
    return sum(a != b for a, b in itertools.pairwise(seq))


def test_the_baseline_is_the_first_minutes_rest_and_ignores_bursts() -> None:
    rms = steps([(60.0, 5.0), (20.0, 15.0)])
    # six strong bursts (80 µV, 0.4 s) inside the first minute: a mean would rise, the clean-window median not
    for onset in (12.0, 20.0, 28.0, 36.0, 44.0, 52.0):
        rms[round(onset * FS) : round((onset + 0.4) * FS)] = 80.0
    x = emg_like(rms, seed=3)
    tracker, frames = replay(x, FS, calibration_s=10.0)
    assert tracker.baseline_uv is not None and abs(tracker.baseline_uv - 5.0) / 5.0 < 0.06
    assert tracker.baseline_source == "first minute"
    assert not any(f.baseline_ready for f in frames if f.t < 59.9)  # not before the minute is over
    assert all(f.state == "unknown" and f.ratio is None and f.level == 0.5 for f in frames if f.t < 59.9)
    assert all(f.quality == "good" for f in frames if f.t < 10.0)  # calibrating is not a bad signal
    late = [f for f in frames if f.t > 65.0]
    assert all(f.baseline_ready for f in late) and abs(np.median([f.ratio for f in late]) - 3.0) < 0.3


def test_a_baseline_from_earlier_recordings_is_ready_at_once() -> None:
    x = emg_like(steps([(30.0, 12.5)]), seed=4)
    tracker, frames = replay(x, FS, calibration_s=5.0, baseline_uv=5.0)
    assert tracker.baseline_source == "earlier recordings"
    assert states(frames, 8.0, 30.0) == {"tense"}
    assert abs(np.median([f.ratio for f in frames if f.t > 8.0]) - 2.5) < 0.25


def test_tense_then_released_when_the_tone_drops() -> None:
    x = tense_then_released_uv(rest_s=20.0, tense_s=30.0, released_s=30.0)
    _, frames = replay(x, FS, calibration_s=5.0, settings=FAST)
    assert states(frames, 0.0, 20.0) == {"unknown"}
    assert states(frames, 23.0, 50.0) == {"tense"}
    assert states(frames, 53.5, 80.0) == {"released"}
    switch = next(f.t for f in frames if f.t > 50.0 and f.state == "released")
    assert 50.0 < switch < 53.0  # 1-s tone window + 1.5-s dwell
    assert all(f.quality == "good" for f in frames if f.t > 6.0)


def hovering(seed: int = 5) -> npt.NDArray[np.float64]:
    """Rest (5 µV) for the baseline, then tone wobbling ±12 % around 1.3× rest, every 0.7 s, for 60 s."""
    rng = np.random.default_rng(seed)
    wobble = np.repeat(1.3 * (1 + 0.12 * rng.choice([-1.0, 1.0], 86)), round(0.7 * FS))[: round(60 * FS)]
    return emg_like(np.r_[np.full(round(20 * FS), 5.0), 5.0 * wobble], seed=seed)


def test_a_tone_hovering_at_the_threshold_does_not_flap() -> None:
    _, frames = replay(hovering(), FS, calibration_s=5.0, settings=FAST)
    assert changes(frames, 21.0) <= 1


def test_without_hysteresis_and_dwell_the_same_signal_flaps() -> None:
    """The control for the test above: one threshold and no dwell make the state follow every wobble."""
    bare = AdaptiveSettings(baseline_s=20.0, enter_tense=1.3, leave_tense=1.3, dwell_s=0.0)
    _, frames = replay(hovering(), FS, calibration_s=5.0, settings=bare)
    assert changes(frames, 21.0) >= 6


def bad_stretch(frames: list[ToneFrame], t0: float, t1: float) -> tuple[set[str], set[str]]:
    inside = [f for f in frames if t0 + 0.2 <= f.t < t1]
    return {f.state for f in inside}, {f.quality for f in inside}


def test_an_electrode_off_is_unknown_and_bad_then_recovers() -> None:
    x = tense_then_released_uv(rest_s=20.0, tense_s=30.0, released_s=10.0)
    x[round(30 * FS) : round(33 * FS)] = 0.0  # flat: the lead came off
    _, frames = replay(x, FS, calibration_s=5.0, settings=FAST)
    assert bad_stretch(frames, 30.0, 33.0) == ({"unknown"}, {"bad"})
    assert states(frames, 36.0, 50.0) == {"tense"}


def test_a_lead_off_that_leaves_only_amplifier_noise_is_bad() -> None:
    x = tense_then_released_uv(rest_s=20.0, tense_s=30.0, released_s=10.0)
    x[round(30 * FS) : round(33 * FS)] = emg_like(np.full(round(3 * FS), 0.3), seed=9, hum_uv=0.0)
    _, frames = replay(x, FS, calibration_s=5.0, settings=FAST)
    assert bad_stretch(frames, 30.3, 33.0) == ({"unknown"}, {"bad"})


def test_clipping_at_the_rails_is_unknown() -> None:
    x = tense_then_released_uv(rest_s=20.0, tense_s=30.0, released_s=10.0)
    part = slice(round(30 * FS), round(33 * FS))
    x[part] = np.clip(x[part] * 8.0, -40.0, 40.0)  # the amplifier saturates
    _, frames = replay(x, FS, calibration_s=5.0, settings=FAST)
    assert bad_stretch(frames, 30.0, 33.0) == ({"unknown"}, {"bad"})
    assert states(frames, 36.0, 50.0) == {"tense"}


def test_motion_is_unknown() -> None:
    x = tense_then_released_uv(rest_s=20.0, tense_s=30.0, released_s=10.0)
    t = np.arange(round(3 * FS)) / FS
    x[round(30 * FS) : round(33 * FS)] += 400.0 * np.sin(2 * np.pi * 6.0 * t)  # the cable swings at 6 Hz
    _, frames = replay(x, FS, calibration_s=5.0, settings=FAST)
    state, quality = bad_stretch(frames, 30.3, 33.0)
    assert state == {"unknown"} and quality == {"bad"}


def test_the_level_rises_fast_and_falls_smoothly() -> None:
    x = tense_then_released_uv(rest_s=20.0, tense_s=10.0, released_s=10.0)
    _, frames = replay(x, FS, calibration_s=5.0, settings=FAST)
    level = {round(f.t, 2): f.level for f in frames}
    assert all(0.0 <= v <= 1.0 for v in level.values())
    rise = next(f.t for f in frames if f.t > 20.0 and f.level > 0.8) - 20.0
    assert rise < 0.2  # tension is heard within a fifth of a second
    after = [f.level for f in frames if 30.0 <= f.t <= 31.0]
    assert after[0] > 0.8 and after[-1] < 0.6  # lets go within a second …
    steps_down = np.diff(after)
    assert steps_down.min() > -0.15  # … without a jump


def test_ratio_at_looks_back_over_good_frames_only() -> None:
    x = tense_then_released_uv(rest_s=20.0, tense_s=10.0, released_s=10.0)
    tracker, _ = replay(x, FS, calibration_s=5.0, settings=FAST)
    assert tracker.ratio_at(10.0) is None  # before the baseline
    tense, rest = tracker.ratio_at(28.0), tracker.ratio_at(39.0)
    assert tense is not None and rest is not None and abs(tense - 2.5) < 0.3 and abs(rest - 1.0) < 0.15
