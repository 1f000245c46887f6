"""Surface-EMG signal processing: array in, array out, sample rate always explicit.

The offline pipeline is four named steps, each a public function, each in its own module:

``clean`` (band-pass + detected mains notch + heartbeat removal; ``cleaning``, ``filters``, ``ecg``) →
``quality_flags`` (flat line, clipping, motion; ``quality``) → ``envelope`` (moving RMS, evaluated every
``hop_s``; ``amplitude``) → ``detect_bursts_env`` / ``resting_tone`` (``bursts``, ``tone``).
``analyze`` (``analysis``) composes them. Units: signals in µV, times in seconds, frequencies in Hz.

No database import here: this package is tested and benchmarked alone. Every public name is
re-exported here, so callers write ``from unclench.emg.dsp import analyze``.
"""

from __future__ import annotations

from unclench.emg.dsp._arrays import BoolArray, FloatArray
from unclench.emg.dsp.amplitude import block_mask_to_envelope, envelope, envelopes, hop_samples
from unclench.emg.dsp.analysis import AnalysisSettings, ChannelAnalysis, analyze, analyze_envelope
from unclench.emg.dsp.bursts import (
    BURST_KINDS,
    QUIET_PTS,
    Baseline,
    Burst,
    BurstKind,
    BurstParams,
    bridge,
    detect_bursts_env,
    hysteresis_runs,
    robust_baseline,
    split_runs,
)
from unclench.emg.dsp.cleaning import CleanSpec, apply_clean, apply_filters, clean, plan_clean
from unclench.emg.dsp.ecg import ECG_BPM_RANGE, EcgPlan, detect_ecg, remove_ecg
from unclench.emg.dsp.filters import (
    MAINS_CANDIDATES_HZ,
    MAINS_PROBE_S,
    CausalFilter,
    NotchMode,
    band_edges,
    bandpass_sos,
    detect_mains,
    filtfilt_sos,
    mains_peak_ratios,
    notch_frequencies,
    notch_sos,
    sos_zi,
    sosfilt_inplace,
    welch_psd,
)
from unclench.emg.dsp.quality import (
    BlockFeatures,
    QualityFlags,
    QualityParams,
    block_features,
    clip_levels,
    flags_from_features,
    motion_features,
    motion_reference_level,
    quality_flags,
)
from unclench.emg.dsp.session_tone import (
    ChapterSpan,
    ChapterTone,
    SessionTone,
    describe_chapter,
    enough_overlap,
    overlap_s,
    tone_by_chapter,
)
from unclench.emg.dsp.tone import RelaxationScore, quiet_mask, relaxation_score, resting_tone
from unclench.emg.dsp.validate import MIN_FS_HZ, RECOMMENDED_FS_HZ, check_fs, check_signal

__all__ = [
    "BURST_KINDS",
    "ECG_BPM_RANGE",
    "MAINS_CANDIDATES_HZ",
    "MAINS_PROBE_S",
    "MIN_FS_HZ",
    "QUIET_PTS",
    "RECOMMENDED_FS_HZ",
    "AnalysisSettings",
    "Baseline",
    "BlockFeatures",
    "BoolArray",
    "Burst",
    "BurstKind",
    "BurstParams",
    "CausalFilter",
    "ChannelAnalysis",
    "ChapterSpan",
    "ChapterTone",
    "CleanSpec",
    "EcgPlan",
    "FloatArray",
    "NotchMode",
    "QualityFlags",
    "QualityParams",
    "RelaxationScore",
    "SessionTone",
    "analyze",
    "analyze_envelope",
    "apply_clean",
    "apply_filters",
    "band_edges",
    "bandpass_sos",
    "block_features",
    "block_mask_to_envelope",
    "bridge",
    "check_fs",
    "check_signal",
    "clean",
    "clip_levels",
    "describe_chapter",
    "detect_bursts_env",
    "detect_ecg",
    "detect_mains",
    "enough_overlap",
    "envelope",
    "envelopes",
    "filtfilt_sos",
    "flags_from_features",
    "hop_samples",
    "hysteresis_runs",
    "mains_peak_ratios",
    "motion_features",
    "motion_reference_level",
    "notch_frequencies",
    "notch_sos",
    "overlap_s",
    "plan_clean",
    "quality_flags",
    "quiet_mask",
    "relaxation_score",
    "remove_ecg",
    "resting_tone",
    "robust_baseline",
    "sos_zi",
    "sosfilt_inplace",
    "split_runs",
    "tone_by_chapter",
    "welch_psd",
]
