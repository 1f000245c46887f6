"""Session audio, pure NumPy/SciPy: generated backgrounds, binaural beat, ducking mix, loudness, export.

Every function takes the sample rate ``rate`` in Hz explicitly; signals are float32 arrays in
[-1, 1], shape (n,) for mono or (n, 2) for stereo. Long signals are processed in chunks with
carried filter state so a 45-minute session stays well under the memory budget.

One idea per module: ``backgrounds`` (noise beds and the binaural beat), ``mix`` (speech
preparation and the ducking mix), ``loudness`` (BS.1770 loudness, true peak, limiter) and
``exporting`` (WAV, OGG/Opus, MP3). Their public names are re-exported here, so callers write
``audio.normalise(...)``.
"""

from unclench.sessions.audio._chunked import CHUNK, FloatArray
from unclench.sessions.audio.backgrounds import (
    BACKGROUND_MAKERS,
    background,
    binaural_beat,
    brown_noise,
    ocean_noise,
    pink_noise,
    rain_noise,
)
from unclench.sessions.audio.exporting import (
    ENCODE_FRAME,
    ENCODINGS,
    EXPORT_FORMATS,
    Encoding,
    encode,
    encode_mp3,
    export,
)
from unclench.sessions.audio.loudness import (
    CHANNEL_WEIGHTS,
    MAX_EXTRA_GAIN_DB,
    TARGET_LUFS,
    TRUE_PEAK_DBTP,
    integrated_loudness,
    k_weighted,
    limit,
    limiter_runs,
    normalise,
    normalise_with_gain,
    true_level,
    true_peak_dbtp,
)
from unclench.sessions.audio.mix import (
    BACKGROUND_BELOW_SPEECH_DB,
    BINAURAL_BELOW_SPEECH_DB,
    DUCK_DB,
    MIX_RATE,
    fade,
    level_phrase,
    mix_session,
    resample_speech,
    speech_gate,
    voiced_rms,
)

__all__ = [
    "BACKGROUND_BELOW_SPEECH_DB",
    "BACKGROUND_MAKERS",
    "BINAURAL_BELOW_SPEECH_DB",
    "CHANNEL_WEIGHTS",
    "CHUNK",
    "DUCK_DB",
    "ENCODE_FRAME",
    "ENCODINGS",
    "EXPORT_FORMATS",
    "MAX_EXTRA_GAIN_DB",
    "MIX_RATE",
    "TARGET_LUFS",
    "TRUE_PEAK_DBTP",
    "Encoding",
    "FloatArray",
    "background",
    "binaural_beat",
    "brown_noise",
    "encode",
    "encode_mp3",
    "export",
    "fade",
    "integrated_loudness",
    "k_weighted",
    "level_phrase",
    "limit",
    "limiter_runs",
    "mix_session",
    "normalise",
    "normalise_with_gain",
    "ocean_noise",
    "pink_noise",
    "rain_noise",
    "resample_speech",
    "speech_gate",
    "true_level",
    "true_peak_dbtp",
    "voiced_rms",
]
