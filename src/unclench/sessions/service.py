"""Session services: personal defaults from the diary, stored sessions, rendering jobs, listening log."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Float, func, select
from sqlalchemy.orm import Session, object_session

from unclench.body.taxonomy import get_region
from unclench.core import clock, jobs
from unclench.core.db import among, get_live, get_or_raise, list_live, new_id, session_scope
from unclench.core.errors import UserInputError
from unclench.core.identity import LOCAL_CALLER, Caller, caller_of
from unclench.core.jobs import Job, Report
from unclench.core.settings import get_settings
from unclench.diary import service as diary
from unclench.sessions.models import LISTEN_LISTENED, LISTEN_STARTED, AudioSession, Listen, PracticePreference
from unclench.sessions.options import (
    FIRST_VARIATION,
    TECHNIQUES,
    CheckedOptions,
    SessionOptions,
    TargetRegion,
    validate_options,
)

# The renderer loads NumPy and the voice: the functions that render or read results import it, so pages that only
# list sessions or show the practice reminder (the home page) do not.
if TYPE_CHECKING:
    from unclench.sessions.render import RenderResult

LEG_REGIONS = {"calf", "foot", "shin", "thigh_back", "thigh_front", "knee"}


def audio_root() -> Path:
    return get_settings().artefact_dir("audio")


def artefact_files(key: str) -> list[Path]:
    """Every file in a rendered session's folder (audio in each format, transcript, chapters, manifest)."""
    folder = audio_root() / key
    return sorted(path for path in folder.rglob("*") if path.is_file()) if key and folder.is_dir() else []


def phrase_cache_dir() -> Path:
    """Synthesised phrases; ``UNCLENCH_PHRASE_CACHE_DIR`` may point elsewhere (shared between data dirs)."""
    override = os.environ.get("UNCLENCH_PHRASE_CACHE_DIR")
    return Path(override) if override else get_settings().artefact_dir("audio") / "_phrases"


def name_phrase_files(options: dict[str, Any]) -> list[Path]:
    """The phrase cache's files that speak the name a session's options give (none without a name)."""
    if not options.get("name"):
        return []
    from unclench.sessions.render import name_phrase_files as spoken

    return spoken(SessionOptions.from_dict(options), phrase_cache_dir())


def spoken_names(db: Session) -> dict[str, list[dict[str, Any]]]:
    """The names the caller's sessions speak (those in the bin too), each with those sessions' options."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for session in list_live(db, AudioSession, include_deleted=True):
        if name := str(session.options.get("name") or ""):
            found[name].append(session.options)
    return dict(found)


def names_anyone_speaks(db: Session) -> set[str]:
    """Every name any stored session speaks, whoever's it is (Core: read past the owner scoping, on purpose)."""
    table = AudioSession.__table__
    rows = db.execute(select(table.c.options).execution_options(yield_per=1000))
    return {str(options.get("name")) for (options,) in rows if options and options.get("name")}


def suggest_regions(db: Session, *, days: int = 90, limit: int = 3) -> list[TargetRegion]:
    """The diary's most frequent and most intense regions: score = episodes × mean intensity."""
    since = clock.now() - timedelta(days=days)
    counts: dict[str, int] = defaultdict(int)
    intensity: dict[str, float] = defaultdict(float)
    sides: dict[str, set[str]] = defaultdict(set)
    for episode in diary.list_episodes(db, start=since):
        for item in episode.regions:
            counts[item.region_id] += 1
            intensity[item.region_id] += episode.intensity
            sides[item.region_id].add(item.side)
    ranked = sorted(counts, key=lambda r: (intensity[r], counts[r], r), reverse=True)  # count × mean intensity
    result = []
    for region_id in ranked[:limit]:
        region = get_region(region_id)
        found = sides[region_id]
        side = next(iter(found)) if len(found) == 1 and region.lateral and found <= {"left", "right"} else "both"
        result.append(TargetRegion(region_id, side if region.lateral else "centre"))
    return result


def has_leg_cramps(db: Session, *, days: int = 180) -> bool:
    since = clock.now() - timedelta(days=days)
    return any(
        item.region_id in LEG_REGIONS for e in diary.list_episodes(db, start=since, kind="cramp") for item in e.regions
    )


def personal_options(db: Session, options: SessionOptions, *, auto_regions: bool) -> CheckedOptions:
    """Fill in what the diary knows: target regions (if auto) and gentle tensing for leg cramps."""
    if auto_regions:
        options = replace(options, regions=tuple(suggest_regions(db)))
    if has_leg_cramps(db):
        options = replace(options, cramp_prone=True)
    return with_cue_preferences(db, options)


def with_cue_preferences(db: Session, options: SessionOptions) -> CheckedOptions:
    """An adaptive session's options with this person's cue preferences, as their logged decisions rank them today,
    for the regions its decision points name (a plain session, or one with nothing measured, is left as it is)."""
    from unclench.sessions.composer import compose
    from unclench.sessions.decisions import cue_preferences

    checked = validate_options(replace(options, cue_preferences=()))
    if not checked.adaptive:
        return checked
    regions = {region for point in compose(checked).points for region in point.regions}
    return replace(checked, cue_preferences=cue_preferences(db, regions))


def describe(options: SessionOptions) -> str:
    what = TECHNIQUES[options.technique]
    if options.technique == "pmr":
        what += f" ({options.pmr_groups} groups{', release only' if options.pmr_style == 'release_only' else ''})"
    return f"{what}, {options.minutes:g} min" + (", for sleep" if options.ending == "sleep" else "")


def create_session(db: Session, options: SessionOptions, *, title: str = "") -> AudioSession:
    """Store a session's settings (checked first, unless already checked; nothing is written on bad input).

    A short length may shorten the content (fewer PMR groups, release only): the options stored are the ones used.
    """
    from unclench.sessions.composer import compose

    options = compose(validate_options(options)).options  # rendering reuses the composed script
    session = AudioSession(
        title=(title.strip() or describe(options))[:120], options=options.to_dict(), status="pending"
    )
    db.add(session)
    db.flush()
    return session


def next_variation(db: Session, options: SessionOptions) -> int:
    """The lowest variation number (seed) not yet used for these settings.

    New sessions start at variation 1, so two sessions that differ only in their personal parts
    (regions, name, ending) share most wordings and their phrases come from the cache; asking
    for a new variation gives different wordings.
    """
    from unclench.sessions.render import settings_key

    used = {settings_key(options_of(s)) for s in list_sessions(db)}
    seed = FIRST_VARIATION
    while settings_key(replace(options, seed=seed)) in used:
        seed += 1
    return seed


def get_session(db: Session, session_id: str) -> AudioSession:
    return get_live(db, AudioSession, session_id, "session")


def list_sessions(db: Session) -> list[AudioSession]:
    return list_live(db, AudioSession, order_by=(AudioSession.created_at.desc(),))


def options_of(session: AudioSession) -> SessionOptions:
    return SessionOptions.from_dict(session.options)


def result_of(session: AudioSession) -> RenderResult | None:
    from unclench.sessions.render import load_result

    if not session.artefact_key:
        return None
    return load_result(audio_root() / session.artefact_key)


def adaptive_graph(session: AudioSession) -> dict[str, Any] | None:
    """An adaptive session's decision graph (docs/ADAPTIVE.md), or None before it is rendered."""
    from unclench.sessions.adaptive import load_graph

    if not session.artefact_key:
        return None
    return load_graph(audio_root() / session.artefact_key)


def render_now(
    session_id: str,
    report: Report | None = None,
    *,
    options: CheckedOptions | None = None,
    caller: Caller = LOCAL_CALLER,
) -> RenderResult:
    """Render a stored session in this thread (every format), recording status and the artefact hash.

    `options`: the session's own, already checked when it was saved (not checked again); without them the stored
    ones are read and checked. `caller`: whose session it is (a background render carries on as its requester).
    """
    from unclench.sessions.render import render_session

    with session_scope(caller) as db:
        session = get_session(db, session_id)
        stored = options_of(session)
        session.status = "rendering"
    try:
        result = render_session(options or stored, audio_root(), cache_dir=phrase_cache_dir(), progress=report)
    except Exception as exc:
        with session_scope(caller) as db:
            session = get_session(db, session_id)
            session.status = "failed"
            session.error = str(exc)[:2000]
        raise
    with session_scope(caller) as db:
        session = get_session(db, session_id)
        session.status = "ready"
        session.error = ""
        session.artefact_key = result.key
        session.duration_s = result.duration_s
        session.loudness_lufs = result.loudness_lufs
        session.rendered_at = clock.now()
    return result


def start_render(db: Session, session: AudioSession, options: CheckedOptions | None = None) -> Job:
    """Render in the background (the task "session-render"); the page polls the job for progress.

    Keyed by what it makes: while a render of this session's settings hash waits or runs, that job is the one
    returned, and renders of one hash never run at once (their files are one folder). `options`: the session's own,
    stored already (the task reads them back).
    """
    from unclench.sessions.render import settings_key

    key = settings_key(options or options_of(session))
    job_id = new_id()
    session.job_id = job_id
    session.status = "queued"
    job = jobs.enqueue(
        "session-render",
        session.title,
        {"session_id": session.id, "caller": jobs.caller_to_dict(caller_of(db))},
        db=db,
        key=f"session-render:{session.id}:{key}",
        lock=f"render:{key}",
        job_id=job_id,
    )
    if job.id != job_id:  # the same render was on its way already: follow that one
        session.job_id = job.id
        db.commit()
    return job


def job_of(session: AudioSession) -> Job | None:
    db = object_session(session)
    return jobs.find_job(db, session.job_id) if db is not None else None


def current_status(session: AudioSession) -> str:
    """The status, noticing a render that was lost (the server restarted mid-render)."""
    if session.status in ("queued", "rendering") and job_of(session) is None:
        return "interrupted"
    return session.status


# --- Listening log -----------------------------------------------------------------------------


def _rating(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UserInputError.single(field, "Tension is a whole number from 0 (none) to 10 (worst).") from None
    if not 0 <= number <= 10:
        raise UserInputError.single(field, "Tension is a whole number from 0 (none) to 10 (worst).")
    return number


LISTENED_SHARE: Final = 0.6
LISTENED_CAP_S: Final = 180.0


def listen_minimum_s(duration_s: float | None) -> float:
    """Seconds heard for a listen to count: 60 % of the session or 3 minutes, whichever is less."""
    return min(LISTENED_SHARE * duration_s, LISTENED_CAP_S) if duration_s and duration_s > 0 else LISTENED_CAP_S


def start_listen(db: Session, session_id: str, *, tension_before: Any = None) -> Listen:
    session = get_session(db, session_id)
    listen = Listen(session_id=session.id, tension_before=_rating(tension_before, "tension_before"))
    db.add(listen)
    db.flush()
    return listen


def get_listen(db: Session, listen_id: str) -> Listen:
    return get_or_raise(db, Listen, listen_id, "listen")


def update_listen(
    db: Session,
    listen_id: str,
    *,
    heard_s: Any = None,
    position_s: Any = None,
    finished: bool = False,
    tension_after: Any = None,
    tension_before: Any = None,
) -> Listen:
    """Record progress: heard seconds only grow, a finished listen gets its end time."""
    listen = get_listen(db, listen_id)
    duration = listen.session.duration_s or 0.0
    for name, value in (("heard_s", heard_s), ("position_s", position_s)):
        if value is None:
            continue
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            raise UserInputError.single(name, "must be a number of seconds") from None
        if not 0 <= seconds <= max(duration, 0) + 5:
            raise UserInputError.single(name, f"must be between 0 and the session's length ({duration:.0f} s)")
        if name == "heard_s":
            listen.heard_s = max(listen.heard_s, min(seconds, duration or seconds))
        else:
            listen.position_s = seconds
    if tension_before is not None:
        listen.tension_before = _rating(tension_before, "tension_before")
    if tension_after is not None:
        listen.tension_after = _rating(tension_after, "tension_after")
    if finished:
        listen.finished_at = listen.finished_at or clock.now()
        listen.completed = duration > 0 and listen.heard_s >= 0.9 * duration
    # Heard time only grows, so a listen that counted keeps counting.
    listen.status = LISTEN_LISTENED if listen.heard_s >= listen_minimum_s(duration) else LISTEN_STARTED
    db.flush()
    return listen


def counted_listens(db: Session, *, start: datetime | None = None, end: datetime | None = None) -> list[Listen]:
    """Listens long enough to count (status 'listened'), oldest first, started in [start, end) when given."""
    query = select(Listen).where(Listen.status == LISTEN_LISTENED).order_by(Listen.started_at)
    if start is not None:
        query = query.where(Listen.started_at >= start)
    if end is not None:
        query = query.where(Listen.started_at < end)
    return list(db.scalars(query))


CHAPTER_KINDS: Final = {
    "opening": "Welcome",
    "induction": "The technique itself",
    "deepener": "Deepening",
    "targeted": "Your body",
    "stress": "Calm under stress",
    "post": "Closing suggestions",
    "ending": "Ending",
    "session": "The whole session",
}
"""Chapter kinds in the order a session plays them, with the words insights use for them."""


@dataclass(frozen=True)
class ListenChapter:
    """One chapter of a listen's session: title, kind (a key of CHAPTER_KINDS), start and end (s from its start)."""

    title: str
    kind: str
    start_s: float
    end_s: float


def listen_chapters(db: Session, listen_id: str) -> list[ListenChapter]:
    """The chapters of a listen's session, from its render's timeline (one "session" chapter when none is kept)."""
    from unclench.sessions.composer import chapter_titles

    listen = get_listen(db, listen_id)
    session = listen.session
    result = result_of(session)
    if result is None:
        length = session.duration_s or 0.0
        return [ListenChapter("The session", "session", 0.0, length)] if length > 0 else []
    kinds = {title: kind for kind, title in chapter_titles(options_of(session)).items()}
    return [ListenChapter(c.title, kinds.get(c.title, "session"), c.start, c.end) for c in result.timeline.chapters]


def recent_listens(db: Session, *, limit: int = 20) -> list[Listen]:
    query = select(Listen).order_by(Listen.started_at.desc()).limit(limit)
    return list(db.scalars(query))


def streak_days(db: Session) -> int:
    """Days in a row (ending today or yesterday, on the person's calendar) with a listen that counted."""
    tz = clock.zone()
    days = {
        listen.started_at.astimezone(tz).date()
        for listen in counted_listens(db)
        if isinstance(listen.started_at, datetime)
    }
    day = clock.today()
    if day not in days:
        day -= timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


# --- Practice settings: streak and daily reminder (both optional) --------------------------------


def practice_preference(db: Session) -> PracticePreference:
    """The person's settings row (defaults: streak shown, no reminder); created on first use."""
    preference = db.scalar(select(PracticePreference))  # the caller's own (owner scoping)
    if preference is None:
        preference = PracticePreference(streaks_on=True, reminder_minute=None)
        db.add(preference)
        db.flush()
    return preference


def parse_reminder_time(text: str | None) -> int | None:
    """'20:30' → minutes after midnight; '' or 'off' → None (no reminder)."""
    value = (text or "").strip().lower()
    if value in ("", "off", "none"):
        return None
    hours, sep, minutes = value.partition(":")
    if sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2:
        h, m = int(hours), int(minutes)
        if 0 <= h <= 23 and 0 <= m <= 59:
            return h * 60 + m
    raise UserInputError.single("reminder", f"'{text}' is not a time of day. Use hours:minutes like 20:30, or 'off'.")


def set_practice_preference(
    db: Session, *, streaks_on: bool | None = None, reminder: str | None = None
) -> PracticePreference:
    """Change what is given; ``reminder`` is a time like '20:30' or 'off'."""
    minute = parse_reminder_time(reminder) if reminder is not None else None
    preference = practice_preference(db)
    if streaks_on is not None:
        preference.streaks_on = streaks_on
    if reminder is not None:
        preference.reminder_minute = minute
    db.flush()
    return preference


def reminder_label(preference: PracticePreference) -> str:
    minute = preference.reminder_minute
    return "off" if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


def practised_today(db: Session) -> bool:
    today = clock.today()
    start, end = clock.day_bounds(today, today)
    query = select(Listen.id).where(
        Listen.started_at >= start, Listen.started_at < end, Listen.status == LISTEN_LISTENED
    )
    return db.scalar(query.limit(1)) is not None


def practice_notices(db: Session) -> list[dict[str, Any]]:
    """A calm home-page nudge once the reminder time has passed and nobody has practised today."""
    preference = db.scalar(select(PracticePreference))
    if preference is None or preference.reminder_minute is None:
        return []
    local_now = clock.local_now()
    if local_now.hour * 60 + local_now.minute < preference.reminder_minute or practised_today(db):
        return []
    return [
        {
            "kind": "practice_reminder",
            "level": "calm",
            "text": f"Your practice time ({reminder_label(preference)}) has come: a few quiet minutes for your muscles.",
            "href": "/sessions",
            "link_text": "Open your sessions",
        }
    ]


# --- for a practitioner's roster: several consenting clients at once --------------------------------------------
# A Core statement that names the people itself (practice/roster.py passes only clients who consented to
# "sessions"; the roster's caller is the practitioner, who is none of them).


def tension_drop_by_person(
    db: Session, person_ids: Collection[int], start: datetime
) -> dict[int, tuple[float | None, int, datetime | None]]:
    """Per person: the mean tension drop (before − after, 0–10) over counted listens since `start` that have both
    ratings, how many those are, and their newest listen of any kind (one query)."""
    if not person_ids:
        return {}
    table = Listen.__table__.c
    rated = (table.status == LISTEN_LISTENED) & (table.started_at >= start)
    rated = rated & table.tension_before.is_not(None) & table.tension_after.is_not(None)
    drop = (table.tension_before - table.tension_after).cast(Float)
    rows = db.execute(
        select(table.person_id, func.avg(drop).filter(rated), func.count().filter(rated), func.max(table.started_at))
        .where(among(db, table.person_id, person_ids))
        .group_by(table.person_id)
    )
    return {row[0]: (None if row[1] is None else float(row[1]), int(row[2]), row[3]) for row in rows}
