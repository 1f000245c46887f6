"""Cleaning a raw channel: decide the filters once (``plan_clean``), then apply them (``apply_clean``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from unclench.core.errors import UserInputError
from unclench.emg.dsp._arrays import FloatArray
from unclench.emg.dsp.ecg import EcgPlan, detect_ecg, remove_ecg
from unclench.emg.dsp.filters import (
    MAINS_CANDIDATES_HZ,
    MAINS_PROBE_S,
    NotchMode,
    band_edges,
    bandpass_sos,
    detect_mains,
    filtfilt_sos,
    notch_frequencies,
    notch_sos,
    welch_psd,
)
from unclench.emg.dsp.validate import check_fs, check_signal


@dataclass(frozen=True)
class CleanSpec:
    """Everything ``clean`` decided, so a streamed or live run can apply exactly the same filters."""

    fs: float
    low_hz: float
    high_hz: float
    order: int
    mains_hz: float | None
    notch_hz: tuple[float, ...]
    notch_q: float
    notch_mode: NotchMode
    ecg: EcgPlan | None = None

    @property
    def ecg_bpm(self) -> float | None:
        """Heart rate (beats per minute) when heartbeats were found in the signal, else None."""
        return self.ecg.bpm if self.ecg is not None else None

    @property
    def bandpass(self) -> FloatArray:
        return bandpass_sos(self.fs, self.low_hz, self.high_hz, self.order)

    @property
    def notch(self) -> FloatArray:
        return notch_sos(self.fs, list(self.notch_hz), self.notch_q)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "ecg"}
        d["notch_hz"] = list(self.notch_hz)
        d["ecg_bpm"] = self.ecg_bpm
        d["ecg_removal"] = "template subtraction" if self.ecg is not None else None
        return d


def plan_clean(
    x: npt.ArrayLike,
    fs: float,
    *,
    low_hz: float = 20.0,
    high_hz: float = 450.0,
    order: int = 4,
    mains: float | Literal["auto"] | None = "auto",
    notch_q: float = 30.0,
    notch_mode: NotchMode = "causal",
    ecg: bool = True,
) -> CleanSpec:
    """Decide the cleaning filters for a signal: mains notch and heartbeat removal are decided from the
    first 60 s (MAINS_PROBE_S) only, so streamed and whole-file analysis decide alike.

    Parameters
    ----------
    x : array_like
        Raw signal, µV.
    fs : float
        Sample rate, Hz.
    low_hz, high_hz : float
        Band-pass edges, Hz (``high_hz`` limited to 0.45·fs).
    order : int
        Butterworth order per edge.
    mains : {50.0, 60.0, "auto", None}
        Mains frequency to notch, Hz; "auto" detects it, None notches nothing.
    notch_q : float
        Notch quality factor.
    notch_mode : {"causal", "zero_phase", "off"}
        How the notch is applied.
    ecg : bool
        Look for heartbeats to subtract.

    Returns
    -------
    CleanSpec
        Everything decided, to apply with ``apply_clean`` (also chunk by chunk).

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> spec = plan_clean(sim.signal, 1000.0)
    >>> spec.mains_hz, spec.notch_mode, spec.ecg_bpm
    (50.0, 'causal', None)
    """
    fs = check_fs(fs)
    low, high = band_edges(fs, low_hz, high_hz)
    mains_hz: float | None
    head = np.asarray(x, dtype=np.float64)[: int(MAINS_PROBE_S * fs)]
    psd = welch_psd(head, fs) if head.size >= 2 * fs else None
    if mains == "auto":
        mains_hz = detect_mains(head, fs, psd=psd)
    elif mains is None:
        mains_hz = None
    else:
        mains_hz = float(mains)
        if mains_hz not in MAINS_CANDIDATES_HZ:
            raise UserInputError.single("mains", f"mains must be 50 or 60 Hz (or 'auto'), got {mains!r}")
    notches: tuple[float, ...] = ()
    if mains_hz is not None and notch_mode != "off":
        notches = tuple(notch_frequencies(head, fs, mains_hz, high_hz=high, psd=psd) if psd is not None else [mains_hz])
    spec = CleanSpec(fs, low, high, order, mains_hz, notches, notch_q, notch_mode)
    if ecg and head.size >= 10 * fs:
        plan = detect_ecg(apply_clean(head, spec), fs)
        if plan is not None:
            spec = replace(spec, ecg=plan)
    return spec


def apply_clean(x: npt.ArrayLike, spec: CleanSpec) -> FloatArray:
    """Filter (see ``apply_filters``), then subtract heartbeats when the spec found them.

    Parameters
    ----------
    x : array_like
        Raw signal, µV, at ``spec.fs``.
    spec : CleanSpec
        From ``plan_clean``.

    Returns
    -------
    ndarray
        Cleaned signal, µV.

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> y = apply_clean(sim.signal, plan_clean(sim.signal, 1000.0))
    >>> y.size == sim.signal.size
    True
    """
    y = apply_filters(x, spec)
    return remove_ecg(y, spec.ecg) if spec.ecg is not None else y


def apply_filters(x: npt.ArrayLike, spec: CleanSpec) -> FloatArray:
    """Offline cleaning: zero-phase band-pass; the notch causal (default: it cannot smear onsets earlier) or zero-phase.

    The causal notch rides along in the band-pass's forward pass (one cascade, one pass over the
    data; linear filters commute, so this equals notching after the zero-phase band-pass up to the
    start-up transient). Edges are handled as in ``scipy.signal.sosfiltfilt`` (odd extension).

    Parameters
    ----------
    x : array_like
        Raw signal, µV, at ``spec.fs``.
    spec : CleanSpec
        From ``plan_clean``; its heartbeat plan is not applied here.

    Returns
    -------
    ndarray
        Band-passed and notched signal, µV.

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> y = apply_filters(sim.signal, plan_clean(sim.signal, 1000.0))
    >>> detect_mains(y, 1000.0) is None  # the hum is gone
    True
    """
    arr = np.asarray(x, dtype=np.float64)
    bp = spec.bandpass
    if not spec.notch_hz or spec.notch_mode == "off":
        return filtfilt_sos(bp, arr)
    if spec.notch_mode == "zero_phase":
        return filtfilt_sos(spec.notch, filtfilt_sos(bp, arr))
    return filtfilt_sos(bp, arr, forward_extra=spec.notch)


def clean(x: npt.ArrayLike, fs: float, **kwargs: Any) -> tuple[FloatArray, CleanSpec]:
    """Band-pass (default 20–450 Hz, limited by fs), notch the detected mains, subtract heartbeats.

    Parameters
    ----------
    x : array_like
        Raw signal, µV.
    fs : float
        Sample rate, Hz.
    **kwargs
        Options of ``plan_clean`` (``low_hz``, ``high_hz``, ``mains``, ``notch_mode``, ``ecg``, …).

    Returns
    -------
    tuple
        (cleaned signal in µV, the ``CleanSpec`` applied).

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> y, spec = clean(sim.signal, 1000)
    >>> spec.mains_hz
    50.0
    """
    arr = check_signal(x)
    spec = plan_clean(arr, fs, **kwargs)
    return apply_clean(arr, spec), spec
