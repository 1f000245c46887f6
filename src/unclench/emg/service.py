"""EMG services: import and analyse a file, keep it by content hash, list, tie channels to regions,
turn bursts into diary episodes. Keyword-only, one line of docstring each."""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unclench.body.taxonomy import get_region, normalise_side, split_region_side
from unclench.core import clock
from unclench.core.db import among, get_live, get_or_raise, list_live
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


class Listen(Protocol):
    """What tying a recording reads from a session listen (sessions' own table stays sessions')."""

    id: str
    started_at: datetime
    heard_s: float
    session: Any


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


def find_by_sha256(db: Session, digest: str) -> EmgRecording | None:
    """The person's live recording of the file with this hash, if they stored it before."""
    found = db.scalar(select(EmgRecording).where(EmgRecording.file_sha256 == digest))
    return found if found is not None and found.deleted_at is None else None


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
    listen_offset_s: float | None = None,
    recorded_at: datetime | None = None,
    source: str = "file",
    settings: AnalysisSettings | None = None,
    extra_summary: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EmgRecording:
    """Read, analyse and store a recording; the same file imported again returns the stored one.

    With ``listen_id`` the recording is tied to that listen, aligned by ``listen_offset_s`` (seconds into the
    recording at which the session began) or else by the two start times; a recording that does not overlap the
    listen is refused before anything is written. ``recorded_at`` overrides the file's own start time.
    """
    from unclench.emg.readers import open_recording

    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UserInputError.single("file", f"unsupported file type {path.suffix!r}: use CSV, EDF/EDF+ or BDF/BDF+")
    digest = file_sha256(path)
    existing = db.scalar(select(EmgRecording).where(EmgRecording.file_sha256 == digest))
    if existing is not None and existing.deleted_at is None:
        return existing
    listen = _check_listen(db, listen_id) if listen_id is not None else None
    with open_recording(path, fs=fs, unit=unit, channels=channels) as rec:
        chosen = _check_regions(regions or {}, rec.channel_names)
        if recorded_at is None:
            recorded_at = start_time(rec.start)
        offset = None
        if listen is not None:
            offset = listen_alignment(listen, recorded_at, rec.duration_s, offset_s=listen_offset_s)
        # every error surfaces before anything is written
        results = analyze_recording(rec, settings=settings, progress=progress)
        names = list(rec.channel_names)
        meta = {"units": rec.units, "unit_source": rec.unit_source, "annotations": len(rec.annotations)}
        rec_fs, duration = rec.fs, rec.duration_s
    tone = None if listen is None or offset is None else _session_tone(db, listen.id, results, offset)
    store = get_settings().artefact_dir("emg")
    file_name = f"{digest}.{fmt}"
    target = store / file_name
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=store, suffix=".part")
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
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
        summary={
            **meta,
            "channels": [r.summary() for r in results],
            **(extra_summary or {}),
            **({"session_tone": tone} if tone is not None else {}),
        },
        listen_id=listen_id,
        listen_offset_s=offset,
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
    listen_offset_s: float | None = None,
) -> EmgRecording:
    """Store what a live session recorded (EDF+, or BDF+ with `bdf`, with its events and bursts annotated),
    named after the board and the person's local time, with the live summary.

    Tied to ``listen_id``, it is aligned by ``listen_offset_s`` (the signal time at which the session began, as
    the player marked it) or else by the listen's start against the recording's (now minus its length).
    """
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
            listen_offset_s=listen_offset_s,
            recorded_at=clock.now() - timedelta(seconds=monitor.elapsed_s),
            source=f"live:{board}"[:16],
            settings=AnalysisSettings(target_uv=monitor.target_uv),
            extra_summary={"live": monitor.summary()},
        )
    finally:
        tmp.unlink(missing_ok=True)


def _finite(x: float) -> float | None:
    return None if x != x or x in (float("inf"), float("-inf")) else float(x)


def start_time(header_start: datetime | None) -> datetime:
    """When a recording began: its header's start (the local wall clock where it was made, read in the person's
    zone, as EDF/BDF store it with no zone), or now for a file without one."""
    if header_start is not None and header_start.year > 1985:
        return clock.local_moment(header_start.date(), header_start.time())
    return clock.now()


def check_listen_overlap(
    db: Session, *, listen_id: str, header_start: datetime | None, duration_s: float, offset_s: float | None
) -> float:
    """Refuse an upload's listen before the upload is analysed: no such listen, or no overlap (see
    `listen_alignment`); the offset otherwise."""
    listen = _check_listen(db, listen_id)
    return listen_alignment(listen, start_time(header_start), duration_s, offset_s=offset_s)


def listen_choices(db: Session, *, limit: int = 30) -> list[tuple[str, str]]:
    """(listen id, "session title · when") for the person's recent listens, newest first (the forms' choices)."""
    from unclench.core.formatting import local_time
    from unclench.sessions.service import recent_listens

    return [(li.id, f"{li.session.title} · {local_time(li.started_at)}") for li in recent_listens(db, limit=limit)]


def _check_listen(db: Session, listen_id: str) -> Listen:
    from unclench.sessions.service import get_listen

    try:
        return get_listen(db, listen_id)
    except NotFoundError:
        raise UserInputError.single("listen", f"no session listen with id {listen_id}") from None


def listen_alignment(listen: Listen, recorded_at: datetime, duration_s: float, *, offset_s: float | None) -> float:
    """Seconds into the recording at which the listen's session began: ``offset_s`` when given, else the listen's
    start minus the recording's; refused (nothing written) when the recording covers too little of the session."""
    from unclench.core.formatting import local_time
    from unclench.emg.dsp.session_tone import MIN_OVERLAP_S, enough_overlap

    session_s = float(listen.session.duration_s or listen.heard_s or 0.0)
    offset = float(offset_s) if offset_s is not None else (listen.started_at - recorded_at).total_seconds()
    if offset != offset or abs(offset) > 7 * 86400:
        raise UserInputError.single("offset_s", "the offset must be a number of seconds within a week")
    # a session whose length is not known (never rendered) overlaps when it started within the recording
    covered = 0.0 <= offset <= duration_s if session_s <= 0 else enough_overlap(offset, duration_s, session_s)
    if not covered:
        rec_end = recorded_at + timedelta(seconds=duration_s)
        listen_end = listen.started_at + timedelta(seconds=session_s)
        how = (
            f"with the session starting {offset:g} s into the recording"
            if offset_s is not None
            else "by their start times"
        )
        raise UserInputError.single(
            "listen",
            f"This recording ({local_time(recorded_at)}–{local_time(rec_end, '%H:%M:%S')}) does not overlap that"
            f" listen ({local_time(listen.started_at)}–{local_time(listen_end, '%H:%M:%S')}) {how}: it must cover"
            f" at least {min(MIN_OVERLAP_S, 0.9 * session_s):.0f} s of the session. Choose the listen it was made"
            " during, or give the offset (seconds into the recording at which the session began) if the file's"
            " start time is not reliable.",
        )
    return offset


def _session_tone(db: Session, listen_id: str, results: list[ChannelAnalysis], offset_s: float) -> dict[str, Any]:
    """Per-chapter tone of every channel over the listen (stored in the recording's summary)."""
    from unclench.emg.dsp import ChapterSpan, tone_by_chapter
    from unclench.sessions.service import listen_chapters

    chapters = [ChapterSpan(c.title, c.kind, c.start_s, c.end_s) for c in listen_chapters(db, listen_id)]
    per_channel = [tone_by_chapter(r.env, r.env_fs, r.valid, r.bursts, chapters, offset_s=offset_s) for r in results]
    return {"listen_id": listen_id, "offset_s": offset_s, "channels": [t.to_dict() for t in per_channel]}


def session_offset_from_marks(marks: list[tuple[float, str]]) -> float | None:
    """The signal time at which the session's position 0 played, from the player's first "session at P" mark."""
    for onset_s, text in marks:
        if text.startswith(SESSION_MARK):
            try:
                position = float(text[len(SESSION_MARK) :])
            except ValueError:
                continue
            return onset_s - position
    return None


SESSION_MARK = "session at "
"""The live page's mark when the session's audio plays: "session at 12.3" = position 12.3 s plays now."""


def get_recording(db: Session, *, recording_id: str) -> EmgRecording:
    """One recording (not deleted) or NotFoundError."""
    return get_live(db, EmgRecording, recording_id, "EMG recording")


def list_recordings(db: Session, *, limit: int = 100) -> list[EmgRecording]:
    """Recordings, newest first."""
    return list_live(db, EmgRecording, order_by=(EmgRecording.recorded_at.desc(),), limit=limit)


def recording_days(db: Session, first: date, last: date) -> Counter[date]:
    """How many recordings (not deleted) were made on each local day from `first` to `last` (a programme's EMG)."""
    start, end = clock.day_bounds(first, last)
    query = select(EmgRecording.recorded_at).where(
        EmgRecording.recorded_at >= start, EmgRecording.recorded_at < end, EmgRecording.deleted_at.is_(None)
    )
    return Counter(clock.local_day(moment) for moment in db.scalars(query))


def recording_path(rec: EmgRecording) -> Path:
    """Where the recording's raw file is kept."""
    return get_settings().artefact_dir("emg") / rec.file_name


def raw_files(file_sha256: str) -> list[Path]:
    """The raw file kept under this content hash and the plots drawn from it (`<hash>.<format>`, `<hash>*.png`)."""
    if not file_sha256:
        return []
    return sorted(path for path in get_settings().artefact_dir("emg").glob(f"{file_sha256}*") if path.is_file())


def set_channel_region(db: Session, *, channel_id: int, region: str, side: str | None = None) -> EmgChannel:
    """Tie a channel to a body region from the taxonomy."""
    ch = get_or_raise(db, EmgChannel, channel_id, "EMG channel")
    r = get_region(region, field="region")
    ch.region_id, ch.side = r.id, normalise_side(r, side)
    db.flush()
    return ch


def tie_to_listen(
    db: Session, *, recording_id: str, listen_id: str | None, offset_s: float | None = None
) -> EmgRecording:
    """Tie a recording to a session listen, aligned (see `listen_alignment`) with its tone per chapter measured
    again from the raw file; None unties it."""
    rec = get_recording(db, recording_id=recording_id)
    summary = {k: v for k, v in rec.summary.items() if k != "session_tone"}
    if listen_id is None:
        rec.listen_id, rec.listen_offset_s, rec.summary = None, None, summary
        db.flush()
        return rec
    from unclench.emg.readers import open_recording

    listen = _check_listen(db, listen_id)
    offset = listen_alignment(listen, rec.recorded_at, rec.duration_s, offset_s=offset_s)
    with open_recording(recording_path(rec)) as opened:
        results = analyze_recording(opened)
    rec.summary = {**summary, "session_tone": _session_tone(db, listen.id, results, offset)}
    rec.listen_id, rec.listen_offset_s = listen.id, offset
    db.flush()
    if listen_id is not None:
        fill_decision_tones(db, recording_id=rec.id)
    return rec


@dataclass(frozen=True)
class ListenTone:
    """A recording tied to a listen and its tone per chapter, one SessionTone per channel."""

    recording: EmgRecording
    channels: list[tuple[EmgChannel, Any]]


def _listen_tone(rec: EmgRecording) -> ListenTone:
    from unclench.emg.dsp.session_tone import SessionTone

    stored = (rec.summary or {}).get("session_tone") or {}
    tones = [SessionTone.from_dict(t) for t in stored.get("channels", [])]
    return ListenTone(rec, list(zip(rec.channels, tones, strict=False)))


def listen_recordings(db: Session, *, listen_id: str) -> list[ListenTone]:
    """The recordings tied to a listen with their stored tone per chapter, oldest first."""
    query = (
        select(EmgRecording)
        .where(EmgRecording.listen_id == listen_id, EmgRecording.deleted_at.is_(None))
        .order_by(EmgRecording.recorded_at)
    )
    return [_listen_tone(rec) for rec in db.scalars(query)]


def latest_listen_tone(db: Session, *, listen_ids: list[str]) -> ListenTone | None:
    """The newest recording tied to any of these listens (a session's), with its tone per chapter."""
    if not listen_ids:
        return None
    query = (
        select(EmgRecording)
        .where(EmgRecording.listen_id.in_(listen_ids), EmgRecording.deleted_at.is_(None))
        .order_by(EmgRecording.recorded_at.desc())
        .limit(1)
    )
    rec = db.scalar(query)
    return None if rec is None else _listen_tone(rec)


def recordings_with_listens(db: Session) -> list[EmgRecording]:
    """Recordings tied to a listen (not deleted), oldest first: what tone-per-chapter insights are made from."""
    query = (
        select(EmgRecording)
        .where(EmgRecording.listen_id.is_not(None), EmgRecording.deleted_at.is_(None))
        .order_by(EmgRecording.recorded_at)
    )
    return list(db.scalars(query))


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


# --- for a practitioner's roster: several consenting clients at once --------------------------------------------


def resting_tone_by_person(db: Session, person_ids: Collection[int]) -> dict[int, list[tuple[datetime, float]]]:
    """Per person: each live recording's resting tone (mean over its channels, µV RMS), oldest first (one query; a
    Core statement naming the people, as practice/roster.py passes only clients who consented to "emg")."""
    if not person_ids:
        return {}
    recording, channel = EmgRecording.__table__.c, EmgChannel.__table__.c
    rows = db.execute(
        select(recording.person_id, recording.recorded_at, func.avg(channel.resting_tone_uv))
        .join(EmgChannel.__table__, channel.recording_id == recording.id)
        .where(
            among(db, recording.person_id, person_ids),
            recording.deleted_at.is_(None),
            channel.resting_tone_uv.is_not(None),
        )
        .group_by(recording.person_id, recording.id, recording.recorded_at)
        .order_by(recording.recorded_at)
    )
    out: dict[int, list[tuple[datetime, float]]] = {}
    for person_id, recorded_at, tone in rows:
        out.setdefault(person_id, []).append((recorded_at, float(tone)))
    return out


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
