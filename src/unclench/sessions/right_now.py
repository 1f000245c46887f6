""" "Right now": two ready-made sessions (3 and 5 minutes), rendered ahead so that playing one never waits.

One `AudioSession` row per length (`ready_minutes`), kept up to date by `prepare`: at `serve` start-up and after
`demo`, each is rendered when its audio for the current settings is missing. The audio is content-addressed by the
settings hash, so the same settings render once and are reused. The 5-minute one names the diary's most frequent
places, read when it is prepared; both use the voice, pace, background and name of the person's latest own session.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from unclench.core.db import session_scope
from unclench.core.identity import LOCAL_CALLER, Caller
from unclench.core.jobs import Job, Report, get_runner
from unclench.sessions import service
from unclench.sessions.models import AudioSession
from unclench.sessions.options import CheckedOptions, SessionOptions, validate_options

READY_MINUTES: Final = (3, 5)
TITLES: Final = {3: "Right now: 3 minutes of slow breathing", 5: "Right now: 5 minutes to let go before sleep"}
LABELS: Final = {3: "3 minutes", 5: "5 minutes"}
HINTS: Final = {3: "slow breathing, then back to your day", 5: "your body, then drifting to sleep"}
PLAYED_FORMATS: Final = (("ogg", "audio/ogg"), ("mp3", "audio/mpeg"))
"""What the page offers the browser, in order: OGG/Opus (small), MP3 for browsers without Opus."""


def _voice_from_latest(db: Session) -> SessionOptions:
    """The voice, pace, background and spoken name of the person's latest own session, or the defaults."""
    query = (
        select(AudioSession)
        .where(AudioSession.ready_minutes.is_(None), AudioSession.deleted_at.is_(None))
        .order_by(AudioSession.created_at.desc())
        .limit(1)
    )
    latest = db.scalar(query)
    base = SessionOptions()
    if latest is None:
        return base
    chosen = service.options_of(latest)
    return replace(base, voice=chosen.voice, pace=chosen.pace, background=chosen.background, name=chosen.name)


def ready_options(db: Session, minutes: int) -> CheckedOptions:
    """The options of the ready-made session of this length, from the diary and the person's voice settings."""
    voice = _voice_from_latest(db)
    if minutes == 3:
        options = replace(voice, minutes=3.0, technique="breathing", regions=(), ending="wake")
        return service.personal_options(db, options, auto_regions=False)
    options = replace(voice, minutes=5.0, technique="pmr", pmr_groups=4, pmr_style="release_only", ending="sleep")
    return service.personal_options(db, options, auto_regions=True)


def ready_sessions(db: Session) -> dict[int, AudioSession]:
    """The ready-made session row of each length, where there is one."""
    query = select(AudioSession).where(AudioSession.ready_minutes.in_(READY_MINUTES), AudioSession.deleted_at.is_(None))
    rows: dict[int, AudioSession] = {}
    for row in db.scalars(query.order_by(AudioSession.created_at)):
        rows[row.ready_minutes or 0] = row  # the newest wins, should there ever be two
    return rows


def audio_files(session: AudioSession) -> dict[str, Path]:
    """The rendered files the page can play (format → path), without loading the renderer (the home page is fast)."""
    if not session.artefact_key:
        return {}
    folder = service.audio_root() / session.artefact_key
    if not (folder / "session.json").exists():
        return {}
    return {fmt: folder / f"session.{fmt}" for fmt, _ in PLAYED_FORMATS if (folder / f"session.{fmt}").exists()}


@dataclass(frozen=True)
class ReadyCard:
    """One button of the home page's "Right now" card."""

    minutes: int
    label: str
    hint: str
    session_id: str | None
    sources: tuple[tuple[str, str], ...]  # (url, media type), in the order the browser should try them
    duration_s: float | None
    status: str  # "ready", "preparing" (queued or rendering), "missing" (never prepared, failed or interrupted)

    @property
    def playable(self) -> bool:
        return bool(self.sources)


def cards(db: Session) -> list[ReadyCard]:
    """The two buttons: playable when the audio is there (an older render keeps playing while a new one is made)."""
    rows = ready_sessions(db)
    result = []
    for minutes in READY_MINUTES:
        row = rows.get(minutes)
        files = audio_files(row) if row is not None else {}
        sources = (
            tuple((f"/sessions/{row.id}/files/session.{fmt}", media) for fmt, media in PLAYED_FORMATS if fmt in files)
            if row is not None
            else ()
        )
        status = "missing"
        if row is not None:
            current = service.current_status(row)
            status = "preparing" if current in ("pending", "queued", "rendering") else current
            if status == "ready" and not sources:
                status = "missing"  # the files were removed: prepare again
        result.append(
            ReadyCard(
                minutes=minutes,
                label=LABELS[minutes],
                hint=HINTS[minutes],
                session_id=row.id if row is not None else None,
                sources=sources,
                duration_s=row.duration_s if row is not None and sources else None,
                status=status,
            )
        )
    return result


def prepare(db: Session) -> list[Job]:
    """Queue a render for each ready-made session whose audio for the current settings is missing.

    Nothing is queued when the audio is there (same settings hash) or a render of the same settings is on its way.
    The request or command commits (`service.start_render` commits before queueing, so the worker sees the row).
    """
    with _preparing:  # start-up's check and a press of "Make them now" at the same moment make one row each
        return _prepare(db)


_preparing = threading.Lock()


def _prepare(db: Session) -> list[Job]:
    from unclench.sessions.composer import compose
    from unclench.sessions.render import settings_key

    rows = ready_sessions(db)
    jobs: list[Job] = []
    for minutes in READY_MINUTES:
        # The options used (fitted to the length), as `create_session` stores them; already checked, passed through.
        options = validate_options(compose(ready_options(db, minutes)).options)
        key = settings_key(options)
        row = rows.get(minutes)
        if row is not None:
            same = settings_key(service.options_of(row)) == key
            if same and row.artefact_key == key and audio_files(row):
                continue
            if same and service.current_status(row) in ("queued", "rendering"):
                continue
            row.options = options.to_dict()
            row.title = TITLES[minutes]
        else:
            row = service.create_session(db, options, title=TITLES[minutes])
            row.ready_minutes = minutes
        jobs.append(service.start_render(db, row, options))
    return jobs


def prepare_in_background(caller: Caller = LOCAL_CALLER) -> Job:
    """Start-up: check and queue the renders on the job runner, so the server answers at once meanwhile."""

    def work(report: Report) -> list[str]:
        with session_scope(caller) as db:
            return [job.id for job in prepare(db)]

    return get_runner().submit("ready-prepare", "Right now: checking the ready-made sessions", work)
