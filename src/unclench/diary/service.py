"""Diary services: plain functions over a database session. Web and CLI call these."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.db import among, get_live, get_or_raise, list_live
from unclench.core.errors import FieldProblem, UserInputError
from unclench.diary.models import CheckIn, CustomFactor, CustomFactorValue, Episode, EpisodeRegion
from unclench.diary.schemas import CheckInIn, CheckInOut, EpisodeIn, FactorIn

# ---------------------------------------------------------------- episodes


def episode_columns(data: EpisodeIn) -> dict[str, Any]:
    """The episode table's values for validated input, regions aside (the CSV import writes these in bulk)."""
    return {
        "started_at": data.started_at,
        "timezone": data.timezone or clock.person_timezone_name(),
        "duration_s": data.duration_s,
        "ongoing": data.ongoing,
        "kind": data.kind,
        "intensity": data.intensity,
        "pain": data.pain,
        "helped": data.helped.strip(),
        "notes": data.notes.strip(),
    }


def fill_episode(episode: Episode, data: EpisodeIn) -> None:
    """Copy validated input onto an episode (new or existing)."""
    for name, value in episode_columns(data).items():
        setattr(episode, name, value)
    episode.regions = [
        EpisodeRegion(region_id=item.region, side=item.side or "centre", position=position)
        for position, item in enumerate(data.regions)
    ]


def create_episode(db: Session, data: EpisodeIn) -> Episode:
    """Log a new episode; one that carries a device's key already saved is returned as it is (a queued replay)."""
    if data.client_key is not None:
        saved = db.scalar(select(Episode).where(Episode.client_key == data.client_key))
        if saved is not None:
            return saved
    episode = Episode(client_key=data.client_key)
    fill_episode(episode, data)
    db.add(episode)
    db.flush()
    return episode


def get_episode(db: Session, episode_id: str, *, include_deleted: bool = False) -> Episode:
    return get_live(db, Episode, episode_id, "episode", include_deleted=include_deleted)


def update_episode(db: Session, episode_id: str, data: EpisodeIn) -> Episode:
    episode = get_episode(db, episode_id)
    # Replace the regions in two steps so the unique (episode, region, side) rows never collide.
    episode.regions = []
    db.flush()
    fill_episode(episode, data)
    db.flush()
    return episode


def close_episode(db: Session, episode_id: str, ended_at: datetime | None = None) -> Episode:
    """Mark a still-going episode as over, which fixes its duration."""
    episode = get_episode(db, episode_id)
    if not episode.ongoing:
        raise UserInputError.single("ongoing", "this episode is already over")
    if ended_at is None:
        end = clock.now()
    elif ended_at.tzinfo is None:
        end = ended_at.replace(tzinfo=ZoneInfo(episode.timezone)).astimezone(UTC)
    else:
        end = ended_at.astimezone(UTC)
    if end < episode.started_at:
        raise UserInputError.single("ended_at", "the end is before the start")
    if end > clock.now() + timedelta(minutes=10):
        raise UserInputError.single("ended_at", "the end is in the future")
    episode.ongoing = False
    episode.duration_s = int((end - episode.started_at).total_seconds())
    db.flush()
    return episode


def delete_episode(db: Session, episode_id: str) -> Episode:
    """Move an episode to the bin; `restore_episode` undoes this."""
    episode = get_episode(db, episode_id)
    episode.soft_delete()
    db.flush()
    return episode


def restore_episode(db: Session, episode_id: str) -> Episode:
    episode = get_episode(db, episode_id, include_deleted=True)
    episode.restore()
    db.flush()
    return episode


def live_episode_starts(db: Session, episode_ids: set[str]) -> dict[str, datetime]:
    """When each of these episodes started, for those not deleted (others are left out)."""
    if not episode_ids:
        return {}
    query = select(Episode.id, Episode.started_at).where(Episode.id.in_(episode_ids), Episode.deleted_at.is_(None))
    return {episode_id: started_at for episode_id, started_at in db.execute(query)}


def list_episodes(
    db: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    region: str | None = None,
    kind: str | None = None,
    include_deleted: bool = False,
    limit: int | None = None,
) -> list[Episode]:
    """Episodes, newest first, optionally within [start, end) and filtered by region and kind."""
    where: list[ColumnElement[bool]] = []
    if start is not None:
        where.append(Episode.started_at >= start)
    if end is not None:
        where.append(Episode.started_at < end)
    if kind:
        where.append(Episode.kind == kind)
    if region:
        where.append(Episode.regions.any(EpisodeRegion.region_id == region))
    return list_live(
        db,
        Episode,
        where=tuple(where),
        order_by=(Episode.started_at.desc(),),
        limit=limit,
        include_deleted=include_deleted,
    )


def recent_choices(db: Session, *, limit: int = 6) -> list[tuple[str, str, str]]:
    """The person's most recently used (region, side, kind) combinations, newest first, no repeats."""
    seen: list[tuple[str, str, str]] = []
    for episode in list_episodes(db, limit=60):
        for item in episode.regions:
            key = (item.region_id, item.side, episode.kind)
            if key not in seen:
                seen.append(key)
        if len(seen) >= limit:
            break
    return seen[:limit]


def region_side_counts(
    db: Session, *, start: datetime | None = None, end: datetime | None = None
) -> Counter[tuple[str, str]]:
    """How many episodes touched each (region, side) in the period; drives the heat map."""
    counts: Counter[tuple[str, str]] = Counter()
    for episode in list_episodes(db, start=start, end=end):
        for item in episode.regions:
            counts[(item.region_id, item.side)] += 1
    return counts


def episodes_per_day(
    db: Session, first: date, last: date, *, region: str | None = None, kind: str | None = None
) -> Counter[date]:
    start, end = clock.day_bounds(first, last)
    return Counter(
        clock.local_day(e.started_at) for e in list_episodes(db, start=start, end=end, region=region, kind=kind)
    )


# ---------------------------------------------------------------- custom factors


def list_factors(db: Session, *, include_archived: bool = False) -> list[CustomFactor]:
    query = select(CustomFactor).order_by(CustomFactor.name)
    if not include_archived:
        query = query.where(CustomFactor.archived.is_(False))
    return list(db.scalars(query))


def create_factor(db: Session, data: FactorIn) -> CustomFactor:
    existing = db.scalar(select(CustomFactor).where(CustomFactor.name == data.name))
    if existing is not None:
        raise UserInputError.single("name", f"you already track a factor called '{data.name}'")
    factor = CustomFactor(name=data.name, kind=data.kind, unit=data.unit.strip())
    db.add(factor)
    db.flush()
    return factor


def archive_factor(db: Session, factor_id: str) -> CustomFactor:
    """Stop asking about a factor; its past values stay."""
    factor = get_or_raise(db, CustomFactor, factor_id, "custom factor")
    factor.archived = True
    db.flush()
    return factor


def check_factor_value(factor: CustomFactor, value: float) -> str | None:
    """Why a value does not fit a factor's kind, or None if it does."""
    if factor.kind == "yesno" and value not in (0, 1):
        return "is a yes/no factor: use 1 for yes or 0 for no"
    if factor.kind == "scale" and not (0 <= value <= 10):
        return "is a 0–10 scale: use a number from 0 to 10"
    return None


# ---------------------------------------------------------------- check-ins

CHECKIN_FIELDS = (
    "stress",
    "stress_source",
    "sleep_hours",
    "sleep_quality",
    "caffeine_drinks",
    "alcohol_units",
    "exercise_minutes",
    "exercise_type",
    "sitting_hours",
    "fluids_litres",
    "medications",
    "mood",
    "notes",
)


def get_checkin(db: Session, day: date) -> CheckIn | None:
    return db.scalar(select(CheckIn).where(CheckIn.day == day))


def upsert_checkin(db: Session, data: CheckInIn) -> CheckIn:
    """Create or replace the check-in for a day, custom factor values included."""
    factors = {factor.name: factor for factor in list_factors(db, include_archived=True)}
    problems = []
    for name, value in data.factors.items():
        factor = factors.get(name)
        if factor is None:
            problems.append(
                FieldProblem(
                    f"factors.{name}", "is not one of your factors; add it under Check-in → Your factors first"
                )
            )
        elif (reason := check_factor_value(factor, value)) is not None:
            problems.append(FieldProblem(f"factors.{name}", reason))
    if problems:
        raise UserInputError(problems)
    checkin = get_checkin(db, data.day)
    if checkin is None:
        checkin = CheckIn(day=data.day)
        db.add(checkin)
    for field in CHECKIN_FIELDS:
        setattr(checkin, field, getattr(data, field))
    checkin.factor_values = [
        CustomFactorValue(factor_id=factors[name].id, value=value) for name, value in data.factors.items()
    ]
    db.flush()
    return checkin


def list_checkins(db: Session, *, start: date | None = None, end: date | None = None) -> list[CheckIn]:
    """Check-ins ordered by day, optionally for days in [start, end]."""
    query = select(CheckIn).order_by(CheckIn.day)
    if start is not None:
        query = query.where(CheckIn.day >= start)
    if end is not None:
        query = query.where(CheckIn.day <= end)
    return list(db.scalars(query))


NUMERIC_CHECKIN_FIELDS = (
    "stress",
    "sleep_hours",
    "sleep_quality",
    "caffeine_drinks",
    "alcohol_units",
    "exercise_minutes",
    "sitting_hours",
    "fluids_litres",
    "mood",
)


def checkin_values(
    db: Session, *, start: date | None = None, end: date | None = None
) -> list[tuple[date, dict[str, float | None], list[str]]]:
    """Check-ins as plain rows for statistics: (day, numeric fields and "custom:<factor id>" values, medicines).

    Two flat selects instead of ORM objects, because insights read years of days at once.
    """
    columns = [getattr(CheckIn, name) for name in NUMERIC_CHECKIN_FIELDS]
    query = select(CheckIn.id, CheckIn.day, CheckIn.medications, *columns).order_by(CheckIn.day)
    in_range = select(CheckIn.id)
    if start is not None:
        query = query.where(CheckIn.day >= start)
        in_range = in_range.where(CheckIn.day >= start)
    if end is not None:
        query = query.where(CheckIn.day <= end)
        in_range = in_range.where(CheckIn.day <= end)
    # IN (the period's check-ins), not a join: joined on a date range, SQLite walked every value of the person
    # for each check-in (~100 ms for two years of diary, growing with the square of its length).
    values_query = select(CustomFactorValue.checkin_id, CustomFactorValue.factor_id, CustomFactorValue.value).where(
        CustomFactorValue.checkin_id.in_(in_range)
    )
    custom: dict[str, dict[str, float | None]] = {}
    for checkin_id, factor_id, value in db.execute(values_query):
        custom.setdefault(checkin_id, {})[f"custom:{factor_id}"] = value
    rows = []
    for checkin_id, day, medications, *numbers in db.execute(query):
        values: dict[str, float | None] = dict(zip(NUMERIC_CHECKIN_FIELDS, numbers, strict=True))
        values.update(custom.get(checkin_id, {}))
        rows.append((day, values, list(medications or [])))
    return rows


def checkin_out(checkin: CheckIn) -> CheckInOut:
    out = CheckInOut.model_validate(checkin)
    out.factors = {value.factor.name: value.value for value in checkin.factor_values}
    return out


def known_medications(db: Session) -> list[str]:
    """Every medicine name the person has written in a check-in, most recent spelling first."""
    names: dict[str, str] = {}
    for checkin in reversed(list_checkins(db)):
        for name in checkin.medications:
            names.setdefault(name.lower(), name)
    return list(names.values())


# --- for a practitioner's roster: several consenting clients at once --------------------------------------------
# Core statements over the diary's own tables that name the people themselves: the caller of a roster is the
# practitioner, who is none of them, and practice/roster.py passes only clients who consented to this category.


def episode_counts_by_person(
    db: Session, person_ids: Collection[int], start: datetime, middle: datetime, end: datetime
) -> dict[int, tuple[int, int, datetime | None]]:
    """Per person: live episodes started in [start, middle) and in [middle, end), and the newest start (one query)."""
    if not person_ids:
        return {}
    table = Episode.__table__.c
    in_window = table.started_at >= start
    rows = db.execute(
        select(
            table.person_id,
            func.count().filter(in_window, table.started_at < middle),
            func.count().filter(table.started_at >= middle, table.started_at < end),
            func.max(table.started_at),
        )
        .where(among(db, table.person_id, person_ids), table.deleted_at.is_(None))
        .group_by(table.person_id)
    )
    return {row[0]: (row[1], row[2], _aware(row[3])) for row in rows}


def last_checkin_by_person(db: Session, person_ids: Collection[int]) -> dict[int, datetime]:
    """Per person: when their newest check-in was saved (one query)."""
    if not person_ids:
        return {}
    table = CheckIn.__table__.c
    rows = db.execute(
        select(table.person_id, func.max(table.updated_at))
        .where(among(db, table.person_id, person_ids))
        .group_by(table.person_id)
    )
    return {row[0]: moment for row in rows if (moment := _aware(row[1])) is not None}


def _aware(value: datetime | None) -> datetime | None:
    """A UTC value read by a Core statement over a table (naive from the database) as an aware datetime."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
