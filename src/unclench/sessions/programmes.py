"""Home programmes: which sessions to listen to how often, with check-ins, questionnaires and EMG recordings.

A practitioner prescribes one for a consenting client (the caller acts for the client, so the rows and the sessions
land in the client's library), or a person makes their own. What is due today and the adherence so far come from
the schedule and the real listening log (only listens that counted, see `service.listen_minimum_s`).

The schedule, in the person's calendar weeks (Monday to Sunday): an item heard N times a week has its listens
spread over the week by `quota_on` (daily: one a day; 3 a week: Wednesday, Friday, Sunday); a listen on any day of
the week counts toward that week's quota, so listening on Monday instead of Wednesday is on track; a day counts at
most a day's share (one listen, two for twice a day), so three listens on Monday are not a week. Adherence
credits each week with at most its due listens (extra listens never hide a missed week) and counts only days that
are over, plus today once today's listens are done: a morning is never behind for the day still to come.

Public for other domains: `current_programme`, `adherence`, `adherence_by_person` (the practitioner's roster),
`due_today` (the home and Relax pages, `unclench programme show`).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from unclench.body.taxonomy import get_region, normalise_side, split_region_side
from unclench.core import clock
from unclench.core.db import among, get_live, list_live
from unclench.core.errors import FieldProblem, NotFoundError, UserInputError
from unclench.core.identity import caller_of
from unclench.diary import service as diary
from unclench.sessions import service
from unclench.sessions.models import LISTEN_LISTENED, AudioSession, Listen, Programme, ProgrammeItem
from unclench.sessions.options import SessionOptions
from unclench.sessions.schemas import ProgrammeForm
from unclench.stress import service as stress
from unclench.stress.questionnaires import INSTRUMENTS, load_instrument

MAX_ITEMS: Final = 3
MAX_DAYS: Final = 366
NOTE_MAX: Final = 2000
PER_WEEK: Final[dict[int, str]] = {
    14: "Twice a day",
    7: "Every day",
    6: "6 times a week",
    5: "5 times a week",
    4: "4 times a week",
    3: "3 times a week",
    2: "Twice a week",
    1: "Once a week",
}
CHECKINS: Final[dict[str, str]] = {
    "none": "No check-ins",
    "daily": "A check-in every day",
    "weekly": "A check-in every week",
}
CHECKIN_DAYS: Final[dict[str, int | None]] = {"none": None, "daily": 1, "weekly": 7}
QUESTIONNAIRE_WEEKS: Final = (1, 12)
EMG_PER_WEEK: Final = 7
# Each questionnaire's page (stress/views.SLUGS, which this domain cannot import: views sit above services).
QUESTIONNAIRE_PAGES: Final[dict[str, str]] = {"pss10": "/stress/pss", "phq4": "/stress/phq4"}


# --- The schedule (pure) ------------------------------------------------------------------------------------


def quota_on(per_week: int, day: date) -> int:
    """Listens due on `day` for an item heard `per_week` times a week, spread evenly and ending each Sunday."""
    k = day.weekday()
    return (k + 1) * per_week // 7 - k * per_week // 7


def per_day_cap(per_week: int) -> int:
    """The most listens one day can count: one for up to daily, two for twice a day (a binge is not a week)."""
    return math.ceil(per_week / 7)


def _heard(per_week: int, done_on: Mapping[date, int], days: Iterable[date]) -> int:
    cap = per_day_cap(per_week)
    return sum(min(done_on.get(d, 0), cap) for d in days)


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _week_days(day: date, start: date, end: date) -> list[date]:
    """The days of `day`'s calendar week that lie in the programme [start, end]."""
    monday = clock.week_start(day)
    return [d for d in _days(max(monday, start), min(monday + timedelta(days=6), end))]


def credited(per_week: int, start: date, end: date, today: date, done_on: Mapping[date, int]) -> tuple[int, int]:
    """(due, done) from `start` up to today: days that are over, and today once its quota is met; `done_on` counts
    the listens that counted per local day. Each week is credited at most its due listens."""
    last = min(today, end)
    due = done = 0
    week = clock.week_start(start)
    while week <= last:
        days = [d for d in _days(max(week, start), min(week + timedelta(days=6), last))]
        week_due = sum(quota_on(per_week, d) for d in days if d < today)
        heard = _heard(per_week, done_on, days)
        if today in days:  # the day still running counts only as far as it is done
            week_due += min(quota_on(per_week, today), max(0, heard - week_due))
        due += week_due
        done += min(heard, week_due)
        week += timedelta(days=7)
    return due, done


@dataclass(frozen=True)
class WeekStanding:
    """One item this week: how many are due today, done today, done this week, and the week's target."""

    due_today: int
    done_today: int
    done_week: int
    week_target: int


def week_standing(per_week: int, start: date, end: date, today: date, done_on: Mapping[date, int]) -> WeekStanding:
    """Where an item stands today: listens still due today (missed days of the week add at most a day's share)."""
    days = _week_days(today, start, end)
    so_far = [d for d in days if d <= today]
    owed = sum(quota_on(per_week, d) for d in so_far) - _heard(per_week, done_on, so_far)
    cap = max(quota_on(per_week, today), per_day_cap(per_week))
    return WeekStanding(
        due_today=max(0, min(owed, cap)) if start <= today <= end else 0,
        done_today=done_on.get(today, 0),
        done_week=_heard(per_week, done_on, so_far),
        week_target=sum(quota_on(per_week, d) for d in days),
    )


# --- Adherence ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemAdherence:
    item_id: str
    session_id: str
    title: str
    per_week: int
    due: int
    done: int
    listens: int

    @property
    def ratio(self) -> float | None:
        return self.done / self.due if self.due else None


@dataclass(frozen=True)
class ProgrammeAdherence:
    """Due versus done listens over the programme so far, per item and overall, and the last listen that counted."""

    programme_id: str
    title: str
    starts_on: date
    ends_on: date
    due: int
    done: int
    listens: int
    last_listen_at: datetime | None
    items: tuple[ItemAdherence, ...] = field(default_factory=tuple)

    @property
    def ratio(self) -> float | None:
        """done / due (0–1); None before any listen was due."""
        return self.done / self.due if self.due else None

    @property
    def percent(self) -> int | None:
        return None if self.ratio is None else round(self.ratio * 100)


@dataclass(frozen=True)
class _ItemRow:
    item_id: str
    session_id: str
    title: str
    per_week: int


def _adherence(
    programme_id: str,
    title: str,
    starts_on: date,
    ends_on: date,
    items: Sequence[_ItemRow],
    heard: Mapping[str, Sequence[datetime]],
    today: date,
) -> ProgrammeAdherence:
    """Adherence from plain values: `heard` maps a session id to the start times of its listens that counted."""
    results = []
    last: datetime | None = None
    zone, until = clock.zone(), min(today, ends_on)
    for item in items:
        dated = [(m, m.astimezone(zone).date()) for m in heard.get(item.session_id, ())]
        moments = [m for m, day in dated if starts_on <= day <= until]
        done_on = Counter(day for _, day in dated if starts_on <= day <= until)
        due, done = credited(item.per_week, starts_on, ends_on, today, done_on)
        results.append(ItemAdherence(item.item_id, item.session_id, item.title, item.per_week, due, done, len(moments)))
        last = max([m for m in (last, *moments) if m is not None], default=None)
    return ProgrammeAdherence(
        programme_id=programme_id,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        due=sum(r.due for r in results),
        done=sum(r.done for r in results),
        listens=sum(r.listens for r in results),
        last_listen_at=last,
        items=tuple(results),
    )


def _item_rows(programme: Programme) -> list[_ItemRow]:
    return [_ItemRow(i.id, i.session_id, i.session.title, i.per_week) for i in programme.items]


def heard_moments(db: Session, session_ids: Iterable[str]) -> dict[str, list[datetime]]:
    """Start times of the listens that counted, per session (the caller's own, by the central scoping)."""
    ids = list(session_ids)
    found: dict[str, list[datetime]] = defaultdict(list)
    if ids:
        query = select(Listen.session_id, Listen.started_at).where(
            Listen.session_id.in_(ids), Listen.status == LISTEN_LISTENED
        )
        for session_id, started_at in db.execute(query):
            found[session_id].append(started_at)
    return found


def adherence(db: Session, programme: Programme, *, today: date) -> ProgrammeAdherence:
    """The programme's adherence up to `today` (two queries: its items and their listens)."""
    items = _item_rows(programme)
    heard = heard_moments(db, (i.session_id for i in items))
    return _adherence(programme.id, programme.title, programme.starts_on, programme.ends_on, items, heard, today)


def adherence_by_person(db: Session, person_ids: Iterable[int], *, today: date) -> dict[int, ProgrammeAdherence]:
    """Each listed person's current programme's adherence, in one query for all of them.

    The statement is Core (table columns, not mapped classes), which the central scoping in `core/db.py` does not
    touch, so it names its persons itself: the caller passes only the ids it may see. The practitioner's roster
    passes its consenting clients (every consent includes the programme); a person passes their own id. A person
    with no programme running today is left out.
    """
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    p, i, s, li = Programme.__table__, ProgrammeItem.__table__, AudioSession.__table__, Listen.__table__
    query = (
        select(
            p.c.person_id,
            p.c.id,
            p.c.title,
            p.c.starts_on,
            p.c.ends_on,
            i.c.id,
            i.c.session_id,
            i.c.per_week,
            s.c.title,
            li.c.started_at,
        )
        .select_from(
            p.join(i, i.c.programme_id == p.c.id)
            .join(s, s.c.id == i.c.session_id)
            .outerjoin(li, (li.c.session_id == i.c.session_id) & (li.c.status == LISTEN_LISTENED))
        )
        .where(among(db, p.c.person_id, ids), p.c.deleted_at.is_(None), p.c.starts_on <= today, p.c.ends_on >= today)
        .order_by(p.c.person_id, p.c.created_at, p.c.id, i.c.position)  # as `current_programme`: the last wins
    )
    programmes: dict[int, dict[str, Any]] = {}
    for row in db.execute(query):
        person_id, programme_id, title, starts_on, ends_on = row[:5]
        current = programmes.get(person_id)
        if current is None or current["id"] != programme_id:  # rows come programme by programme, the current last
            current = programmes[person_id] = {
                "id": programme_id,
                "title": title,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "items": {},
                "heard": defaultdict(list),
            }
        item_id, session_id, per_week, session_title, started_at = row[5:]
        current["items"].setdefault(item_id, _ItemRow(item_id, session_id, session_title, per_week))
        if started_at is not None:  # aware UTC: the table's column type reads it, Core or not
            current["heard"][session_id].append(started_at)
    return {
        person_id: _adherence(
            found["id"],
            found["title"],
            found["starts_on"],
            found["ends_on"],
            list(found["items"].values()),
            {k: sorted(set(v)) for k, v in found["heard"].items()},
            today,
        )
        for person_id, found in programmes.items()
    }


# --- Reading programmes ---------------------------------------------------------------------------------------


def list_programmes(db: Session) -> list[Programme]:
    """The person's programmes, newest first."""
    return list_live(db, Programme, order_by=(Programme.starts_on.desc(), Programme.created_at.desc()))


def get_programme(db: Session, programme_id: str) -> Programme:
    return get_live(db, Programme, programme_id, "programme")


def delete_programme(db: Session, programme_id: str) -> Programme:
    """Move a programme to the bin (its sessions and their listens stay in the library); `restore_programme` undoes it."""
    programme = get_programme(db, programme_id)
    programme.soft_delete()
    db.flush()
    return programme


def deleted_programme(db: Session, programme_id: str) -> Programme | None:
    """The caller's programme with this id if it is in the bin (a page offers to undo the delete), else None."""
    try:
        found = get_live(db, Programme, programme_id, "programme", include_deleted=True)
    except NotFoundError:
        return None
    return found if found.deleted_at is not None else None


def restore_programme(db: Session, programme_id: str) -> Programme:
    programme = get_live(db, Programme, programme_id, "programme", include_deleted=True)
    programme.restore()
    db.flush()
    return programme


def current_programme(db: Session, *, today: date) -> Programme | None:
    """The programme running today (the newest, if two overlap), or None."""
    found = list_live(
        db,
        Programme,
        where=(Programme.starts_on <= today, Programme.ends_on >= today),
        order_by=(Programme.created_at.desc(), Programme.id.desc()),
        limit=1,
    )
    return found[0] if found else None


def next_programme(db: Session, *, today: date) -> Programme | None:
    """The next programme that has not started yet, or None."""
    found = list_live(db, Programme, where=(Programme.starts_on > today,), order_by=(Programme.starts_on,), limit=1)
    return found[0] if found else None


# --- What is due today ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueTask:
    """One thing the programme asks for today: its kind, words, link, and whether it is still to do."""

    kind: str  # "listen", "checkin", "questionnaire", "emg"
    label: str
    href: str
    due: bool
    detail: str


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def due_today(
    db: Session, programme: Programme, *, today: date, emg_recorded_on: Mapping[date, int] | None = None
) -> list[DueTask]:
    """What the programme asks for today, each marked due or done. `emg_recorded_on` counts the person's EMG
    recordings per local day (the EMG domain sits above this one, so the page or command asking passes them)."""
    tasks: list[DueTask] = []
    if not programme.starts_on <= today <= programme.ends_on:
        return tasks
    heard = heard_moments(db, (i.session_id for i in programme.items))
    for item in programme.items:
        done_on = Counter(clock.local_day(m) for m in heard.get(item.session_id, ()))
        standing = week_standing(item.per_week, programme.starts_on, programme.ends_on, today, done_on)
        detail = f"{PER_WEEK[item.per_week].lower()}; this week {standing.done_week} of {standing.week_target}"
        if standing.due_today:
            label = f"Listen to “{item.session.title}”" + (
                f" ({_times(standing.due_today)})" if standing.due_today > 1 else ""
            )
        else:
            label = f"“{item.session.title}”: nothing more due today"
        tasks.append(DueTask("listen", label, f"/sessions/{item.session_id}", standing.due_today > 0, detail))
    if programme.checkin_every_days:
        first = today - timedelta(days=programme.checkin_every_days - 1)
        done = bool(diary.list_checkins(db, start=max(first, programme.starts_on), end=today))
        label = "Today's check-in" if programme.checkin_every_days == 1 else "This week's check-in"
        when = "every day" if programme.checkin_every_days == 1 else "once a week"
        tasks.append(DueTask("checkin", label, "/checkin", not done, f"{when}; " + ("done" if done else "not yet")))
    if programme.questionnaire and programme.questionnaire_every_days:
        history = stress.questionnaire_history(db, programme.questionnaire)
        last_day = clock.local_day(history[-1].taken_at) if history else None
        done = last_day is not None and last_day > today - timedelta(days=programme.questionnaire_every_days)
        name = load_instrument(programme.questionnaire)["name"]
        weeks = programme.questionnaire_every_days // 7
        detail = f"every {weeks} week{'s' if weeks != 1 else ''}; " + (
            f"last taken {last_day:%-d %B}" if last_day else "not taken yet"
        )
        tasks.append(DueTask("questionnaire", name, QUESTIONNAIRE_PAGES[programme.questionnaire], not done, detail))
    if programme.emg_per_week:
        recorded = emg_recorded_on or {}
        standing = week_standing(programme.emg_per_week, programme.starts_on, programme.ends_on, today, recorded)
        where = _region_label(programme.emg_region)
        tasks.append(
            DueTask(
                "emg",
                f"EMG recording{f' ({where})' if where else ''}",
                "/emg",
                standing.due_today > 0,
                f"{PER_WEEK[programme.emg_per_week].lower()}; this week {standing.done_week} of {standing.week_target}",
            )
        )
    return tasks


def _region_label(value: str | None) -> str:
    if not value:
        return ""
    region_id, side = split_region_side(value)
    return get_region(region_id).describe(side or "both")


def emg_days_wanted(programme: Programme | None, *, today: date) -> tuple[date, date] | None:
    """The days whose EMG recordings `due_today` needs (this week's), or None when the programme asks for none."""
    if programme is None or not programme.emg_per_week:
        return None
    return clock.week_start(today), today


# --- Making and changing a programme -------------------------------------------------------------------------


def _problems_of(action: Any, prefix: str, problems: list[FieldProblem]) -> Any:
    try:
        return action()
    except UserInputError as exc:
        problems.extend(FieldProblem(f"{prefix}{p.field}", p.message) for p in exc.problems)
        return None


def _check_dates(
    problems: list[FieldProblem], starts_on: date | None, ends_on: date | None, today: date, kept_start: date | None
) -> None:
    if starts_on is None:
        problems.append(FieldProblem("starts_on", "Choose the day the programme starts."))
    elif starts_on < today and starts_on != kept_start:
        problems.append(
            FieldProblem(
                "starts_on", f"A programme cannot start in the past: choose today ({today:%-d %B %Y}) or later."
            )
        )
    if ends_on is None:
        problems.append(FieldProblem("ends_on", "Choose the programme's last day."))
    elif ends_on < today:
        problems.append(FieldProblem("ends_on", "The last day cannot be in the past."))
    if starts_on is not None and ends_on is not None:
        if ends_on <= starts_on:
            problems.append(FieldProblem("ends_on", "The last day must come after the first day."))
        elif (ends_on - starts_on).days >= MAX_DAYS:
            problems.append(FieldProblem("ends_on", "A programme lasts at most a year; make a new one after it."))


def save_programme(
    db: Session, form: ProgrammeForm, *, today: date, programme_id: str | None = None
) -> tuple[Programme, list[AudioSession]]:
    """Make (or change) a programme and its sessions in one go, all or nothing, and start rendering new audio.

    Every problem is found before anything is written. A session whose settings are unchanged keeps its row (and
    its listening history); a new one is stored in the caller's person's library and queued through
    `service.start_render` (the settings hash makes equal settings render once). Renders commit, so they start
    last. Returns the programme and the sessions queued.
    """
    from unclench.sessions.composer import compose

    existing = get_programme(db, programme_id) if programme_id else None
    problems: list[FieldProblem] = []
    _check_dates(problems, form.starts_on, form.ends_on, today, existing.starts_on if existing else None)
    title = " ".join(form.title.split())
    if len(title) > 120:
        problems.append(FieldProblem("title", "A title is up to 120 characters."))
    if len(form.note) > NOTE_MAX:
        problems.append(FieldProblem("note", f"The note is up to {NOTE_MAX} characters; it has {len(form.note)}."))
    if form.checkin not in CHECKIN_DAYS:
        problems.append(FieldProblem("checkin", "Choose no check-ins, every day or every week."))
    questionnaire = None if form.questionnaire in ("", "none") else form.questionnaire
    if questionnaire is not None and questionnaire not in INSTRUMENTS:
        names = ", ".join(load_instrument(i)["name"] for i in INSTRUMENTS)
        problems.append(FieldProblem("questionnaire", f"Choose none or one of: {names}."))
    low, high = QUESTIONNAIRE_WEEKS
    if questionnaire is not None and not low <= form.questionnaire_every_weeks <= high:
        problems.append(FieldProblem("questionnaire_every_weeks", f"Ask every {low} to {high} weeks (a whole number)."))
    emg_region = None
    if not 0 <= form.emg_per_week <= EMG_PER_WEEK:
        problems.append(FieldProblem("emg_per_week", f"EMG recordings: 0 (none) to {EMG_PER_WEEK} a week."))
    elif form.emg_per_week:
        emg_region = _problems_of(lambda: _emg_region(form.emg_region), "", problems)
    if not form.items:
        problems.append(FieldProblem("items", "Add at least one session."))
    if len(form.items) > MAX_ITEMS:
        problems.append(FieldProblem("items", f"A programme holds at most {MAX_ITEMS} sessions."))
    checked = []
    for index, item in enumerate(form.items[:MAX_ITEMS]):
        prefix = f"items.{index}."
        if item.per_week not in PER_WEEK:
            problems.append(
                FieldProblem(f"{prefix}per_week", "Choose how often to listen: once a week to twice a day.")
            )
        options = _problems_of(
            lambda item=item: service.personal_options(db, item.options(), auto_regions=item.auto_regions),
            prefix,
            problems,
        )
        checked.append((item, options))
    if problems:
        raise UserInputError(problems)

    programme = existing or Programme()
    if existing is None:
        caller = caller_of(db)
        programme.prescribed_by_account_id = caller.account_id if caller.role == "practitioner" else None
        db.add(programme)
    programme.title = title or "Home programme"
    programme.starts_on, programme.ends_on = form.starts_on, form.ends_on  # type: ignore[assignment]  # checked above
    programme.note = form.note.strip()
    programme.checkin_every_days = CHECKIN_DAYS[form.checkin]
    programme.questionnaire = questionnaire
    programme.questionnaire_every_days = form.questionnaire_every_weeks * 7 if questionnaire else None
    programme.emg_per_week = form.emg_per_week or None
    programme.emg_region = emg_region
    kept = {_settings(service.options_of(i.session)): i.session for i in programme.items}
    queued: list[AudioSession] = []
    items = []
    for position, (item, options) in enumerate(checked):
        session = kept.pop(_settings(compose(options).options), None)
        if session is None:
            session = service.create_session(db, options, title=item.title)
            queued.append(session)
        elif item.title.strip():
            session.title = item.title.strip()[:120]
        items.append(ProgrammeItem(session=session, position=position, per_week=item.per_week))
    programme.items = items
    db.flush()
    for session in queued:
        service.start_render(db, session)
    return programme, queued


def _settings(options: SessionOptions) -> str:
    """Options as comparable text: a session with the same settings is kept (with its listens), not made again."""
    return json.dumps(options.to_dict(), sort_keys=True)


def _emg_region(value: str) -> str:
    if not value.strip():
        raise UserInputError.single("emg_region", "Choose the region to record, for example jaw:left.")
    region_id, side = split_region_side(value.strip())
    region = get_region(region_id, field="emg_region")
    side = normalise_side(region, side or ("both" if region.lateral else "centre"), field="emg_region")
    return f"{region.id}:{side}"


def form_values(programme: Programme) -> dict[str, Any]:
    """The programme as the form's fields (to change it): `s0_…` for the first session, and so on."""
    values: dict[str, Any] = {
        "title": programme.title,
        "starts_on": programme.starts_on.isoformat(),
        "ends_on": programme.ends_on.isoformat(),
        "note": programme.note,
        "checkin": next((k for k, v in CHECKIN_DAYS.items() if v == programme.checkin_every_days), "none"),
        "questionnaire": programme.questionnaire or "none",
        "questionnaire_every_weeks": str((programme.questionnaire_every_days or 28) // 7),
        "emg_per_week": str(programme.emg_per_week or 0),
        "emg_region": programme.emg_region or "",
    }
    for slot, item in enumerate(programme.items):
        options = service.options_of(item.session)
        prefix = f"s{slot}_"
        values |= {
            f"{prefix}include": "on",
            f"{prefix}title": item.session.title,
            f"{prefix}per_week": str(item.per_week),
            f"{prefix}minutes": f"{options.minutes:g}",
            f"{prefix}technique": options.technique,
            f"{prefix}pmr_groups": str(options.pmr_groups),
            f"{prefix}pmr_style": options.pmr_style,
            f"{prefix}cramp_prone": "on" if options.cramp_prone else "",
            f"{prefix}region_mode": "chosen",
            f"{prefix}regions": [f"{r.region_id}:{r.side}" for r in options.regions],
            f"{prefix}voice": options.voice,
            f"{prefix}pace": options.pace,
            f"{prefix}background": options.background,
            f"{prefix}binaural": options.binaural,
            f"{prefix}ending": options.ending,
            f"{prefix}name": options.name,
            f"{prefix}seed": str(options.seed),
        }
    return values


def form_data(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The posted fields as ProgrammeForm's input, and the form slot of each item (to show an item's problem)."""
    data = {k: v for k, v in values.items() if not (len(k) > 2 and k[0] == "s" and k[1].isdigit() and k[2] == "_")}
    items, slots = [], []
    for slot in range(MAX_ITEMS):
        prefix = f"s{slot}_"
        if slot and values.get(f"{prefix}include") not in ("on", "true", "1", True):
            continue
        items.append({k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)})
        slots.append(slot)
    data["items"] = items
    return data, slots


def slot_field(name: str, slots: Sequence[int]) -> str:
    """'items.1.minutes' → 's2_minutes' when the second item came from the form's third slot."""
    head, _, rest = name.partition(".")
    index, _, inner = rest.partition(".")
    if head == "items" and index.isdigit() and int(index) < len(slots):
        return f"s{slots[int(index)]}_{inner.partition('.')[0] or 'title'}"
    return name
