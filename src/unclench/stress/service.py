"""Stress services: questionnaires with history, the stressor inventory and plan, reflection notes.

Public for other domains:
- `pss_history(db)` — PSS-10 totals over time (insights, reports).
- `stress_notices(db)` — gentle reminders for the home page (same shape as screening's safety_notices).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.db import among, get_or_raise
from unclench.core.errors import UserInputError
from unclench.stress.inventory import Plan, Rating, make_plan, validate_ratings
from unclench.stress.models import QuestionnaireResponse, ReflectionNote, StressorRating
from unclench.stress.questionnaires import Score, load_instrument, score
from unclench.stress.reflection import get_prompt

NOTE_MAX = 5000

# ---------------------------------------------------------------- questionnaires


def record_questionnaire(
    db: Session,
    instrument: str,
    answers: Sequence[int | str | None] | Mapping[int, int | str | None],
    *,
    taken_at: datetime | None = None,
) -> tuple[QuestionnaireResponse, Score]:
    """Score a completed questionnaire and store it; incomplete answers raise UserInputError and store nothing."""
    result = score(instrument, answers)
    when = taken_at or clock.now()
    if when.tzinfo is None:
        raise UserInputError.single("taken_at", "needs a time zone")
    if when > clock.now() + timedelta(minutes=10):
        raise UserInputError.single("taken_at", "is in the future")
    response = QuestionnaireResponse(
        instrument=instrument,
        taken_at=when,
        answers=list(result.answers),
        total=result.total,
        band=result.band or "",
        subscores=dict(result.subscores),
    )
    db.add(response)
    db.flush()
    return response, result


def questionnaire_history(db: Session, instrument: str) -> list[QuestionnaireResponse]:
    """Every response to one instrument, oldest first."""
    load_instrument(instrument)
    return list(
        db.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.instrument == instrument)
            .order_by(QuestionnaireResponse.taken_at)
        )
    )


def rescore(response: QuestionnaireResponse) -> Score:
    return score(response.instrument, response.answers)


def delete_response(db: Session, response_id: str) -> None:
    db.delete(get_or_raise(db, QuestionnaireResponse, response_id, "questionnaire answer"))
    db.flush()


def pss_history(db: Session) -> list[dict[str, Any]]:
    """PSS-10 totals over time, oldest first: [{taken_at (aware UTC), total (0-40), band, id}]."""
    return [
        {"id": r.id, "taken_at": r.taken_at, "total": r.total, "band": r.band}
        for r in questionnaire_history(db, "pss10")
    ]


def pss_due(db: Session) -> bool:
    """True when the PSS-10 has never been taken, or from the day a month (its repeat interval) after the last one.

    Counted in the person's calendar days, not hours, so it falls due in the morning of that day and a clock change
    in between moves nothing."""
    history = questionnaire_history(db, "pss10")
    if not history:
        return True
    repeat = timedelta(days=int(load_instrument("pss10")["repeat_days"]))
    return clock.today() >= clock.local_day(history[-1].taken_at) + repeat


def stress_notices(db: Session) -> list[dict[str, Any]]:
    """Calm reminders for the home page: the monthly PSS-10 is due (only once it has been taken before)."""
    history = questionnaire_history(db, "pss10")
    if history and pss_due(db):
        return [
            {
                "kind": "pss_due",
                "level": "calm",
                "text": f"It is a month since your last stress questionnaire ({history[-1].total} of 40). "
                "Two minutes to see how things have moved?",
                "href": "/stress/pss",
                "link_text": "Take the PSS-10",
            }
        ]
    return []


# ---------------------------------------------------------------- stressor inventory


def current_ratings(db: Session) -> list[Rating]:
    return [
        Rating(r.stressor_id, r.weight, r.leeway)
        for r in db.scalars(select(StressorRating).order_by(StressorRating.stressor_id))
    ]


def save_ratings(db: Session, raw: Mapping[str, Mapping[str, Any]]) -> Plan:
    """Create or update ratings for the stressors given (others stay as they were); returns the new plan."""
    ratings = validate_ratings(raw)
    existing = {r.stressor_id: r for r in db.scalars(select(StressorRating))}
    for rating in ratings:
        row = existing.get(rating.stressor_id)
        if row is None:
            db.add(StressorRating(stressor_id=rating.stressor_id, weight=rating.weight, leeway=rating.leeway))
        else:
            row.weight, row.leeway = rating.weight, rating.leeway
    db.flush()
    return current_plan(db)


def current_plan(db: Session) -> Plan:
    return make_plan(current_ratings(db))


# ---------------------------------------------------------------- reflection notes


def add_reflection_note(db: Session, prompt_id: str, text: str) -> ReflectionNote:
    prompt = get_prompt(prompt_id)
    if prompt is None:
        raise UserInputError.single("prompt_id", f"'{prompt_id}' is not a known reflection prompt")
    body = text.strip()
    if not body:
        raise UserInputError.single("text", "write something first (or simply skip this prompt)")
    if len(body) > NOTE_MAX:
        raise UserInputError.single("text", f"is too long ({NOTE_MAX} characters at most)")
    note = ReflectionNote(region_id=prompt.region_id, prompt_id=prompt.id, prompt_text=prompt.text, text=body)
    db.add(note)
    db.flush()
    return note


def list_reflection_notes(db: Session, *, region_id: str | None = None) -> list[ReflectionNote]:
    query = select(ReflectionNote).order_by(ReflectionNote.created_at.desc())
    if region_id is not None:
        query = query.where(ReflectionNote.region_id == region_id)
    return list(db.scalars(query))


def delete_reflection_note(db: Session, note_id: str) -> None:
    db.delete(get_or_raise(db, ReflectionNote, note_id, "reflection note"))
    db.flush()


# --- for a practitioner's roster: several consenting clients at once --------------------------------------------


def latest_pss_by_person(db: Session, person_ids: Collection[int]) -> dict[int, tuple[int, str, datetime]]:
    """Per person: their latest PSS-10 total, its band and when (one query; a Core statement naming the people, as
    practice/roster.py passes only clients who consented to "stress")."""
    if not person_ids:
        return {}
    table = QuestionnaireResponse.__table__.c
    # Every PSS-10 row of these people, oldest first, the last one per person kept: a questionnaire a month makes
    # few rows, and PostgreSQL plans this far faster than a "latest per person" self-join.
    rows = db.execute(
        select(table.person_id, table.total, table.band, table.taken_at)
        .where(among(db, table.person_id, person_ids), table.instrument == "pss10")
        .order_by(table.taken_at)
    )
    return {row.person_id: (row.total, row.band, row.taken_at) for row in rows}
