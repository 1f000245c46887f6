"""EMG services: import and analyse a file, keep it by content hash, list, tie channels to regions,
turn bursts into diary episodes. Keyword-only, one line of docstring each."""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from unclench.body.taxonomy import get_region, normalise_side, split_region_side
from unclench.core import clock
from unclench.core.db import get_live, get_or_raise, list_live
from unclench.core.errors import NotFoundError, UserInputError
from unclench.core.settings import get_settings
from unclench.emg.board_names import NOT_A_RECORDING_BOARDS
from unclench.emg.models import EmgBurst, EmgChannel, EmgRecording

# Reading and analysing signals loads SciPy and pandas: the functions that do it import them, so listing
# recordings (and starting the web app) does not.
if TYPE_CHECKING:
    from unclench.emg.adaptive import ToneTracker
    from unclench.emg.dsp import AnalysisSettings, ChannelAnalysis
    from unclench.emg.monitor import Monitor
    from unclench.emg.readers import Recording

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".edf": "edf", ".bdf": "bdf", ".rec": "edf"}


@dataclass(frozen=True)
class RegionChoice:
    region: str
    side: str | None = None


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB pieces."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def analyze_recording(
    rec: Recording, *, settings: AnalysisSettings | None = None, progress: Callable[[int, int], None] | None = None
) -> list[ChannelAnalysis]:
    """Streamed offline analysis of every channel of an opened recording; `progress(done, total)` per chunk."""
    from unclench.emg.stream import analyze_stream

    return analyze_stream(
        rec.read,
        rec.n_samples,
        rec.fs,
        channel_names=rec.channel_names,
        clip_at=rec.clip_at,
        settings=settings,
        progress=progress,
    )


def analysis_json(file_name: str, names: list[str], results: list[ChannelAnalysis]) -> dict[str, Any]:
    """The machine-readable result of an analysis (schema: emg/analysis.schema.json, docs/emg-json.md)."""
    return {
        "file": file_name,
        "duration_s": results[0].duration_s if results else 0.0,
        "channels": [
            {
                "name": name,
                "fs": r.fs,
                "resting_tone_uv": _finite(r.resting_tone_uv),
                "baseline_uv": _finite(r.baseline.level_uv),
                "burst_rate_per_min": _finite(r.burst_rate_per_min),
                "mains_hz": r.clean.mains_hz,
                "ecg_bpm": r.clean.ecg_bpm,
                "quality": {**r.quality, "ecg": r.clean.ecg_bpm is not None},
                "bursts": [
                    {**b.to_dict(), "peak_uv": _finite(b.peak_uv) or 0.0, "mean_uv": _finite(b.mean_uv) or 0.0}
                    for b in r.bursts
                ],
            }
            for name, r in zip(names, results, strict=True)
        ],
    }


def _check_regions(regions: dict[str, RegionChoice], names: list[str]) -> dict[str, tuple[str, str]]:
    out = {}
    for ch, choice in regions.items():
        if ch not in names:
            raise UserInputError.single("regions", f"no channel {ch!r}; the recording has {names}")
        region = get_region(choice.region, field="regions")
        out[ch] = (region.id, normalise_side(region, choice.side))
    return out


def import_file(
    db: Session,
    *,
    path: Path,
    original_name: str | None = None,
    fs: float | None = None,
    unit: str | None = None,
    channels: list[str] | None = None,
    regions: dict[str, RegionChoice] | None = None,
    listen_id: str | None = None,
    source: str = "file",
    settings: AnalysisSettings | None = None,
    extra_summary: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EmgRecording:
    """Read, analyse and store a recording; the same file imported again returns the stored one."""
    from unclench.emg.readers import open_recording

    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UserInputError.single("file", f"unsupported file type {path.suffix!r}: use CSV, EDF/EDF+ or BDF/BDF+")
    digest = file_sha256(path)
    existing = db.scalar(select(EmgRecording).where(EmgRecording.file_sha256 == digest))
    if existing is not None and existing.deleted_at is None:
        return existing
    if listen_id is not None:
        _check_listen(db, listen_id)
    with open_recording(path, fs=fs, unit=unit, channels=channels) as rec:
        chosen = _check_regions(regions or {}, rec.channel_names)
        # every error surfaces before anything is written
        results = analyze_recording(rec, settings=settings, progress=progress)
        start = rec.start
        names = list(rec.channel_names)
        meta = {"units": rec.units, "unit_source": rec.unit_source, "annotations": len(rec.annotations)}
        rec_fs, duration = rec.fs, rec.duration_s
    store = get_settings().artefact_dir("emg")
    file_name = f"{digest}.{fmt}"
    target = store / file_name
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=store, suffix=".part")
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    # EDF/BDF headers hold the local wall-clock start, with no zone: it is read in the person's zone.
    recorded_at = (
        clock.local_moment(start.date(), start.time()) if start is not None and start.year > 1985 else clock.now()
    )
    if existing is not None:  # was deleted: bring it back with fresh numbers
        db.delete(existing)
        db.flush()
    recording = EmgRecording(
        source=source[:16],
        original_name=(original_name or path.name)[:255],
        file_sha256=digest,
        file_name=file_name,
        file_format=fmt,
        recorded_at=recorded_at,
        fs=rec_fs,
        duration_s=duration,
        summary={**meta, "channels": [r.summary() for r in results], **(extra_summary or {})},
        listen_id=listen_id,
        notes="",
    )
    for i, (name, res) in enumerate(zip(names, results, strict=True)):
        region, side = chosen.get(name, (None, None))
        ch = EmgChannel(
            position=i,
            name=name[:64],
            region_id=region,
            side=side,
            resting_tone_uv=_finite(res.resting_tone_uv),
            baseline_uv=_finite(res.baseline.level_uv),
            burst_count=len(res.bursts),
            burst_rate_per_min=_finite(res.burst_rate_per_min),
            mains_hz=res.clean.mains_hz,
            flat_s=res.quality["flat_s"],
            clipped_s=res.quality["clipped_s"],
            motion_s=res.quality["motion_s"],
        )
        ch.bursts = [
            EmgBurst(
                onset_s=b.onset_s,
                offset_s=b.offset_s,
                peak_uv=b.peak_uv,
                mean_uv=b.mean_uv,
                clipped=b.clipped,
                kind=b.kind,
            )
            for b in res.bursts
        ]
        recording.channels.append(ch)
    db.add(recording)
    db.flush()
    if listen_id is not None and not source.startswith("live:"):  # a live stream filled its own decisions
        fill_decision_tones(db, recording_id=recording.id)
    return recording


MIN_LIVE_S = 2.0
NOT_SAVED_REASON = (
    "That was a demo (a recorded or made-up signal, not your muscles), so it was not saved and does not count in your"
    " insights or reports."
)


def save_live_recording(
    db: Session,
    monitor: Monitor,
    *,
    board: str,
    regions: dict[str, RegionChoice] | None = None,
    listen_id: str | None = None,
    bdf: bool = False,
) -> EmgRecording:
    """Store what a live session recorded (EDF+, or BDF+ with `bdf`, with its events and bursts annotated),
    named after the board and the person's local time, with the live summary."""
    from unclench.emg.dsp import AnalysisSettings  # NumPy and SciPy: only when something is saved

    if board.strip().lower() in NOT_A_RECORDING_BOARDS:
        raise UserInputError.single("board", NOT_SAVED_REASON)
    if monitor.raw().shape[1] < monitor.fs * MIN_LIVE_S:
        raise UserInputError.single("record", f"less than {MIN_LIVE_S:g} s were recorded; nothing saved")
    tmp = get_settings().artefact_dir("emg") / f"live-{uuid.uuid4().hex}.{'bdf' if bdf else 'edf'}"
    monitor.save(tmp, bdf=bdf)
    try:
        return import_file(
            db,
            path=tmp,
            original_name=f"live {board} {clock.local_now():%Y-%m-%d %H:%M}",
            regions=regions,
            listen_id=listen_id,
            source=f"live:{board}"[:16],
            settings=AnalysisSettings(target_uv=monitor.target_uv),
            extra_summary={"live": monitor.summary()},
        )
    finally:
        tmp.unlink(missing_ok=True)


def _finite(x: float) -> float | None:
    return None if x != x or x in (float("inf"), float("-inf")) else float(x)


def _check_listen(db: Session, listen_id: str) -> None:
    from unclench.sessions.service import get_listen

    try:
        get_listen(db, listen_id)
    except NotFoundError:
        raise UserInputError.single("listen", f"no session listen with id {listen_id}") from None


def get_recording(db: Session, *, recording_id: str) -> EmgRecording:
    """One recording (not deleted) or NotFoundError."""
    return get_live(db, EmgRecording, recording_id, "EMG recording")


def list_recordings(db: Session, *, limit: int = 100) -> list[EmgRecording]:
    """Recordings, newest first."""
    return list_live(db, EmgRecording, order_by=(EmgRecording.recorded_at.desc(),), limit=limit)


def recording_path(rec: EmgRecording) -> Path:
    """Where the recording's raw file is kept."""
    return get_settings().artefact_dir("emg") / rec.file_name


def set_channel_region(db: Session, *, channel_id: int, region: str, side: str | None = None) -> EmgChannel:
    """Tie a channel to a body region from the taxonomy."""
    ch = get_or_raise(db, EmgChannel, channel_id, "EMG channel")
    r = get_region(region, field="region")
    ch.region_id, ch.side = r.id, normalise_side(r, side)
    db.flush()
    return ch


def tie_to_listen(db: Session, *, recording_id: str, listen_id: str | None) -> EmgRecording:
    """Tie a recording to a session listen (or untie it with None)."""
    rec = get_recording(db, recording_id=recording_id)
    if listen_id is not None:
        _check_listen(db, listen_id)
    rec.listen_id = listen_id
    db.flush()
    if listen_id is not None:
        fill_decision_tones(db, recording_id=rec.id)
    return rec


def burst_to_episode(db: Session, *, burst_id: int, kind: str = "tension", intensity: int | None = None) -> Any:
    """Turn a detected burst into a diary episode in its channel's body region (idempotent)."""
    from unclench.diary import service as diary
    from unclench.diary.schemas import EpisodeIn

    burst = get_or_raise(db, EmgBurst, burst_id, "EMG burst")
    if burst.episode_id is not None:
        try:
            return diary.get_episode(db, burst.episode_id)
        except NotFoundError:  # the episode was deleted: make a new one
            pass
    ch = burst.channel
    if ch.region_id is None:
        raise UserInputError.single(
            "region", f"channel {ch.name} is not tied to a body region yet: choose one first (e.g. jaw)"
        )
    rec = ch.recording
    if intensity is None:
        ratio = burst.peak_uv / ch.baseline_uv if ch.baseline_uv else 1.0
        intensity = int(max(1, min(10, round(2 * ratio**0.5))))  # √ of peak/rest, 2·√4 = 4, 2·√25 = 10
    started = rec.recorded_at + timedelta(seconds=burst.onset_s)
    data = EpisodeIn(
        started_at=started.astimezone(UTC),
        timezone=clock.person_timezone_name(),
        duration_s=max(1, round(burst.offset_s - burst.onset_s)),
        kind=kind,
        intensity=intensity,
        regions=[{"region": ch.region_id, "side": ch.side}],
        notes=(
            f"From EMG recording {rec.original_name or rec.id} ({ch.name}): burst at {burst.onset_s:.1f} s, "
            f"{burst.offset_s - burst.onset_s:.1f} s long, peak {burst.peak_uv:.0f} µV (rest {ch.baseline_uv or 0:.1f} µV)."
        ),
    )
    episode = diary.create_episode(db, data)
    burst.episode_id = episode.id
    db.flush()
    return episode


def find_recording(db: Session, id_start: str) -> EmgRecording:
    """The recording whose id is or begins with `id_start` (`emg list` shows the first 8 characters)."""
    id_start = id_start.strip().lower()
    if len(id_start) < 4:
        raise UserInputError.single("id", "give at least the first 4 characters of the recording's id")
    matches = [r for r in list_recordings(db, limit=100_000) if r.id.startswith(id_start)]
    if not matches:
        raise NotFoundError(f"No EMG recording with id {id_start}.")
    if len(matches) > 1:
        raise UserInputError.single(
            "id", f"{len(matches)} recordings have an id beginning with {id_start}: give more of it"
        )
    return matches[0]


def delete_recording(db: Session, *, recording_id: str) -> EmgRecording:
    """Move a recording to the bin: it leaves the lists and insights; importing the same file again brings it back.

    The raw file stays in the data folder (content-addressed, so a re-import does not copy it twice).
    """
    rec = get_recording(db, recording_id=recording_id)
    rec.soft_delete()
    db.flush()
    return rec


def region_baseline_uv(db: Session, *, region: str, exclude_recording: str | None = None) -> float | None:
    """The person's resting tone (µV) in a region from earlier recordings: the median of their channels' resting
    tone there (the newest 20 recordings), or None when none was tied to that region."""
    region_id = get_region(split_region_side(region)[0]).id
    tones = [
        ch.resting_tone_uv
        for rec in list_recordings(db, limit=20)
        if rec.id != exclude_recording
        for ch in rec.channels
        if ch.region_id == region_id and ch.resting_tone_uv
    ]
    return float(statistics.median(tones)) if tones else None


def fill_decision_tones(db: Session, *, recording_id: str) -> int:
    """Fill the missing tone before/after of the tied listen's decisions from this recording; how many were filled.

    The recording is aligned by the listen's start (its time = the listen's start − the recording's start +
    seconds into the listen); each decision is read on the channel tied to its region (else the first), through
    the same tone layer as the live stream, with the region's earlier baseline or the recording's first minute.
    """
    from unclench.emg.readers import open_recording
    from unclench.sessions import decisions as decision_log
    from unclench.sessions.service import get_listen

    rec = get_recording(db, recording_id=recording_id)
    if rec.listen_id is None:
        return 0
    # a tone before is taken from the recording only when no live stream gave one (a live null means "bad signal")
    pending = [
        d
        for d in decision_log.list_decisions(db, rec.listen_id)
        if d.tone_after is None or (d.tone_before is None and d.stream_t is None)
    ]
    if not pending:
        return 0
    offset = (get_listen(db, rec.listen_id).started_at - rec.recorded_at).total_seconds()
    by_region = {ch.region_id: ch.position for ch in rec.channels if ch.region_id}
    filled = 0
    with open_recording(recording_path(rec)) as opened:
        for position in sorted({by_region.get(d.region, 0) for d in pending}):
            mine = [d for d in pending if by_region.get(d.region, 0) == position]
            until_s = offset + max(d.at_s for d in mine) + decision_log.TONE_AFTER_S + 1.0
            tracker = _replay_channel(
                opened, position, until_s, region_baseline_uv(db, region=mine[0].region, exclude_recording=rec.id)
            )
            for d in mine:
                at = offset + d.at_s
                if d.tone_before is None and d.stream_t is None:
                    d.tone_before = tracker.ratio_at(at)
                after = tracker.ratio_at(at + decision_log.TONE_AFTER_S)
                if d.tone_after is None and after is not None:
                    decision_log.set_tone_after(db, d.id, after, source="recording")
                    filled += 1
    db.flush()
    return filled


def _replay_channel(opened: Recording, position: int, until_s: float, baseline_uv: float | None) -> ToneTracker:
    """One channel of a recording through the live monitor and the tone layer up to ``until_s``, a minute at a time."""
    import numpy as np

    from unclench.emg.adaptive import ToneTracker
    from unclench.emg.monitor import Monitor

    monitor = Monitor(opened.fs, ["emg"], keep_raw=False)
    tracker = ToneTracker(opened.fs, baseline_uv=baseline_uv)
    stop = min(opened.n_samples, max(0, round(until_s * opened.fs)))
    step, piece = round(60 * opened.fs), max(1, round(0.5 * opened.fs))
    for start in range(0, stop, step):
        block = np.asarray(opened.read(start, min(stop, start + step))[position], dtype=np.float64)
        for i in range(0, block.size, piece):
            chunk = block[np.newaxis, i : i + piece]
            tracker.feed(monitor, chunk, monitor.feed(chunk))
    return tracker
