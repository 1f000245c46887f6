"""Filter design and application: band-pass, mains detection and notches, zero-phase filtering."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal as sps

from unclench.core.errors import UserInputError
from unclench.emg.dsp._arrays import FloatArray
from unclench.emg.dsp.validate import check_fs

try:  # the compiled loop inside ``sosfilt``: it filters in place, without sosfilt's copies and argument checks
    from scipy.signal._sosfilt import _sosfilt as _scipy_sosfilt

    _SOSFILT_INPLACE: Callable[..., None] | None = _scipy_sosfilt["double"]
except (ImportError, KeyError, TypeError):  # another SciPy layout: the public function (same numbers, slower)
    _SOSFILT_INPLACE = None

MAINS_CANDIDATES_HZ = (50.0, 60.0)
MAINS_PROBE_S = 60.0  # mains hum is looked for in the first minute (whole-file and streamed alike)
NotchMode = Literal["causal", "zero_phase", "off"]


def band_edges(fs: float, low_hz: float = 20.0, high_hz: float = 450.0) -> tuple[float, float]:
    """The band-pass edges actually used: ``high_hz`` is limited to 0.45·fs (e.g. 112.5 Hz at 250 Hz).

    Parameters
    ----------
    fs : float
        Sample rate, Hz.
    low_hz, high_hz : float
        Requested lower and upper edges, Hz.

    Returns
    -------
    tuple of float
        (low, high) edges in Hz; a UserInputError when no usable band is left.

    Example
    -------
    >>> band_edges(250.0)
    (20.0, 112.5)
    """
    high = min(high_hz, 0.45 * fs)
    if low_hz <= 0 or high <= low_hz * 1.5:
        raise UserInputError.single("fs", f"a sample rate of {fs:g} Hz leaves no usable band above {low_hz:g} Hz")
    return low_hz, high


def bandpass_sos(fs: float, low_hz: float = 20.0, high_hz: float = 450.0, order: int = 4) -> FloatArray:
    """Butterworth band-pass as second-order sections (``order`` per edge), designed once per setting.

    Parameters
    ----------
    fs : float
        Sample rate, Hz.
    low_hz, high_hz : float
        Edges, Hz (see ``band_edges``).
    order : int
        Butterworth order per edge.

    Returns
    -------
    ndarray
        Second-order sections, shape (order, 6), writable.

    Example
    -------
    >>> bandpass_sos(1000.0).shape
    (4, 6)
    """
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
    """Steady-state initial conditions of a second-order-section cascade (read-only; see ``sosfilt_zi``).

    Parameters
    ----------
    sos : ndarray
        Second-order sections, shape (n, 6).

    Returns
    -------
    ndarray
        Initial conditions per unit input step, shape (n, 2).

    Example
    -------
    >>> sos_zi(bandpass_sos(1000.0)).shape
    (4, 2)
    """
    arr = np.ascontiguousarray(sos, dtype=np.float64)
    return _sos_zi(arr.tobytes(), arr.shape[0])


def welch_psd(x: FloatArray, fs: float) -> tuple[FloatArray, FloatArray]:
    """Welch PSD at 0.5 Hz resolution with median averaging: steady hum survives, bursts do not raise the floor.

    Equals ``scipy.signal.welch(x, fs, nperseg=2 s, detrend="constant", average="median")`` (tested), written
    out over a strided view of the segments: scipy's general version spends more on bookkeeping than on the
    FFTs for this one case.

    Parameters
    ----------
    x : ndarray
        Signal, µV.
    fs : float
        Sample rate, Hz.

    Returns
    -------
    tuple of ndarray
        (frequencies in Hz, power spectral density in µV²/Hz).

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> freqs, pxx = welch_psd(sim.signal, 1000.0)
    >>> float(freqs[1]), float(freqs[np.argmax(pxx * (freqs > 40))])
    (0.5, 50.0)
    """
    nper = int(min(x.size, round(fs * 2)))
    segs = sliding_window_view(x, nper)[:: nper - nper // 2]
    win = _hann(nper)
    spec = np.fft.rfft((segs - segs.mean(axis=1, keepdims=True)) * win, axis=1)
    power = spec.real * spec.real + spec.imag * spec.imag
    # the median of exponentially distributed periodogram values is biased low: scipy's correction
    half = 2.0 * np.arange(1.0, (segs.shape[0] - 1) // 2 + 1)
    bias = 1.0 + float(np.sum(1.0 / (half + 1.0) - 1.0 / half))
    # the median over segments by a sort along them: np.median's partition along the short axis cost as much
    # as the FFTs (same values, tested against scipy)
    ordered = np.sort(power, axis=0)
    m = ordered.shape[0]
    middle = ordered[m // 2] if m % 2 else 0.5 * (ordered[m // 2 - 1] + ordered[m // 2])
    pxx = middle / (fs * float(win @ win) * bias)
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
    """Power at each harmonic of ``mains_hz`` relative to the median power of its neighbourhood (Welch PSD).

    Parameters
    ----------
    x : array_like
        Signal, µV.
    fs : float
        Sample rate, Hz.
    mains_hz : float
        Mains fundamental, Hz (50 or 60).
    max_hz : float, optional
        Highest harmonic to look at, Hz (default: Nyquist).
    psd : tuple of ndarray, optional
        A ``welch_psd`` of ``x`` already computed.

    Returns
    -------
    dict
        Harmonic frequency (Hz) → peak-to-neighbourhood power ratio.

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> ratios = mains_peak_ratios(sim.signal, 1000.0, 50.0, max_hz=100.0)
    >>> sorted(ratios), ratios[50.0] > 8
    ([50.0, 100.0], True)
    """
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

    Parameters
    ----------
    x : array_like
        Raw signal, µV.
    fs : float
        Sample rate, Hz.
    ratio : float
        How far (power ratio) the fundamental must stand above its neighbourhood.
    psd : tuple of ndarray, optional
        A ``welch_psd`` of the first 60 s already computed.

    Returns
    -------
    float or None
        The mains frequency in Hz, or None when no hum stands out.

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> detect_mains(sim.signal, 1000.0)
    50.0
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
    """The fundamental plus every harmonic inside the pass band that actually stands out (``ratio``× its floor).

    Parameters
    ----------
    x : array_like
        Raw signal, µV (the first 60 s are used).
    fs : float
        Sample rate, Hz.
    mains_hz : float
        Mains fundamental, Hz.
    high_hz : float
        Upper band-pass edge, Hz: harmonics above it are not notched.
    ratio : float
        Power ratio a harmonic must reach over its neighbourhood.
    psd : tuple of ndarray, optional
        A ``welch_psd`` already computed.

    Returns
    -------
    list of float
        Frequencies to notch, Hz.

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> notch_frequencies(sim.signal, 1000.0, 50.0)[0]
    50.0
    """
    arr = np.asarray(x, dtype=np.float64)[: int(MAINS_PROBE_S * fs)]
    top = min(high_hz, 0.45 * fs)
    ratios = mains_peak_ratios(arr, fs, mains_hz, max_hz=top, psd=psd)
    return [f for f, r in ratios.items() if f == mains_hz or r >= ratio]


def notch_sos(fs: float, freqs_hz: list[float], quality: float = 30.0) -> FloatArray:
    """IIR notches (one second-order section each) at ``freqs_hz``; quality Q = f0 / bandwidth.

    Parameters
    ----------
    fs : float
        Sample rate, Hz.
    freqs_hz : list of float
        Notch centres, Hz.
    quality : float
        Q of each notch (30: a 1.7 Hz wide notch at 50 Hz).

    Returns
    -------
    ndarray
        Second-order sections, shape (len(freqs_hz), 6).

    Example
    -------
    >>> notch_sos(1000.0, [50.0, 100.0]).shape
    (2, 6)
    """
    sections = []
    for f0 in freqs_hz:
        b, a = sps.iirnotch(f0, quality, fs=fs)
        sections.append(np.concatenate([b, a]))
    return np.asarray(sections, dtype=np.float64).reshape(-1, 6)


def sosfilt_inplace(sos: FloatArray, rows: FloatArray, zi: FloatArray) -> None:
    """``scipy.signal.sosfilt`` along the last axis of ``rows`` with state ``zi``, both updated in place.

    The same arithmetic as ``sosfilt`` (its compiled loop), without its copies of the signal and its
    per-call argument handling, which cost more than the filtering for a 20 ms live chunk.

    Parameters
    ----------
    sos : ndarray
        Second-order sections, shape (n, 6), float64.
    rows : ndarray
        Signals, shape (k, samples), C-contiguous float64; overwritten with the output.
    zi : ndarray
        Filter state, shape (k, n, 2), C-contiguous float64; overwritten with the final state.

    Example
    -------
    >>> from scipy import signal as sps
    >>> sos = bandpass_sos(1000.0)
    >>> x = np.random.default_rng(0).normal(size=(1, 500))
    >>> y, zf = sps.sosfilt(sos, x[0], zi=np.zeros((4, 2)))
    >>> zi = np.zeros((1, 4, 2))
    >>> sosfilt_inplace(sos, x, zi)
    >>> bool(np.array_equal(x[0], y) and np.array_equal(zi[0], zf))
    True
    """
    if _SOSFILT_INPLACE is not None:
        _SOSFILT_INPLACE(
            sos if sos.dtype == np.float64 and sos.flags.c_contiguous else np.ascontiguousarray(sos, np.float64),
            rows,
            zi,
        )
        return
    for r in range(rows.shape[0]):
        rows[r], zi[r] = sps.sosfilt(sos, rows[r], zi=zi[r])


class CausalFilter:
    """A causal second-order-section cascade that carries its state from one chunk to the next (live use).

    ``filter(chunk)`` equals ``scipy.signal.sosfilt(sos, chunk, zi=state)`` with the state carried on.

    Example
    -------
    >>> from scipy import signal as sps
    >>> sos = bandpass_sos(1000.0)
    >>> x = np.random.default_rng(0).normal(size=1000)
    >>> f = CausalFilter(sos)
    >>> y = np.concatenate([f.filter(x[:300]), f.filter(x[300:])])
    >>> bool(np.allclose(y, sps.sosfilt(sos, x), rtol=0, atol=1e-12))
    True
    """

    def __init__(self, sos: FloatArray, state: FloatArray | None = None) -> None:
        self.sos = np.ascontiguousarray(sos, dtype=np.float64)
        self._zi = np.zeros((1, self.sos.shape[0], 2))
        if state is not None:
            self.state = state

    @property
    def state(self) -> FloatArray:
        """The carried filter state, shape (sections, 2) (a copy)."""
        return self._zi[0].copy()

    @state.setter
    def state(self, value: FloatArray) -> None:
        self._zi[0] = value

    def filter(self, chunk: FloatArray) -> FloatArray:
        """The next chunk filtered (a new array); the state moves on."""
        rows = np.array(chunk, dtype=np.float64, ndmin=2, order="C", copy=True)
        sosfilt_inplace(self.sos, rows, self._zi)
        return rows[0]


def filtfilt_sos(sos: FloatArray, x: FloatArray, *, forward_extra: FloatArray | None = None) -> FloatArray:
    """``scipy.signal.sosfiltfilt(sos, x)`` (odd extension, default pad length) with cached initial conditions.

    ``forward_extra`` sections run in the forward pass only (a causal filter riding along in the same
    pass over the data). Two buffers in all, filtered in place: on a long signal, fresh memory costs
    as much as the filtering.

    Parameters
    ----------
    sos : ndarray
        Second-order sections run forward and backward (zero phase).
    x : ndarray
        Signal, µV.
    forward_extra : ndarray, optional
        Sections run in the forward pass only.

    Returns
    -------
    ndarray
        The filtered signal, µV, same length as ``x``.

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> y = filtfilt_sos(bandpass_sos(1000.0), sim.signal)
    >>> y.shape == sim.signal.shape, abs(float(y.mean())) < 0.1
    (True, True)
    """
    forward = sos if forward_extra is None else np.vstack([sos, forward_extra])
    # pad length as sosfiltfilt computes it for these sections
    taps = 2 * sos.shape[0] + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    n = x.size
    padlen = min(n - 1, 3 * taps)
    buf = np.empty((1, n + 2 * padlen))
    ext = buf[0]
    ext[padlen : padlen + n] = x
    ext[:padlen] = 2 * x[0] - x[padlen:0:-1]
    ext[padlen + n :] = 2 * x[-1] - x[-2 : -padlen - 2 : -1]
    sosfilt_inplace(forward, buf, (sos_zi(forward) * ext[0])[None])
    back = np.empty_like(buf)
    back[0] = ext[::-1]
    sosfilt_inplace(sos, back, (sos_zi(sos) * back[0, 0])[None])
    ext[:] = back[0, ::-1]
    return ext[padlen : padlen + n]
