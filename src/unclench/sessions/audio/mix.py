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
    """Resample speech (polyphase, SciPy's ``resample_poly``) to the mix rate; as it is when the rates match.

    Parameters
    ----------
    audio : numpy.ndarray
        float32 mono samples, shape (n,).
    from_rate : int
        Its sample rate in Hz (Piper voices speak at 22 050 Hz).
    to_rate : int, optional
        Wanted sample rate in Hz (default ``MIX_RATE``, 24 000 Hz).

    Returns
    -------
    numpy.ndarray
        float32, about ``n * to_rate / from_rate`` samples.

    Examples
    --------
    >>> import numpy as np
    >>> resample_speech(np.zeros(22_050, dtype=np.float32), 22_050).shape
    (24000,)
    """
    if from_rate == to_rate:
        return audio
    g = math.gcd(from_rate, to_rate)
    return signal.resample_poly(audio, to_rate // g, from_rate // g).astype(np.float32)


def level_phrase(x: FloatArray, rate: int, *, rms_db: float = -20.0, peak_db: float = -9.0) -> FloatArray:
    """Even out one spoken phrase: voiced RMS to ``rms_db`` dBFS, true peaks limited to ``peak_db``.

    Piper normalises each sentence by its peak, so loudness wanders between sentences; levelling
    by RMS and taming the peaks here lets the whole mix reach −16 LUFS without heavy limiting.

    Parameters
    ----------
    x : numpy.ndarray
        float32 mono phrase, shape (n,); limited in place after the gain.
    rate : int
        Sample rate in Hz.
    rms_db : float, optional
        Wanted RMS of the voiced 20 ms frames (those above −45 dBFS), in dBFS (default −20).
    peak_db : float, optional
        True-peak ceiling in dBTP (default −9).

    Returns
    -------
    numpy.ndarray
        The levelled phrase, float32, shape (n,); ``x`` itself when it is empty or silent.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> t = np.arange(24_000) / 24_000
    >>> y = level_phrase((0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 24_000)
    >>> round(20 * math.log10(float(np.sqrt(np.mean(y**2)))), 1)  # RMS in dBFS
    -20.0
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
    """1.0 where the voice speaks, 0.0 elsewhere, smoothed: full from just before each phrase (≈0.3 s look-ahead)
    and held ≈0.8 s after it, with 0.5 s ramps.

    Parameters
    ----------
    speech_spans : sequence of (float, float)
        (start, end) of each phrase, in seconds from the start.
    n : int
        Length of the gate in samples.
    rate : int
        Sample rate in Hz.
    control_hz : int, optional
        Rate of the control curve in Hz before linear upsampling to ``rate`` (default 100).

    Returns
    -------
    numpy.ndarray
        float32, shape (n,), between 0 and 1.

    Examples
    --------
    >>> gate = speech_gate([(1.0, 1.5)], 4 * 24_000, 24_000)
    >>> [round(float(gate[int(s * 24_000)]), 2) for s in (0.0, 0.98, 1.25, 1.8, 3.0)]  # before, at the start, during, held, after
    [0.0, 1.0, 1.0, 1.0, 0.0]
    """
    factor = max(1, rate // control_hz)
    per_second = rate / factor  # control points per second (= control_hz when it divides the rate)
    gate = np.zeros(-(-n // factor) + 1, dtype=np.float64)
    for start, end in speech_spans:
        gate[int(start * per_second) : math.ceil(end * per_second) + 1] = 1.0
    # Attack: start dipping a little before the voice; release: hold the duck a while after it. The running maximum
    # at point i spans i - hold … i + lookahead; scipy's positive origin moves the window towards earlier points.
    lookahead, hold = int(0.3 * per_second), int(0.8 * per_second)
    size = lookahead + hold + 1
    held = ndimage.maximum_filter1d(gate, size=size, origin=hold - size // 2)
    smooth = ndimage.uniform_filter1d(held, size=int(0.5 * per_second))
    return upsample_linear(smooth.astype(np.float32), factor, n)


def fade(x: FloatArray, rate: int, *, in_s: float, out_s: float) -> FloatArray:
    """Raised-cosine fade-in and fade-out, in place.

    Parameters
    ----------
    x : numpy.ndarray
        float32 signal, shape (n,) or (n, channels); changed in place.
    rate : int
        Sample rate in Hz.
    in_s, out_s : float
        Lengths of the fade-in and the fade-out in seconds (0 for none; cut to the signal's length).

    Returns
    -------
    numpy.ndarray
        ``x``, faded.

    Examples
    --------
    >>> import numpy as np
    >>> x = fade(np.ones(24_000, dtype=np.float32), 24_000, in_s=0.1, out_s=0.25)
    >>> float(x[0]), float(x[12_000]), float(x[-1])
    (0.0, 1.0, 0.0)
    """
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


def voiced_rms(speech: FloatArray) -> float:
    """RMS of the samples where the voice track is not silent (0.1 for a silent track): the mix's reference level.

    Examples
    --------
    >>> import numpy as np
    >>> round(voiced_rms(np.concatenate([np.zeros(100), np.full(100, 0.5)]).astype(np.float32)), 3)
    0.5
    """
    energy, count = 0.0, 0
    for start in range(0, speech.size, CHUNK):
        part = speech[start : start + CHUNK]
        voiced = part[np.abs(part) > 1e-4]
        energy += float(np.dot(voiced, voiced))
        count += voiced.size
    return math.sqrt(energy / count) if count else 0.1


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
    optional binaural beat; mono unless binaural.

    The background sits ``BACKGROUND_BELOW_SPEECH_DB`` (18 dB) under the voiced speech RMS and dips
    a further ``DUCK_DB`` (6 dB) while the voice speaks; the beat sits ``BINAURAL_BELOW_SPEECH_DB``
    (26 dB) under it.

    Parameters
    ----------
    speech : numpy.ndarray
        float32 mono voice track, shape (n,); mixed into in place.
    speech_spans : sequence of (float, float)
        (start, end) of each phrase in seconds, for the ducking.
    rate : int
        Sample rate in Hz.
    bed : numpy.ndarray or None
        Unit-RMS background, float32, shape (n,), or None for none.
    binaural_hz : float
        Beat frequency in Hz; 0 for no binaural beat (and a mono result).
    fade_out_s : float
        Length of the background's and the beat's fade-out at the end, in seconds.

    Returns
    -------
    numpy.ndarray
        float32, shape (n,), or (n, 2) with a binaural beat.

    Raises
    ------
    ValueError
        If ``bed`` and ``speech`` differ in length.

    Examples
    --------
    >>> import numpy as np
    >>> from unclench.sessions.audio.backgrounds import pink_noise
    >>> t = np.arange(24_000) / 24_000
    >>> voice = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    >>> bed = pink_noise(24_000, 24_000, np.random.default_rng(0))
    >>> mix_session(voice.copy(), [(0.0, 1.0)], 24_000, bed=bed, binaural_hz=0.0, fade_out_s=0.5).shape
    (24000,)
    >>> mix_session(voice.copy(), [(0.0, 1.0)], 24_000, bed=None, binaural_hz=6.0, fade_out_s=0.5).shape
    (24000, 2)
    """
    n = speech.size
    speech_rms = voiced_rms(speech)
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
