"""Filter design and application: band-pass, mains detection and notches, zero-phase filtering."""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal as sps

from unclench.core.errors import UserInputError
from unclench.emg.dsp._arrays import FloatArray
from unclench.emg.dsp.validate import check_fs

MAINS_CANDIDATES_HZ = (50.0, 60.0)
MAINS_PROBE_S = 60.0  # mains hum is looked for in the first minute (whole-file and streamed alike)
NotchMode = Literal["causal", "zero_phase", "off"]


def band_edges(fs: float, low_hz: float = 20.0, high_hz: float = 450.0) -> tuple[float, float]:
    """The band-pass edges actually used: ``high_hz`` is limited to 0.45·fs (e.g. 112.5 Hz at 250 Hz)."""
    high = min(high_hz, 0.45 * fs)
    if low_hz <= 0 or high <= low_hz * 1.5:
        raise UserInputError.single("fs", f"a sample rate of {fs:g} Hz leaves no usable band above {low_hz:g} Hz")
    return low_hz, high


def bandpass_sos(fs: float, low_hz: float = 20.0, high_hz: float = 450.0, order: int = 4) -> FloatArray:
    """Butterworth band-pass as second-order sections (``order`` per edge), designed once per setting."""
    low, high = band_edges(fs, low_hz, high_hz)
    return _butter_sos(order, low, high, fs).copy()  # a copy: scipy's sosfilt wants writable sections


@functools.lru_cache(maxsize=64)
def _butter_sos(order: int, low_hz: float, high_hz: float, fs: float) -> FloatArray:
    """A Butterworth band-pass design, cached (designing one costs more than filtering a minute at 1 kHz)."""
    sos = np.asarray(sps.butter(order, [low_hz, high_hz], btype="bandpass", fs=fs, output="sos"), dtype=np.float64)
    sos.setflags(write=False)
    return sos


@functools.lru_cache(maxsize=64)
def _sos_zi(sos_bytes: bytes, sections: int) -> FloatArray:
    """``sosfilt_zi`` of a cascade given by its bytes, cached (the same few cascades are used again and again)."""
    zi = np.asarray(sps.sosfilt_zi(np.frombuffer(sos_bytes).reshape(sections, 6)), dtype=np.float64)
    zi.setflags(write=False)
    return zi


def sos_zi(sos: FloatArray) -> FloatArray:
    """Steady-state initial conditions of a second-order-section cascade (read-only; see ``sosfilt_zi``)."""
    arr = np.ascontiguousarray(sos, dtype=np.float64)
    return _sos_zi(arr.tobytes(), arr.shape[0])


def welch_psd(x: FloatArray, fs: float) -> tuple[FloatArray, FloatArray]:
    """Welch PSD at 0.5 Hz resolution with median averaging: steady hum survives, bursts do not raise the floor.

    Equals ``scipy.signal.welch(x, fs, nperseg=2 s, detrend="constant", average="median")`` (tested), written
    out over a strided view of the segments: scipy's general version spends more on bookkeeping than on the
    FFTs for this one case.
    """
    nper = int(min(x.size, round(fs * 2)))
    segs = sliding_window_view(x, nper)[:: nper - nper // 2]
    win = _hann(nper)
    spec = np.fft.rfft((segs - segs.mean(axis=1, keepdims=True)) * win, axis=1)
    power = spec.real * spec.real + spec.imag * spec.imag
    # the median of exponentially distributed periodogram values is biased low: scipy's correction
    half = 2.0 * np.arange(1.0, (segs.shape[0] - 1) // 2 + 1)
    bias = 1.0 + float(np.sum(1.0 / (half + 1.0) - 1.0 / half))
    pxx = np.median(power, axis=0) / (fs * float(win @ win) * bias)
    pxx[1 : None if nper % 2 else -1] *= 2.0  # one-sided: all but DC (and Nyquist) count twice
    return np.fft.rfftfreq(nper, 1.0 / fs).astype(np.float64), pxx


@functools.lru_cache(maxsize=16)
def _hann(n: int) -> FloatArray:
    win = np.asarray(sps.get_window("hann", n), dtype=np.float64)
    win.setflags(write=False)
    return win


def mains_peak_ratios(
    x: npt.ArrayLike,
    fs: float,
    mains_hz: float,
    max_hz: float | None = None,
    *,
    psd: tuple[FloatArray, FloatArray] | None = None,
) -> dict[float, float]:
    """Power at each harmonic of ``mains_hz`` relative to the median power of its neighbourhood (Welch PSD)."""
    freqs, pxx = psd if psd is not None else welch_psd(np.asarray(x, dtype=np.float64), fs)
    top = min(max_hz if max_hz is not None else fs / 2, fs / 2 - 2)
    ratios: dict[float, float] = {}
    k = 1
    while mains_hz * k <= top:
        f0 = mains_hz * k
        peak = float(pxx[np.abs(freqs - f0) <= 1.0].max())
        ring = (np.abs(freqs - f0) >= 3.0) & (np.abs(freqs - f0) <= 12.0)
        floor = float(np.median(pxx[ring])) if ring.any() else 0.0
        ratios[f0] = peak / floor if floor > 0 else (np.inf if peak > 0 else 0.0)
        k += 1
    return ratios


def detect_mains(
    x: npt.ArrayLike, fs: float, *, ratio: float = 8.0, psd: tuple[FloatArray, FloatArray] | None = None
) -> float | None:
    """Return 50.0 or 60.0 when that mains fundamental stands ``ratio``× above its spectral neighbourhood, else None.

    Uses at most the first 60 s (MAINS_PROBE_S) of ``x`` so that streamed and whole-file analysis decide alike.
    """
    fs = check_fs(fs)
    arr = np.asarray(x, dtype=np.float64)[: int(MAINS_PROBE_S * fs)]
    if arr.size < fs * 2:
        return None
    psd = psd if psd is not None else welch_psd(arr, fs)
    best: tuple[float, float] | None = None
    for f0 in MAINS_CANDIDATES_HZ:
        if f0 >= fs / 2 - 2:
            continue
        r = mains_peak_ratios(arr, fs, f0, max_hz=f0, psd=psd)[f0]
        if r >= ratio and (best is None or r > best[1]):
            best = (f0, r)
    return best[0] if best else None


def notch_frequencies(
    x: npt.ArrayLike,
    fs: float,
    mains_hz: float,
    *,
    high_hz: float = 450.0,
    ratio: float = 8.0,
    psd: tuple[FloatArray, FloatArray] | None = None,
) -> list[float]:
    """The fundamental plus every harmonic inside the pass band that actually stands out (``ratio``× its floor)."""
    arr = np.asarray(x, dtype=np.float64)[: int(MAINS_PROBE_S * fs)]
    top = min(high_hz, 0.45 * fs)
    ratios = mains_peak_ratios(arr, fs, mains_hz, max_hz=top, psd=psd)
    return [f for f, r in ratios.items() if f == mains_hz or r >= ratio]


def notch_sos(fs: float, freqs_hz: list[float], quality: float = 30.0) -> FloatArray:
    """IIR notches (one second-order section each) at ``freqs_hz``; quality Q = f0 / bandwidth."""
    sections = []
    for f0 in freqs_hz:
        b, a = sps.iirnotch(f0, quality, fs=fs)
        sections.append(np.concatenate([b, a]))
    return np.asarray(sections, dtype=np.float64).reshape(-1, 6)


def filtfilt_sos(sos: FloatArray, x: FloatArray, *, forward_extra: FloatArray | None = None) -> FloatArray:
    """``scipy.signal.sosfiltfilt(sos, x)`` (odd extension, default pad length) with cached initial conditions.

    ``forward_extra`` sections run in the forward pass only (a causal filter riding along in the same
    pass over the data).
    """
    forward = sos if forward_extra is None else np.vstack([sos, forward_extra])
    # pad length as sosfiltfilt computes it for these sections
    taps = 2 * sos.shape[0] + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    padlen = min(x.size - 1, 3 * taps)
    ext = np.concatenate([2 * x[0] - x[padlen:0:-1], x, 2 * x[-1] - x[-2 : -padlen - 2 : -1]])
    y, _ = sps.sosfilt(forward, ext, zi=sos_zi(forward) * ext[0])
    rev = y[::-1]
    z, _ = sps.sosfilt(sos, rev, zi=sos_zi(sos) * rev[0])
    return np.ascontiguousarray(z[::-1][padlen : padlen + x.size])
