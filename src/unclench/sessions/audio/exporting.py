"""Writing the mix to files: WAV with libsndfile, OGG/Opus with FFmpeg through PyAV, MP3 with LAME (all loaded lazily)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from unclench.sessions.audio._chunked import FloatArray

EXPORT_FORMATS: Final = ("wav", "ogg", "mp3")


@dataclass(frozen=True)
class Encoding:
    """How a compressed format is made with FFmpeg (through PyAV): container, codec, bit rate per layout."""

    container: str
    codec: str
    bit_rate: dict[int, int]  # channels → bits per second
    options: dict[str, str]


# Encoded at the mix rate (24 kHz): the mix holds nothing above 12 kHz, so a higher rate would only
# cost encoder time. Opus takes 24 kHz natively (players decode at 48 kHz); MP3 at 24 kHz is MPEG-2
# layer III, which every MP3 decoder plays, and 64 kb/s mono is the usual rate for spoken word.
# Opus at complexity 3, not 5: a quarter less encoder time (0.15 vs 0.20 CPU-s per minute of audio on
# the machine of the time) for 1 dB less waveform SNR (24.1 vs 25.1 dB on a voice-and-rain test signal)
# at the same size; below 3 the encoder also leaves bits unused.
ENCODINGS: Final[dict[str, Encoding]] = {
    "ogg": Encoding("ogg", "libopus", {1: 64_000, 2: 96_000}, {"application": "audio", "compression_level": "3"}),
}
# MP3 is made by LAME through lameenc, not through PyAV: the LAME built into PyAV's wheel took 3.5 times the
# CPU for the same output (0.47 vs 0.13 CPU-s per minute of mono audio at -q 7; the same waveform SNR, 18.9 dB,
# and the same size). Constant bit rate, so players know the length and seek from the file size alone.
MP3_KBPS: Final[dict[int, int]] = {1: 64, 2: 128}  # channels → kilobits per second
MP3_QUALITY: Final = 7  # LAME's -q: 7 is its fast end; -q 2 took 3.6 times the CPU for no audible gain in speech
ENCODE_FRAME: Final = 1 << 16  # samples handed to the encoder at a time (copied; the mix is not)


def export(x: FloatArray, rate: int, path: Path, fmt: str) -> Path:
    """Write WAV (16-bit PCM, libsndfile), OGG/Opus (FFmpeg's libopus via PyAV) or MP3 (LAME via lameenc).

    Written to a ``.part`` file and renamed, so a reader never sees half a file.

    Parameters
    ----------
    x : numpy.ndarray
        float32 samples in [-1, 1], shape (n,) or (n, 2).
    rate : int
        Sample rate in Hz.
    path : pathlib.Path
        Where the file goes.
    fmt : str
        One of ``EXPORT_FORMATS``: 'wav', 'ogg' or 'mp3'.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(24_000) / 24_000)).astype(np.float32)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = export(tone, 24_000, Path(folder) / "tone.wav", "wav")
    ...     print(written.name, written.stat().st_size, sorted(p.name for p in Path(folder).iterdir()))
    tone.wav 48044 ['tone.wav']
    """
    tmp = path.with_suffix(path.suffix + ".part")
    if fmt == "wav":
        import soundfile

        soundfile.write(str(tmp), x, rate, format="WAV", subtype="PCM_16")
    elif fmt == "mp3":
        encode_mp3(x, rate, tmp)
    else:
        encode(x, rate, tmp, ENCODINGS[fmt])
    tmp.replace(path)
    return path


def encode(x: FloatArray, rate: int, path: Path, encoding: Encoding) -> None:
    """Encode float32 samples with FFmpeg (PyAV), chunk by chunk; FFmpeg works without holding the GIL.

    Parameters
    ----------
    x : numpy.ndarray
        float32 samples in [-1, 1], shape (n,) or (n, 2).
    rate : int
        Sample rate in Hz; the codec must take it (Opus: 8, 12, 16, 24 or 48 kHz).
    path : pathlib.Path
        Where the file goes (written directly; ``export`` adds the rename).
    encoding : Encoding
        Container, codec, bit rate and options, e.g. ``ENCODINGS["ogg"]``.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(24_000) / 24_000)).astype(np.float32)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     encode(tone, 24_000, Path(folder) / "tone.ogg", ENCODINGS["ogg"])
    ...     (Path(folder) / "tone.ogg").read_bytes()[:4]
    b'OggS'
    """
    import av

    channels = 1 if x.ndim == 1 else x.shape[1]
    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(path), "w", format=encoding.container) as container:
        stream = container.add_stream(encoding.codec, rate=rate, layout=layout)
        assert isinstance(stream, av.AudioStream)
        stream.bit_rate = encoding.bit_rate[channels]
        stream.options = dict(encoding.options)
        for start in range(0, x.shape[0], ENCODE_FRAME):
            # Packed float32 ("flt"), one row of interleaved samples; PyAV converts to what the codec takes.
            part = np.ascontiguousarray(x[start : start + ENCODE_FRAME], dtype=np.float32).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(part, format="flt", layout=layout)
            frame.rate = rate
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def encode_mp3(x: FloatArray, rate: int, path: Path) -> None:
    """Encode float32 samples as constant-bit-rate MP3 with LAME (lameenc), chunk by chunk, without holding the GIL.

    The file holds MPEG audio frames only (no ID3 or Xing tag): a decoder plays LAME's start-up delay, 1,105
    samples (46 ms at 24 kHz) of near-silence, before the first sample; the session fades in from silence anyway.

    Parameters
    ----------
    x : numpy.ndarray
        float32 samples in [-1, 1], shape (n,) or (n, 2); clipped to that range.
    rate : int
        Sample rate in Hz; one LAME takes (e.g. 16, 22.05, 24, 32, 44.1 or 48 kHz).
    path : pathlib.Path
        Where the file goes (written directly; ``export`` adds the rename).

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(24_000) / 24_000)).astype(np.float32)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     encode_mp3(tone, 24_000, Path(folder) / "tone.mp3")
    ...     header = (Path(folder) / "tone.mp3").read_bytes()[:2]
    >>> header[0] == 0xFF and header[1] >> 5 == 0b111  # an MPEG audio frame's sync word
    True
    """
    import lameenc

    channels = 1 if x.ndim == 1 else x.shape[1]
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(MP3_KBPS[channels])
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(channels)
    encoder.set_quality(MP3_QUALITY)
    pcm = np.empty(ENCODE_FRAME * channels, dtype=np.float32)
    with path.open("wb") as out:
        for start in range(0, x.shape[0], ENCODE_FRAME):
            # Interleaved 16-bit samples, as the WAV holds them; one frame's worth of scratch space at a time.
            part = pcm[: min(ENCODE_FRAME, x.shape[0] - start) * channels]
            np.multiply(x[start : start + ENCODE_FRAME].reshape(-1), 32767.0, out=part)
            np.clip(part, -32768.0, 32767.0, out=part)
            out.write(encoder.encode(np.rint(part).astype(np.int16).tobytes()))
        out.write(encoder.flush())
