"""Screening services: plain functions over a database session. Web, CLI and other domains call these.

Public for other domains:
- `safety_notices(db)` — banners/notes for the home page and layout.
- `medication_matches(db)` — the person's medicines matched to known muscle effects (doctor's report).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.db import among, get_or_raise
from unclench.core.errors import UserInputError
from unclench.screening.knowledge import load_medications, load_triage, red_flag
from unclench.screening.meds import MedicationMatch, match_medication, normalise_name
from unclench.screening.models import DoctorContact, EpisodeRedFlag, Medication, PhysicalAllClear, TriageResult
from unclench.screening.schemas import DoctorContactIn, DoctorContactOut, tel_href
from unclench.screening.triage import (
    TriageOutcome,
    emergency_answers,
    evaluate_triage,
    validate_features,
    validate_rule_ids,
)

NOTE_MAX = 2000

# ---------------------------------------------------------------- triage


def record_triage(
    db: Session, yes: list[str], *, taken_at: datetime | None = None
) -> tuple[TriageResult, TriageOutcome]:
    """Evaluate and store a completed triage (the ids of questions answered yes)."""
    outcome = evaluate_triage(yes)
    # Keep every yes answer (self-care ones too, which a more serious outcome does not list).
    result = TriageResult(
        taken_at=taken_at or clock.now(),
        answers=validate_rule_ids(yes),
        level=outcome.level.id,
        reasons=list(outcome.reasons),
    )
    db.add(result)
    db.flush()
    return result, outcome


def latest_triage(db: Session) -> TriageResult | None:
    return db.scalars(select(TriageResult).order_by(TriageResult.taken_at.desc()).limit(1)).first()


def outcome_of(result: TriageResult) -> TriageOutcome:
    """Re-evaluate a stored triage with the current rule book (for showing reasons and sources again).

    Answers to questions that a later version of the rule book dropped are ignored.
    """
    known = {rule.id for rule in load_triage().rules}
    return evaluate_triage([answer for answer in result.answers if answer in known])


# ---------------------------------------------------------------- medicines


def list_medications(db: Session) -> list[Medication]:
    return list(db.scalars(select(Medication).order_by(Medication.added_at, Medication.name)))


def add_medication(
    db: Session, name: str, *, note: str = "", keep_unknown: bool = False, started_on: date | None = None
) -> tuple[Medication, MedicationMatch]:
    """Add a medicine to the person's list under the name we recognise, what was typed kept beside it.

    A name we do not recognise is refused (with suggestions) unless keep_unknown, and then kept as typed.
    """
    match = match_medication(name)
    if len(note) > NOTE_MAX:
        raise UserInputError.single("note", f"is too long ({NOTE_MAX} characters at most)")
    if not match.recognised and not keep_unknown:
        raise UserInputError.single("name", match.message + " If it is spelled right, tick 'keep it as typed'.")
    typed = name.strip()
    stored = match.matched_name or typed
    key = normalise_name(stored)
    for existing in list_medications(db):
        if normalise_name(existing.name) == key:
            raise UserInputError.single("name", f"'{existing.name}' is already on your list")
    medication = Medication(name=stored, typed=typed, note=note.strip(), started_on=started_on)
    db.add(medication)
    db.flush()
    return medication, match


def remove_medication(db: Session, medication_id: str) -> None:
    db.delete(get_or_raise(db, Medication, medication_id, "medicine on your list"))
    db.flush()


def _checkin_medications(db: Session) -> list[str]:
    from unclench.diary.service import known_medications

    return known_medications(db)


def medication_matches(db: Session) -> list[dict[str, Any]]:
    """The person's medicines (their list plus names written in check-ins), each matched to known muscle effects.

    Each dict: name (the name we recognise, else as typed), typed (as the person typed it), origin ('list' or
    'check-in'), found (a known muscle effect), recognised (a medicine name we know), matched_name, matched_kind,
    exact, suggestions, message, name_source, entry (id, class, effect, evidence, evidence_note,
    sources[{title,url}]) or None, and advice ("talk to your prescriber…"). Found ones come first.
    """
    advice = load_medications().advice
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    names = [(m.name, m.typed or m.name, "list") for m in list_medications(db)]
    names += [(n, n, "check-in") for n in _checkin_medications(db)]
    for name, typed, origin in names:
        try:
            match = match_medication(name)
        except UserInputError:
            continue
        key = normalise_name(match.matched_name or name)
        if not key or key in seen:
            continue
        seen.add(key)
        item = match.as_dict()
        item["name"] = match.matched_name or name.strip()
        item["typed"] = typed.strip()
        item["origin"] = origin
        item["advice"] = advice
        out.append(item)
    out.sort(key=lambda d: not d["found"])
    return out


# ---------------------------------------------------------------- physical all clear


def record_all_clear(db: Session, checked_on: date, note: str = "") -> PhysicalAllClear:
    """Record that a doctor has checked the person (date of the visit, optional note)."""
    if checked_on > clock.today():
        raise UserInputError.single("checked_on", "the date is in the future; record the all clear after the visit")
    if checked_on < clock.today() - timedelta(days=365 * 30):
        raise UserInputError.single("checked_on", "that date is too far in the past")
    if len(note) > NOTE_MAX:
        raise UserInputError.single("note", f"is too long ({NOTE_MAX} characters at most)")
    record = PhysicalAllClear(checked_on=checked_on, note=note.strip())
    db.add(record)
    db.flush()
    return record


def latest_all_clear(db: Session) -> PhysicalAllClear | None:
    return db.scalars(
        select(PhysicalAllClear).order_by(PhysicalAllClear.checked_on.desc(), PhysicalAllClear.recorded_at.desc())
    ).first()


def doctor_contact(db: Session) -> DoctorContactOut | None:
    """The person's own doctor's number with its tap-to-call link, or None when they saved none."""
    saved = db.scalar(select(DoctorContact))  # the caller's own row: owner scoping applies
    if saved is None:
        return None
    return DoctorContactOut(name=saved.name, phone=saved.phone, href=tel_href(saved.phone))


def set_doctor_contact(db: Session, data: DoctorContactIn) -> DoctorContactOut | None:
    """Save (or, with an empty number, remove) the person's own doctor's number."""
    saved = db.scalar(select(DoctorContact))
    if not data.phone:
        if saved is not None:
            db.delete(saved)
            db.flush()
        return None
    if saved is None:
        saved = DoctorContact(phone=data.phone)
        db.add(saved)
    saved.phone, saved.name = data.phone, data.name.strip()
    db.flush()
    return doctor_contact(db)


# ---------------------------------------------------------------- red flags on diary episodes


def set_episode_red_flags(db: Session, episode_id: str, features: list[str]) -> list[str]:
    """Replace the red-flag features ticked on a diary episode. Returns the features now set."""
    from unclench.diary.service import get_episode

    chosen = validate_features(features)
    get_episode(db, episode_id)  # NotFoundError for an unknown or deleted episode
    existing = {
        flag.feature_id: flag
        for flag in db.scalars(select(EpisodeRedFlag).where(EpisodeRedFlag.episode_id == episode_id))
    }
    for feature_id, flag in existing.items():
        if feature_id not in chosen:
            db.delete(flag)
    for feature_id in chosen:
        if feature_id not in existing:
            db.add(EpisodeRedFlag(episode_id=episode_id, feature_id=feature_id))
    db.flush()
    return chosen


def triage_from_episode_flags(db: Session, features: list[str]) -> TriageResult | None:
    """An emergency-level sign ticked on an episode goes straight to the emergency outcome: record the check with
    the questions that sign answers (see `triage.emergency_answers`); None when no ticked sign is one."""
    answers = emergency_answers(validate_features(features))
    return record_triage(db, answers)[0] if answers else None


def episode_red_flags(db: Session, episode_id: str) -> list[str]:
    return list(
        db.scalars(
            select(EpisodeRedFlag.feature_id).where(EpisodeRedFlag.episode_id == episode_id).order_by(EpisodeRedFlag.id)
        )
    )


def pending_red_flags(db: Session) -> list[dict[str, Any]]:
    """Red flags ticked on (not deleted) episodes since the last triage: they bring the triage back.

    Each dict: episode_id, started_at, features [ids], labels [plain words].
    """
    from unclench.diary.service import live_episode_starts

    last = latest_triage(db)
    query = select(EpisodeRedFlag).order_by(EpisodeRedFlag.id)
    if last is not None:
        query = query.where(EpisodeRedFlag.created_at > last.taken_at)
    flags = list(db.scalars(query))
    starts = live_episode_starts(db, {flag.episode_id for flag in flags})
    # Newest episode first, as the notices list them; flags on deleted episodes do not count.
    flags = sorted(
        (f for f in flags if f.episode_id in starts), key=lambda f: (-starts[f.episode_id].timestamp(), f.id)
    )
    grouped: dict[str, dict[str, Any]] = {}
    for flag in flags:
        started_at = starts[flag.episode_id]
        feature = red_flag(flag.feature_id)
        item = grouped.setdefault(
            flag.episode_id, {"episode_id": flag.episode_id, "started_at": started_at, "features": [], "labels": []}
        )
        item["features"].append(flag.feature_id)
        item["labels"].append(feature.label if feature else flag.feature_id)
    return list(grouped.values())


def recent_episodes_with_flags(db: Session, *, limit: int = 5) -> list[dict[str, Any]]:
    """The latest diary episodes with the warning signs ticked on each (for the safety page)."""
    from unclench.body.taxonomy import get_region
    from unclench.diary.service import list_episodes

    out = []
    for episode in list_episodes(db, limit=limit):
        features = episode_red_flags(db, episode.id)
        labels = [f.label for f in (red_flag(fid) for fid in features) if f is not None]
        where = ", ".join(get_region(r.region_id).describe(r.side) for r in episode.regions)
        out.append(
            {"id": episode.id, "started_at": episode.started_at, "kind": episode.kind, "where": where, "flags": labels}
        )
    return out


# ---------------------------------------------------------------- notices for the home page / layout


def safety_notices(db: Session) -> list[dict[str, Any]]:
    """Notices for the home page and layout, most important first.

    Each dict: level ('urgent' for a red flag awaiting the triage, 'calm' for gentle reminders), text,
    href, link_text, and kind ('red_flag', 'no_triage', 'no_all_clear').
    """
    notices: list[dict[str, Any]] = []
    pending = pending_red_flags(db)
    if pending:
        labels = list(dict.fromkeys(label.lower() for item in pending for label in item["labels"]))
        entries = "a diary entry" if len(pending) == 1 else f"{len(pending)} diary entries"
        notices.append(
            {
                "kind": "red_flag",
                "level": "urgent",
                "text": f"You noted a warning sign in {entries} ({', '.join(labels)}). "
                "Please take the safety check again so you know whether to see a doctor.",
                "href": "/safety/triage?from=diary",
                "link_text": "Take the safety check",
            }
        )
    if latest_triage(db) is None and not pending:
        notices.append(
            {
                "kind": "no_triage",
                "level": "calm",
                "text": "Before anything else: a two-minute safety check tells you whether anything needs a doctor.",
                "href": "/safety/triage",
                "link_text": "Take the safety check",
            }
        )
    if latest_all_clear(db) is None:
        notices.append(
            {
                "kind": "no_all_clear",
                "level": "calm",
                "text": "Has a doctor checked you about these symptoms yet? Some physical causes are easy to test for. "
                "Once a doctor has seen you, you can note the all clear here.",
                "href": "/safety#all-clear",
                "link_text": "Physical causes and the all clear",
            }
        )
    return notices


# ---------------------------------------------------------------- for a practitioner's roster
# Core statements that name the people themselves (the roster's caller is the practitioner, who is none of them;
# practice/roster.py passes only clients who consented to "safety").

URGENT_LEVELS = ("emergency", "urgent")


def open_red_flags_by_person(db: Session, person_ids: Collection[int]) -> dict[int, str]:
    """Per person with an open red flag, what it is: their latest safety check said see a doctor today (or call
    for help), or they ticked a warning sign on an episode since their latest check (two queries)."""
    if not person_ids:
        return {}
    triage = TriageResult.__table__.c
    latest = (
        select(triage.person_id, func.max(triage.taken_at).label("taken_at"))
        .where(among(db, triage.person_id, person_ids))
        .group_by(triage.person_id)
        .subquery()
    )
    levels = db.execute(
        select(triage.person_id, triage.level).join(
            latest, (latest.c.person_id == triage.person_id) & (latest.c.taken_at == triage.taken_at)
        )
    )
    open_flags = {row.person_id: "safety check: see a doctor today" for row in levels if row.level in URGENT_LEVELS}
    flags = EpisodeRedFlag.__table__.c
    ticked = db.execute(
        select(flags.person_id, func.count())
        .outerjoin(latest, latest.c.person_id == flags.person_id)
        .where(
            among(db, flags.person_id, person_ids),
            (latest.c.taken_at.is_(None)) | (flags.created_at > latest.c.taken_at),
        )
        .group_by(flags.person_id)
    )
    for person_id, count in ticked:
        if count:
            open_flags.setdefault(person_id, "a warning sign ticked since the last safety check")
    return open_flags
