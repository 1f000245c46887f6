"""Audio building blocks: backgrounds, loudness (checked against pyloudnorm), true peak, exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile

from unclench.sessions import audio

RATE = audio.MIX_RATE


@pytest.mark.parametrize("kind", ["pink", "brown", "rain", "ocean"])
def test_backgrounds_are_seeded_finite_and_sound_different(kind: str) -> None:
    n = RATE * 20
    first = audio.background(kind, n, RATE, seed=1)
    assert first is not None
    assert np.array_equal(first, audio.background(kind, n, RATE, seed=1))
    assert np.isfinite(first).all()
    assert float(np.sqrt(np.mean(first**2))) == pytest.approx(1.0, rel=0.01)
    spectrum = np.abs(np.fft.rfft(first[: RATE * 4])) ** 2
    freqs = np.fft.rfftfreq(RATE * 4, 1 / RATE)
    low = spectrum[(freqs > 50) & (freqs < 500)].mean()
    high = spectrum[(freqs > 2000) & (freqs < 8000)].mean()
    if kind in ("pink", "brown", "ocean"):
        assert low > high * 5  # darker than white noise
    else:
        assert high > low  # rain is a hiss


def test_ocean_swells_slowly() -> None:
    x = audio.background("ocean", RATE * 60, RATE, seed=2)
    assert x is not None
    env = np.sqrt(np.mean(x[: RATE * 60].reshape(-1, RATE // 2) ** 2, axis=1))  # 0.5 s frames
    assert env.max() / env.min() > 2.0


def test_binaural_beat_differs_between_ears_by_the_beat() -> None:
    tones = audio.binaural_beat(RATE * 2, RATE, 6.0)
    freqs = np.fft.rfftfreq(RATE * 2, 1 / RATE)
    left = freqs[np.argmax(np.abs(np.fft.rfft(tones[:, 0])))]
    right = freqs[np.argmax(np.abs(np.fft.rfft(tones[:, 1])))]
    assert right - left == pytest.approx(6.0, abs=0.6)


@pytest.mark.parametrize("channels", [1, 2])
def test_integrated_loudness_matches_pyloudnorm(channels: int) -> None:
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((RATE * 30, channels)) * 0.1).astype(np.float32)
    x[: RATE * 10] *= 0.01  # a quiet stretch exercises the gating
    mine = audio.integrated_loudness(x if channels == 2 else x[:, 0], RATE)
    reference = pyloudnorm.Meter(RATE).integrated_loudness(x)
    assert mine == pytest.approx(reference, abs=0.05)


def test_normalise_reaches_target_with_true_peak_under_ceiling() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(RATE * 30) / RATE
    # speech-like: bursts with high crest factor
    x = (np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 0.7 * t) > 0.3) + 0.05 * rng.standard_normal(t.size)).astype(
        np.float32
    )
    x[::997] = 1.0
    y, lufs, peak = audio.normalise(x * np.float32(0.05), RATE)
    assert lufs == pytest.approx(-16.0, abs=0.3)
    assert pyloudnorm.Meter(RATE).integrated_loudness(y) == pytest.approx(-16.0, abs=0.3)
    assert peak <= -1.0
    assert audio.true_peak_dbtp(y, RATE) <= -1.0
    assert np.abs(y).max() < 1.0


@pytest.mark.parametrize("fmt", ["wav", "ogg", "mp3"])
def test_export_formats_read_back(tmp_path: Path, fmt: str) -> None:
    t = np.arange(RATE * 3) / RATE
    x = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    path = audio.export(x, RATE, tmp_path / f"tone.{fmt}", fmt)
    data, rate = soundfile.read(str(path), dtype="float32")
    assert rate in (RATE, 48_000)
    assert abs(data.shape[0] / rate - 3.0) < 0.15
    assert np.sqrt(np.mean(data**2)) == pytest.approx(0.3 / np.sqrt(2), rel=0.15)


def test_normalise_reaches_target_even_when_peaks_need_heavy_limiting() -> None:
    """Sparse loud clicks over quiet noise: the gain search must limit them, not give up loudness."""
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(RATE * 60) * 0.01).astype(np.float32)
    x[:: RATE // 7] = 0.9  # clicks far above the noise: a 30 dB crest factor
    y, measured, peak = audio.normalise(x, RATE)
    assert measured == pytest.approx(-16.0, abs=0.1)
    assert pyloudnorm.Meter(RATE).integrated_loudness(y) == pytest.approx(-16.0, abs=0.1)
    assert peak <= -1.0 and audio.true_peak_dbtp(y, RATE) <= -1.0


def _signals() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    t = np.arange(RATE * 60) / RATE
    clicks = (rng.standard_normal(t.size) * 0.01).astype(np.float32)
    clicks[rng.integers(0, t.size, 200)] = 0.9
    bursts = 0.2 * np.sin(2 * np.pi * 997 * t) * (np.sin(2 * np.pi * 0.3 * t) > 0) + 0.01 * rng.standard_normal(t.size)
    # Far under the ceiling in one ear, with inter-sample peaks well above its samples (5 kHz at 24 kHz).
    quiet_stereo = np.stack([0.05 * rng.standard_normal(t.size), 0.3 * np.sin(2 * np.pi * 5000 * t + 0.3)], axis=1)
    return {"clicks": clicks, "bursts": bursts.astype(np.float32), "quiet_stereo": quiet_stereo.astype(np.float32)}


@pytest.mark.parametrize("name", ["clicks", "bursts", "quiet_stereo"])
def test_normalise_reports_what_a_fresh_measurement_finds(name: str) -> None:
    """The loudness and true peak normalise returns (from its parts) are those of the result measured afresh."""
    y, measured, peak = audio.normalise(_signals()[name].copy(), RATE)
    assert measured == pytest.approx(audio.integrated_loudness(y, RATE), abs=0.02)
    assert peak == pytest.approx(audio.true_peak_dbtp(y, RATE), abs=0.05)


def test_the_background_dips_just_before_the_voice_and_comes_back_after_it() -> None:
    """The duck is full as the phrase starts (the first word is never masked) and held a while after it ends."""
    rate = 24_000
    gate = audio.speech_gate([(1.0, 1.5)], 4 * rate, rate)

    def at(seconds: float) -> float:
        return float(gate[int(seconds * rate)])

    assert at(0.3) == 0.0  # well before: background at full level
    assert 0.0 < at(0.7) < 1.0  # dipping on the way in
    assert at(0.98) > 0.95 and at(1.25) == 1.0  # fully ducked as the voice starts and while it speaks
    assert at(1.8) > 0.95  # still held 0.3 s after the phrase
    assert 0.0 < at(2.3) < at(2.1)  # coming back
    assert at(2.8) == 0.0  # back to full level about a second later
