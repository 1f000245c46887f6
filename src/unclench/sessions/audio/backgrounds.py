"""Generated backgrounds (pink, brown, rain and ocean noise) and the binaural beat, each at unit RMS."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import signal

from unclench.sessions.audio._chunked import CHUNK, FloatArray, upsample_linear


def _white(n: int, rng: np.random.Generator) -> FloatArray:
    return rng.standard_normal(n, dtype=np.float32)


def _sosfilt_chunked(sos: npt.NDArray[np.float64], x: FloatArray) -> FloatArray:
    """Filter ``x`` in place, in float32, chunk by chunk with carried state."""
    coeffs = np.asarray(sos, dtype=np.float32)
    zi = np.zeros((coeffs.shape[0], 2), dtype=np.float32)
    for start in range(0, x.size, CHUNK):
        stop = min(x.size, start + CHUNK)
        y, zi = signal.sosfilt(coeffs, x[start:stop], zi=zi)
        x[start:stop] = y
    return x


def _unit_rms(x: FloatArray) -> FloatArray:
    energy = sum(float(np.dot(x[i : i + CHUNK], x[i : i + CHUNK])) for i in range(0, x.size, CHUNK))
    rms = math.sqrt(energy / x.size) if x.size else 0.0
    if rms > 0:
        x *= np.float32(1.0 / rms)
    return x


def pink_noise(n: int, rate: int, rng: np.random.Generator) -> FloatArray:
    """1/f noise (Kellet's three-pole approximation, valid for audio rates), unit RMS.

    Parameters
    ----------
    n : int
        Length in samples.
    rate : int
        Sample rate in Hz; unused, the filter shape is close enough across 22-48 kHz.
    rng : numpy.random.Generator
        Source of the noise; the same seed gives the same samples.

    Returns
    -------
    numpy.ndarray
        float32, shape (n,), RMS 1.

    Examples
    --------
    >>> import numpy as np
    >>> x = pink_noise(24_000, 24_000, np.random.default_rng(0))
    >>> x.shape, x.dtype, round(float(np.sqrt(np.mean(x**2))), 3)
    ((24000,), dtype('float32'), 1.0)
    """
    del rate  # the filter shape is rate-independent enough across 22-48 kHz
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1.0, -2.494956002, 2.017265875, -0.522189400]
    return _unit_rms(_sosfilt_chunked(signal.tf2sos(b, a), _white(n, rng)))


def brown_noise(n: int, rate: int, rng: np.random.Generator) -> FloatArray:
    """1/f² (leaky-integrated) noise with the rumble below 20 Hz removed, unit RMS.

    Parameters
    ----------
    n : int
        Length in samples.
    rate : int
        Sample rate in Hz.
    rng : numpy.random.Generator
        Source of the noise; the same seed gives the same samples.

    Returns
    -------
    numpy.ndarray
        float32, shape (n,), RMS 1.

    Examples
    --------
    >>> import numpy as np
    >>> x = brown_noise(24_000, 24_000, np.random.default_rng(0))
    >>> x.shape, x.dtype, round(float(np.sqrt(np.mean(x**2))), 3)
    ((24000,), dtype('float32'), 1.0)
    """
    leaky = np.array([[1.0, 0.0, 0.0, 1.0, -0.997, 0.0]])
    sos = np.vstack([leaky, signal.butter(2, 20.0, "highpass", fs=rate, output="sos")])
    return _unit_rms(_sosfilt_chunked(sos, _white(n, rng)))


def _slow_envelope(n: int, rate: int, rng: np.random.Generator, *, period_s: float, depth: float) -> FloatArray:
    """A smooth random gain around 1 (± depth) changing over ``period_s`` seconds."""
    step = max(1, int(period_s * rate))
    knots = 1.0 + depth * rng.uniform(-1.0, 1.0, -(-n // step) + 1)
    return upsample_linear(knots.astype(np.float32), step, n)


def rain_noise(n: int, rate: int, rng: np.random.Generator) -> FloatArray:
    """Rain-like: a hiss band (500 Hz-6 kHz) that breathes slowly, plus soft random droplets.

    Parameters
    ----------
    n : int
        Length in samples.
    rate : int
        Sample rate in Hz.
    rng : numpy.random.Generator
        Source of the noise; the same seed gives the same samples.

    Returns
    -------
    numpy.ndarray
        float32, shape (n,), RMS 1.

    Examples
    --------
    >>> import numpy as np
    >>> x = rain_noise(24_000, 24_000, np.random.default_rng(0))
    >>> x.shape, x.dtype, round(float(np.sqrt(np.mean(x**2))), 3)
    ((24000,), dtype('float32'), 1.0)
    """
    hiss = _white(n, rng)
    band = signal.butter(2, [500.0, min(6000.0, rate * 0.45)], "bandpass", fs=rate, output="sos")
    hiss = _unit_rms(_sosfilt_chunked(band, hiss))
    hiss *= _slow_envelope(n, rate, rng, period_s=3.0, depth=0.25)
    drops = np.zeros(n, dtype=np.float32)
    count = int(n / rate * 30)  # about thirty droplets a second
    positions = rng.integers(0, n, count)
    drops[positions] = rng.uniform(0.5, 1.5, count).astype(np.float32)
    decay = math.exp(-1.0 / (0.004 * rate))
    droplets = _sosfilt_chunked(np.array([[1.0, 0.0, 0.0, 1.0, -decay, 0.0]]), drops)
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        droplets[start:stop] *= rng.standard_normal(stop - start, dtype=np.float32)
    high = signal.butter(2, 1500.0, "highpass", fs=rate, output="sos")
    droplets = _unit_rms(_sosfilt_chunked(high, droplets))
    droplets *= np.float32(0.5)
    hiss += droplets
    del droplets
    return _unit_rms(hiss)


def ocean_noise(n: int, rate: int, rng: np.random.Generator) -> FloatArray:
    """A slow swell: low-passed noise rising and falling every 8-12 s like waves on a shore.

    Parameters
    ----------
    n : int
        Length in samples.
    rate : int
        Sample rate in Hz.
    rng : numpy.random.Generator
        Source of the noise; the same seed gives the same samples.

    Returns
    -------
    numpy.ndarray
        float32, shape (n,), RMS 1.

    Examples
    --------
    >>> import numpy as np
    >>> x = ocean_noise(24_000, 24_000, np.random.default_rng(0))
    >>> x.shape, x.dtype, round(float(np.sqrt(np.mean(x**2))), 3)
    ((24000,), dtype('float32'), 1.0)
    """
    body = brown_noise(n, rate, rng)
    body *= np.float32(0.6)
    pink = pink_noise(n, rate, rng)
    pink *= np.float32(0.4)
    body += pink
    del pink
    low = signal.butter(2, 1800.0, "lowpass", fs=rate, output="sos")
    body = _sosfilt_chunked(low, body)
    # Wave envelope: each wave lasts a random 8-12 s, rising slowly and falling back.
    env = np.empty(n, dtype=np.float32)
    pos = 0
    while pos < n:
        length = int(rng.uniform(8.0, 12.0) * rate)
        phase = np.linspace(0.0, 1.0, length, endpoint=False, dtype=np.float32)
        wave = np.sin(np.pi * phase) ** 2 * rng.uniform(0.7, 1.0)
        stop = min(n, pos + length)
        env[pos:stop] = 0.25 + wave[: stop - pos]
        pos = stop
    body *= env
    del env
    return _unit_rms(body)


BACKGROUND_MAKERS = {"pink": pink_noise, "brown": brown_noise, "rain": rain_noise, "ocean": ocean_noise}


def background(kind: str, n: int, rate: int, seed: int) -> FloatArray | None:
    """A generated background of ``n`` samples at unit RMS, or None for 'none'.

    Parameters
    ----------
    kind : str
        'none' or a key of ``BACKGROUND_MAKERS``: 'pink', 'brown', 'rain', 'ocean'.
    n : int
        Length in samples.
    rate : int
        Sample rate in Hz.
    seed : int
        Seed of the noise; the same seed gives the same background.

    Returns
    -------
    numpy.ndarray or None
        float32, shape (n,), RMS 1; None for 'none'.

    Examples
    --------
    >>> import numpy as np
    >>> background("none", 24_000, 24_000, seed=1) is None
    True
    >>> np.array_equal(background("rain", 24_000, 24_000, seed=1), background("rain", 24_000, 24_000, seed=1))
    True
    """
    if kind == "none":
        return None
    return BACKGROUND_MAKERS[kind](n, rate, np.random.default_rng(seed))


def binaural_beat(n: int, rate: int, beat_hz: float, *, carrier_hz: float = 200.0) -> FloatArray:
    """Two sine tones ``beat_hz`` apart, one per ear (stereo, unit RMS per channel). Headphones only.

    Parameters
    ----------
    n : int
        Length in samples.
    rate : int
        Sample rate in Hz.
    beat_hz : float
        Difference between the right and the left tone, in Hz.
    carrier_hz : float, optional
        Frequency of the left tone, in Hz (default 200).

    Returns
    -------
    numpy.ndarray
        float32, shape (n, 2): left at ``carrier_hz``, right at ``carrier_hz + beat_hz``, RMS 1 each.

    Examples
    --------
    >>> import numpy as np
    >>> tones = binaural_beat(24_000, 24_000, 6.0)  # one second: FFT bins are 1 Hz apart
    >>> tones.shape, [int(np.argmax(np.abs(np.fft.rfft(tones[:, ear])))) for ear in (0, 1)]
    ((24000, 2), [200, 206])
    """
    out = np.empty((n, 2), dtype=np.float32)
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        t = np.arange(start, stop, dtype=np.float64) / rate
        out[start:stop, 0] = np.sin(2 * np.pi * carrier_hz * t) * math.sqrt(2)
        out[start:stop, 1] = np.sin(2 * np.pi * (carrier_hz + beat_hz) * t) * math.sqrt(2)
    return out
