"""Speech preparation (resampling, phrase levelling) and the ducking mix of voice, background and binaural beat."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np
from scipy import ndimage, signal

from unclench.sessions.audio._chunked import CHUNK, FloatArray, upsample_linear
from unclench.sessions.audio.backgrounds import binaural_beat
from unclench.sessions.audio.loudness import limit

MIX_RATE: Final = 24_000  # Hz; Opus needs 8/12/16/24/48 kHz, and speech is 22.05 kHz
BACKGROUND_BELOW_SPEECH_DB: Final = 18.0  # background RMS this far below speech RMS
DUCK_DB: Final = 6.0  # background dips this much while the voice speaks
BINAURAL_BELOW_SPEECH_DB: Final = 26.0


def resample_speech(audio: FloatArray, from_rate: int, to_rate: int = MIX_RATE) -> FloatArray:
    if from_rate == to_rate:
        return audio
    g = math.gcd(from_rate, to_rate)
    return signal.resample_poly(audio, to_rate // g, from_rate // g).astype(np.float32)


def level_phrase(x: FloatArray, rate: int, *, rms_db: float = -20.0, peak_db: float = -9.0) -> FloatArray:
    """Even out one spoken phrase: voiced RMS to ``rms_db`` dBFS, true peaks limited to ``peak_db``.

    Piper normalises each sentence by its peak, so loudness wanders between sentences; levelling
    by RMS and taming the peaks here lets the whole mix reach −16 LUFS without heavy limiting.
    """
    if x.size == 0:
        return x
    frame = max(1, rate // 50)
    usable = (x.size // frame) * frame
    frames = (
        np.sqrt(np.mean(np.square(x[:usable].reshape(-1, frame), dtype=np.float64), axis=1))
        if usable
        else np.array([0.0])
    )
    voiced = frames[frames > 10 ** (-45 / 20)]
    if voiced.size == 0:
        return x
    rms = float(np.sqrt(np.mean(np.square(voiced))))
    y = (x * np.float32(10 ** (rms_db / 20.0) / rms)).astype(np.float32)
    return limit(y, rate, ceiling_db=peak_db)


def speech_gate(speech_spans: Sequence[tuple[float, float]], n: int, rate: int, *, control_hz: int = 100) -> FloatArray:
    """1.0 where the voice speaks, 0.0 elsewhere, smoothed (≈0.3 s attack, 0.8 s release)."""
    factor = max(1, rate // control_hz)
    per_second = rate / factor  # control points per second (= control_hz when it divides the rate)
    gate = np.zeros(-(-n // factor) + 1, dtype=np.float64)
    for start, end in speech_spans:
        gate[int(start * per_second) : math.ceil(end * per_second) + 1] = 1.0
    # Release: hold the duck a little after speech; attack: start dipping a little before.
    held = ndimage.maximum_filter1d(gate, size=int(0.8 * per_second), origin=-int(0.3 * per_second))
    smooth = ndimage.uniform_filter1d(held, size=int(0.5 * per_second))
    return upsample_linear(smooth.astype(np.float32), factor, n)


def fade(x: FloatArray, rate: int, *, in_s: float, out_s: float) -> FloatArray:
    """Raised-cosine fade-in and fade-out, in place."""
    n = x.shape[0]
    for length, rising in ((int(in_s * rate), True), (int(out_s * rate), False)):
        length = min(length, n)
        if length <= 0:
            continue
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, length))).astype(np.float32)
        if not rising:
            ramp = ramp[::-1]
        target = x[:length] if rising else x[n - length :]
        target *= ramp if x.ndim == 1 else ramp[:, None]
    return x


def mix_session(
    speech: FloatArray,
    speech_spans: Sequence[tuple[float, float]],
    rate: int,
    *,
    bed: FloatArray | None,
    binaural_hz: float,
    fade_out_s: float,
) -> FloatArray:
    """Voice over ``bed`` (a unit-RMS ``background``, ducked under speech; changed in place) and an
    optional binaural beat; mono unless binaural."""
    n = speech.size
    energy, count = 0.0, 0
    for start in range(0, n, CHUNK):
        part = speech[start : start + CHUNK]
        voiced = part[np.abs(part) > 1e-4]
        energy += float(np.dot(voiced, voiced))
        count += voiced.size
    speech_rms = math.sqrt(energy / count) if count else 0.1
    out = speech  # mixed in place: the speech track is not needed afterwards
    if bed is not None:
        if bed.shape[0] != n:
            raise ValueError(f"background has {bed.shape[0]} samples, speech {n}")
        level = speech_rms * 10 ** (-BACKGROUND_BELOW_SPEECH_DB / 20.0)
        duck = speech_gate(speech_spans, n, rate)
        duck *= np.float32(1.0 - 10 ** (-DUCK_DB / 20.0))
        np.subtract(np.float32(1.0), duck, out=duck)
        bed *= duck
        bed *= np.float32(level)
        fade(bed, rate, in_s=4.0, out_s=fade_out_s)
        out += bed
        del bed, duck
    if binaural_hz > 0:
        tones = binaural_beat(n, rate, binaural_hz)
        tones *= np.float32(speech_rms * 10 ** (-BINAURAL_BELOW_SPEECH_DB / 20.0))
        fade(tones, rate, in_s=6.0, out_s=fade_out_s)
        tones += out[:, None]
        out = tones
    return fade(out, rate, in_s=0.05, out_s=min(fade_out_s, 1.0))
