"""Render a session: compose → speak (cached) → fit → mix → loudness → files. No database import.

Artefacts are content-addressed: the folder name is the hash of the options (seed included),
the voice and the render version, so rendering the same settings again gives the same files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from unclench.core.errors import UserInputError
from unclench.sessions import adaptive, audio
from unclench.sessions.composer import Script, Speech, Timeline, compose, fit_timeline, fit_to_length
from unclench.sessions.options import BINAURAL_BEATS, SessionOptions, validate_options
from unclench.sessions.transcript import chapters_vtt, transcript_vtt
from unclench.sessions.voice import PhraseCache, get_engine, voice_info

RENDER_VERSION: Final = "2"  # 2: per-block wording streams, float32 backgrounds
MANIFEST: Final = "session.json"
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class RenderResult:
    key: str
    folder: Path
    duration_s: float
    loudness_lufs: float
    true_peak_dbtp: float
    channels: int
    timeline: Timeline
    files: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    reused: bool = False

    def manifest(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "duration_s": self.duration_s,
            "loudness_lufs": self.loudness_lufs,
            "true_peak_dbtp": self.true_peak_dbtp,
            "channels": self.channels,
            "files": {fmt: path.name for fmt, path in self.files.items()},
            "chapters": [{"title": c.title, "start": c.start, "end": c.end} for c in self.timeline.chapters],
            "segments": [
                {"start": s.start, "end": s.end, "kind": s.kind, "text": s.text, "chapter": s.chapter}
                for s in self.timeline.segments
            ],
            "timings": self.timings,
        }


def settings_key(options: SessionOptions) -> str:
    """Content hash of everything that decides the audio (the options used, after fitting them to the length)."""
    options = fit_to_length(options).options
    described = options.to_dict()
    if not described["adaptive"]:
        del described["adaptive"]  # a plain session keeps the key (and the files) it had before adaptive sessions
    if not described["cue_preferences"]:
        del described["cue_preferences"]  # no measured cues: the key (and the files) adaptive sessions had before
    material = {
        "render": RENDER_VERSION,
        "voice": voice_info(options.voice).fingerprint,
        "options": described,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def name_phrase_files(options: SessionOptions, cache_dir: Path) -> list[Path]:
    """The cached phrases of a session that speak the person's own name (every other phrase is everyone's cue)."""
    checked = validate_options(options)
    if not checked.name or not cache_dir.is_dir():
        return []
    cache, voice = PhraseCache(cache_dir), voice_info(checked.voice)
    texts = [text for text in compose(checked).texts() if checked.name in text]
    keys = {PhraseCache.key(text, voice, checked.length_scale, audio.MIX_RATE) for text in texts}
    return sorted(path for key in keys if (path := cache.path(key)).exists())


def _assemble_speech(
    script: Script, phrases: dict[str, np.ndarray], rate: int
) -> tuple[Timeline, np.ndarray, list[tuple[float, float]]]:
    seconds = {text: phrase.size / rate for text, phrase in phrases.items()}
    timeline = fit_timeline(script, seconds)
    n = round(timeline.duration * rate)
    track = np.zeros(n, dtype=np.float32)
    spans: list[tuple[float, float]] = []
    for segment in timeline.speech():
        phrase = phrases[segment.text]
        start = min(round(segment.start * rate), max(0, n - phrase.size))
        track[start : start + phrase.size] = phrase[: n - start]
        spans.append((segment.start, segment.end))
    return timeline, track, spans


def render_session(
    options: SessionOptions,
    artefact_root: Path,
    *,
    cache_dir: Path | None = None,
    formats: Sequence[str] = audio.EXPORT_FORMATS,
    progress: Progress | None = None,
    force: bool = False,
) -> RenderResult:
    """Render (or reuse) the session for these options under ``artefact_root/<key>/``."""

    unknown = [f for f in formats if f not in audio.EXPORT_FORMATS]
    if unknown:
        raise UserInputError.single("formats", f"Unknown format {unknown[0]!r}; use {', '.join(audio.EXPORT_FORMATS)}.")
    options = validate_options(options)
    key = settings_key(options)
    folder = artefact_root / key
    report = progress or (lambda _stage, _fraction: None)
    existing = load_result(folder)
    complete = existing is not None and "wav" in existing.files
    if complete and options.adaptive:
        complete = adaptive.load_graph(folder) is not None
    if existing is not None and complete and not force:
        # Rendered before: a format an older render did not make is encoded from its WAV.
        for fmt in formats:
            if fmt not in existing.files:
                report(f"encoding {fmt}", 0.5)
                existing.files[fmt] = export_format(folder, fmt)
        report("done", 1.0)
        return existing
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    report("composing", 0.0)
    rate = audio.MIX_RATE
    with ThreadPoolExecutor(max_workers=1) as side:
        # The background depends only on the length, which the timeline fills exactly, so it is generated while
        # the voice model loads (one core) and the voice speaks (NumPy and SciPy's filters release the GIL).
        planned = round(options.seconds * rate)
        bed_future = side.submit(audio.background, options.background, planned, rate, options.seed)
        script = compose(options)
        engine = get_engine(options.voice)
        lap("compose_and_load")
        cache = PhraseCache(cache_dir) if cache_dir else None
        texts = script.texts() + script.alternative_texts()  # an adaptive session's cues: same voice, same cache
        phrases = engine.render_phrases(
            texts,
            options.length_scale,
            cache,
            progress=lambda done, total: report("speaking", 0.02 + 0.78 * done / max(total, 1)),
            rate=rate,
        )
        lap("speech")
        timeline, track, spans = _assemble_speech(script, phrases, rate)
        voice = None
        if options.adaptive:
            voice = adaptive.cut_voice(script, timeline, phrases, rate, track.size)
        del phrases
        bed = bed_future.result()
    if bed is not None and bed.shape[0] != track.size:  # more speech than the length holds (rare)
        bed = audio.background(options.background, track.size, rate, options.seed)
    speech_rms = audio.voiced_rms(track)
    loop_source = adaptive.bed_loop(bed, rate) if voice is not None and bed is not None else None
    report("mixing", 0.82)
    fade_out_s = 20.0 if options.ending == "sleep" else 3.0
    mixed = audio.mix_session(
        track,
        spans,
        rate,
        bed=bed,
        binaural_hz=BINAURAL_BEATS[options.binaural],
        fade_out_s=fade_out_s,
    )
    del bed
    lap("mix")
    report("loudness", 0.88)
    mixed, loudness, peak, gain = audio.normalise_with_gain(mixed, rate)
    lap("loudness")
    # The files are written to a folder of their own and appear under the key in one rename, complete: a render
    # stopped midway (a killed worker) leaves no folder that looks finished, and of two renders one folder stays.
    building = _building_folder(artefact_root, key)
    report("encoding", 0.94)
    # Every format at once: FFmpeg's encoders and libsndfile run without the GIL, so OGG/Opus and MP3
    # (the slow ones, started first) use both cores while the WAV, the adaptive clips and WebVTT files are written.
    adaptive_job = None
    if voice is not None:
        adaptive_job = lambda: adaptive.write(  # noqa: E731
            building,
            voice,
            rate=rate,
            gain=gain,
            speech_rms=speech_rms,
            loop=loop_source,
            binaural=options.binaural,
            fade_out_s=fade_out_s,
        )
    written = _export_all(mixed, rate, building, formats, timings, also=adaptive_job)
    files = {fmt: folder / path.name for fmt, path in written.items()}
    (building / "transcript.vtt").write_text(transcript_vtt(timeline), encoding="utf-8")
    (building / "chapters.vtt").write_text(chapters_vtt(timeline), encoding="utf-8")
    lap("export")
    result = RenderResult(
        key=key,
        folder=folder,
        duration_s=mixed.shape[0] / rate,
        loudness_lufs=round(loudness, 2),
        true_peak_dbtp=round(peak, 2),
        channels=1 if mixed.ndim == 1 else mixed.shape[1],
        timeline=timeline,
        files=files,
        timings=timings,
    )
    manifest = {
        **result.manifest(),
        "options": options.to_dict(),
        "spoken_text": " ".join(item.text for item in script.items if isinstance(item, Speech)),
    }
    (building / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    if not _publish(building, folder, replace=force):
        result = load_result(folder) or result  # another render of the same settings finished first: theirs stays
    report("done", 1.0)
    return result


def _building_folder(artefact_root: Path, key: str) -> Path:
    """A fresh folder beside the key's to write a render into; those left by a stopped render of the key go.

    Only one render of a key runs at a time (the job queue's lock per settings hash, the local app's one job thread),
    so a leftover is never another render's live folder.
    """
    artefact_root.mkdir(parents=True, exist_ok=True)
    for leftover in artefact_root.glob(f".{key}.*.partial"):
        shutil.rmtree(leftover, ignore_errors=True)
    building = artefact_root / f".{key}.{uuid.uuid4().hex}.partial"
    building.mkdir()
    return building


def _publish(building: Path, folder: Path, *, replace: bool) -> bool:
    """Move a finished render to its key's folder in one rename; False when a finished one was there (kept)."""
    if folder.exists():
        if load_result(folder) is not None and not replace:
            shutil.rmtree(building, ignore_errors=True)
            return False
        # An older, unfinished folder (made before renders were published by rename), or a forced render: set aside.
        aside = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.old")
        os.rename(folder, aside)
        shutil.rmtree(aside, ignore_errors=True)
    os.rename(building, folder)
    return True


SLOWNESS: dict[str, int] = {"ogg": 2, "mp3": 1, "wav": 0}  # encode time order, measured in bench/bench_sessions.py


def _export_all(
    mixed: np.ndarray,
    rate: int,
    folder: Path,
    formats: Sequence[str],
    timings: dict[str, float],
    *,
    also: Callable[[], object] | None = None,
) -> dict[str, Path]:
    """Write every format concurrently; ``timings`` gets each one's seconds as ``encode_<fmt>``.

    ``also``: more writing to do meanwhile (an adaptive session's clips), timed as ``adaptive_files``.
    """

    def write(fmt: str) -> tuple[str, Path]:
        started, cpu = time.perf_counter(), time.thread_time()
        path = audio.export(mixed, rate, folder / f"session.{fmt}", fmt)
        # CPU seconds too: on a busy machine the wall time says more about the neighbours.
        timings[f"encode_{fmt}"] = round(time.perf_counter() - started, 3)
        timings[f"encode_{fmt}_cpu"] = round(time.thread_time() - cpu, 3)
        return fmt, path

    def write_also() -> None:
        started = time.perf_counter()
        if also is not None:
            also()
        timings["adaptive_files"] = round(time.perf_counter() - started, 3)

    # The slowest first (OGG/Opus, then MP3), one thread per core: the slowest keeps a core to itself while the
    # others follow one another on the rest, so the stage lasts about as long as the slowest encode alone.
    slow_first = sorted(formats, key=lambda fmt: SLOWNESS.get(fmt, 0), reverse=True)
    jobs = len(formats) + (also is not None)
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, os.cpu_count() or 1))) as pool:
        pending = [pool.submit(write, fmt) for fmt in slow_first]
        extra = pool.submit(write_also) if also is not None else None
        written = dict(future.result() for future in pending)
        if extra is not None:
            extra.result()
    return {fmt: written[fmt] for fmt in formats}


def export_format(folder: Path, fmt: str) -> Path:
    """A format an older render did not make (e.g. MP3), encoded from its WAV on first request."""
    import soundfile

    if fmt not in audio.EXPORT_FORMATS:
        raise UserInputError.single("format", f"Unknown format {fmt!r}; use {', '.join(audio.EXPORT_FORMATS)}.")
    target = folder / f"session.{fmt}"
    # Two downloads at once must not both write the same file: the second waits for the first.
    with _folder_lock(folder):
        if target.exists():
            return target
        data, rate = soundfile.read(str(folder / "session.wav"), dtype="float32")
        audio.export(data, rate, target, fmt)
        manifest_path = folder / MANIFEST
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["files"][fmt] = target.name
        manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return target


_locks_guard = threading.Lock()
_folder_locks: dict[Path, threading.Lock] = {}


def _folder_lock(folder: Path) -> threading.Lock:
    with _locks_guard:
        return _folder_locks.setdefault(folder.resolve(), threading.Lock())


def load_result(folder: Path) -> RenderResult | None:
    """A finished render from its manifest, or None if there is none (or it is incomplete)."""
    from unclench.sessions.composer import Chapter, Segment

    path = folder / MANIFEST
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    files = {fmt: folder / name for fmt, name in data["files"].items() if (folder / name).exists()}
    segments = tuple(Segment(s["start"], s["end"], s["kind"], s["text"], s["chapter"]) for s in data["segments"])
    chapters = tuple(Chapter(c["title"], c["start"], c["end"]) for c in data["chapters"])
    return RenderResult(
        key=data["key"],
        folder=folder,
        duration_s=data["duration_s"],
        loudness_lufs=data["loudness_lufs"],
        true_peak_dbtp=data["true_peak_dbtp"],
        channels=data["channels"],
        timeline=Timeline(segments=segments, chapters=chapters, duration=data["duration_s"]),
        files=files,
        timings=data.get("timings", {}),
        reused=True,
    )
