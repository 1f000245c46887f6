"""The composed offline analysis of one channel: clean → flags → envelope → baseline → bursts → tone."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy.ndimage import maximum_filter1d

from unclench.core.errors import UserInputError
from unclench.emg.dsp._arrays import BoolArray, FloatArray
from unclench.emg.dsp.amplitude import block_mask_to_envelope, envelopes, hop_samples
from unclench.emg.dsp.bursts import (
    Baseline,
    Burst,
    BurstParams,
    detect_bursts_env,
    robust_baseline,
)
from unclench.emg.dsp.cleaning import CleanSpec, apply_filters, plan_clean
from unclench.emg.dsp.ecg import detect_ecg, remove_ecg
from unclench.emg.dsp.filters import (
    MAINS_PROBE_S,
    NotchMode,
)
from unclench.emg.dsp.quality import (
    QualityFlags,
    QualityParams,
    quality_flags,
)
from unclench.emg.dsp.tone import RelaxationScore, quiet_mask, relaxation_score, resting_tone
from unclench.emg.dsp.validate import check_fs, check_signal


@dataclass(frozen=True)
class AnalysisSettings:
    """Every setting of the offline analysis in one value; the defaults are the recommended method.

    Passed whole from the CLI and web through ``service.import_file`` / ``analyze_recording`` and
    ``stream.analyze_stream`` down to ``analyze_envelope``; change one with ``dataclasses.replace``.
    """

    bursts: BurstParams = field(default_factory=BurstParams)  # thresholds, timing and classes of bursts
    quality: QualityParams = field(default_factory=QualityParams)  # flat-line, clipping and motion flags
    window_s: float = 0.1  # RMS envelope window, seconds
    hop_s: float = 0.01  # envelope step, seconds (100 points per second)
    mains: float | Literal["auto"] | None = "auto"  # mains hum to notch: 50.0 or 60.0 Hz, detected, or none
    notch_mode: NotchMode = "causal"  # causal notch (cannot smear onsets earlier), zero-phase, or off
    low_hz: float = 20.0  # band-pass lower edge, Hz
    high_hz: float = 450.0  # band-pass upper edge, Hz (limited to 0.45·fs)
    calibration_s: tuple[float, float] | None = None  # (start, end) of a rest period for the baseline, seconds
    target_uv: float | None = None  # relaxation target, µV (time below it is reported)


@dataclass
class ChannelAnalysis:
    """Everything the offline analysis found for one channel, with the method and its parameters."""

    fs: float
    duration_s: float
    clean: CleanSpec
    baseline: Baseline
    bursts: list[Burst]
    resting_tone_uv: float
    quality: dict[str, float]
    env: FloatArray = field(repr=False)
    env_fs: float = 100.0
    fine_env: FloatArray | None = field(repr=False, default=None)  # the short envelope bursts are timed on
    valid: BoolArray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=bool))
    burst_params: BurstParams = field(default_factory=BurstParams)
    window_s: float = 0.1
    clipped_segments: list[tuple[float, float]] = field(default_factory=list)
    relaxation: RelaxationScore | None = None

    @property
    def burst_rate_per_min(self) -> float:
        valid_min = float(self.valid.sum()) / self.env_fs / 60.0 if self.valid.size else self.duration_s / 60
        return len(self.bursts) / valid_min if valid_min > 0 else float("nan")

    def method(self) -> dict[str, Any]:
        return {
            "clean": self.clean.to_dict(),
            "envelope": {"kind": "rms", "window_s": self.window_s, "hop_s": 1.0 / self.env_fs, "centered": True},
            "baseline": asdict(self.baseline),
            "thresholds_uv": dict(zip(("on", "off"), self.baseline.thresholds(self.burst_params), strict=True)),
            "bursts": self.burst_params.to_dict(),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "fs": self.fs,
            "duration_s": self.duration_s,
            "resting_tone_uv": self.resting_tone_uv,
            "burst_count": len(self.bursts),
            "burst_rate_per_min": self.burst_rate_per_min,
            "mains_hz": self.clean.mains_hz,
            **self.quality,
            "relaxation": self.relaxation.to_dict() if self.relaxation else None,
            "method": self.method(),
        }


def analyze_envelope(
    env: FloatArray,
    env_fs: float,
    *,
    fs: float,
    n_samples: int,
    spec: CleanSpec,
    flags: QualityFlags,
    settings: AnalysisSettings | None = None,
    fine_env: FloatArray | None = None,
) -> ChannelAnalysis:
    """Second half of the analysis, shared by the in-memory and the streamed paths.

    Parameters
    ----------
    env : ndarray
        Envelope (``settings.window_s`` RMS), µV.
    env_fs : float
        Envelope points per second, Hz.
    fs : float
        Sample rate of the raw signal, Hz.
    n_samples : int
        Length of the raw signal, samples.
    spec : CleanSpec
        The cleaning applied.
    flags : QualityFlags
        Per-block quality flags of the raw signal.
    settings : AnalysisSettings, optional
        Burst rules, calibration period, target (defaults: ``AnalysisSettings()``).
    fine_env : ndarray, optional
        Short-window envelope on the same points, µV (for timing).

    Returns
    -------
    ChannelAnalysis
        Baseline, bursts, resting tone, quality and relaxation score.

    Example
    -------
    >>> from unclench.emg.dsp import clean, envelope, quality_flags
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(20, 1000, seed=1)  # 20 s at 1 kHz, µV, 50 Hz hum
    >>> y, spec = clean(sim.signal, 1000)
    >>> flags = quality_flags(sim.signal, 1000.0, cleaned=y)
    >>> result = analyze_envelope(envelope(y, 1000.0), 100.0, fs=1000.0, n_samples=y.size, spec=spec, flags=flags)
    >>> abs(len(result.bursts) - len(sim.bursts)) <= 1
    True
    """
    s = settings or AnalysisSettings()
    p, calibration_s, window_s = s.bursts, s.calibration_s, s.window_s
    hop_s = 1.0 / env_fs
    valid = ~block_mask_to_envelope(flags.excluded, flags.block_s, env.size, hop_s)
    # an electrode coming off or back on makes the filters ring: 0.3 s either side of a flat line is left out
    flat = block_mask_to_envelope(flags.flat, flags.block_s, env.size, hop_s)
    if flat.any():
        pad = round(0.3 * env_fs)
        valid &= ~maximum_filter1d(flat.astype(np.uint8), size=2 * pad + 1).astype(bool)
    # the first and last 0.25 s hold the filters' start-up and a truncated window: not rest, not bursts
    edge = min(env.size // 4, round(0.25 * env_fs))
    valid[:edge] = False
    valid[env.size - edge :] = False
    clipped = block_mask_to_envelope(flags.clipped, flags.block_s, env.size, hop_s)
    if calibration_s is not None:
        i0, i1 = (round(t * env_fs) for t in calibration_s)
        cal = np.zeros(env.size, dtype=bool)
        cal[max(0, i0) : min(env.size, i1)] = True
        cal &= valid
        if cal.sum() < 10:
            raise UserInputError.single("calibration", "the calibration rest period has too little usable signal")
        base = robust_baseline(env, cal, quiet_percentile=50.0)
        base = Baseline(base.level_uv, base.spread_uv, "calibration rest")
    else:
        base = robust_baseline(env, valid, quiet_percentile=p.quiet_percentile)
    bursts = detect_bursts_env(env, env_fs, base, p, valid=valid, clipped=clipped, window_s=window_s, fine=fine_env)
    tone = resting_tone(env, valid, bursts, env_fs)
    quiet = quiet_mask(env.size, valid, bursts, env_fs)
    relax = relaxation_score(env, env_fs, quiet if quiet.any() else valid, target_uv=s.target_uv) if env.size else None
    return ChannelAnalysis(
        fs=fs,
        duration_s=n_samples / fs,
        clean=spec,
        baseline=base,
        bursts=bursts,
        resting_tone_uv=tone,
        quality=flags.seconds(),
        env=env,
        env_fs=env_fs,
        fine_env=fine_env,
        valid=valid,
        burst_params=p,
        window_s=window_s,
        clipped_segments=flags.segments("clipped"),
        relaxation=relax,
    )


def analyze(
    x: npt.ArrayLike,
    fs: float,
    settings: AnalysisSettings | None = None,
    *,
    clip_at: tuple[float | None, float | None] | None = None,
) -> ChannelAnalysis:
    """Offline analysis of one raw channel in µV: clean → flags → envelope → baseline → bursts → tone.

    Parameters
    ----------
    x : array_like
        Raw signal, µV; at least 1 s.
    fs : float
        Sample rate, Hz.
    settings : AnalysisSettings, optional
        Every setting of the analysis (defaults: ``AnalysisSettings()``).
    clip_at : tuple, optional
        (lower, upper) saturation levels, µV (e.g. from an EDF header); detected when None.

    Returns
    -------
    ChannelAnalysis
        Bursts, resting tone (µV), quality (s), relaxation score and the method with its parameters.

    Example
    -------
    >>> from unclench.emg.simulate import simulate_emg
    >>> sim = simulate_emg(60, 1000, seed=3)
    >>> result = analyze(sim.signal, 1000)
    >>> abs(len(result.bursts) - len(sim.bursts)) <= 1
    True
    >>> stricter = analyze(sim.signal, 1000, AnalysisSettings(bursts=BurstParams(k_on=30.0)))
    >>> stricter.baseline.thresholds(stricter.burst_params)[0] > result.baseline.thresholds(result.burst_params)[0]
    True
    """
    fs = check_fs(fs)
    raw = check_signal(x)
    if raw.size < fs:
        raise UserInputError.single("signal", f"the signal is only {raw.size / fs:.2f} s long; at least 1 s is needed")
    s = settings or AnalysisSettings()
    spec = plan_clean(raw, fs, low_hz=s.low_hz, high_hz=s.high_hz, mains=s.mains, notch_mode=s.notch_mode, ecg=False)
    y = apply_filters(raw, spec)
    heart = detect_ecg(y[: int(MAINS_PROBE_S * fs)], fs)  # the same head plan_clean would look at
    if heart is not None:
        spec = replace(spec, ecg=heart)
        y = remove_ecg(y, heart)
    flags = quality_flags(raw, fs, s.quality, clip_at=clip_at, cleaned=y)
    if flags.flat.all():
        raise UserInputError.single("signal", "the channel is a flat line (electrode off or disconnected)")
    env, fine = envelopes(y, fs, (s.window_s, s.bursts.fine_window_s), hop_s=s.hop_s)
    env_fs = fs / hop_samples(fs, s.hop_s)
    return analyze_envelope(
        env,
        env_fs,
        fs=fs,
        n_samples=raw.size,
        spec=spec,
        flags=flags,
        settings=s,
        fine_env=fine,
    )
