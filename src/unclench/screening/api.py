"""JSON API for the safety screen under /api/safety."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from unclench.core.web_db import DbSession
from unclench.screening import service
from unclench.screening.knowledge import load_physical_causes, load_red_flags, load_triage, source_dict
from unclench.screening.meds import match_medication
from unclench.screening.models import TriageResult
from unclench.screening.schemas import AllClearIn, AllClearOut, MedicationIn, RedFlagsIn, SourceOut, TriageIn, TriageOut
from unclench.screening.triage import TriageOutcome

router = APIRouter(prefix="/api/safety", tags=["safety"])


def triage_out(outcome: TriageOutcome, result: TriageResult | None = None) -> TriageOut:
    return TriageOut(
        id=result.id if result else None,
        taken_at=result.taken_at if result else None,
        level=outcome.level.id,
        title=outcome.level.title,
        action=outcome.level.action,
        answers=list(result.answers) if result else [r.id for r in outcome.matched],
        reasons=list(outcome.reasons),
        sources=[SourceOut(**source_dict(s)) for s in outcome.sources],
    )


@router.get("/triage/questions", summary="The triage questions, most serious first, with their sources")
def questions() -> list[dict[str, Any]]:
    return [
        {
            "id": rule.id,
            "question": rule.question,
            "level": level.id,
            "level_title": level.title,
            "sources": [source_dict(s) for s in rule.sources],
        }
        for level, rules in load_triage().rules_by_level()
        for rule in rules
    ]


@router.post("/triage", response_model=TriageOut, status_code=201, summary="Take the triage and store the result")
def take_triage(data: TriageIn, db: DbSession) -> TriageOut:
    result, outcome = service.record_triage(db, data.yes)
    return triage_out(outcome, result)


@router.get("/triage/latest", response_model=TriageOut | None, summary="The most recent triage, re-read")
def latest(db: DbSession) -> TriageOut | None:
    result = service.latest_triage(db)
    return None if result is None else triage_out(service.outcome_of(result), result)


@router.get("/physical-causes", summary="Physical causes worth asking a doctor about")
def physical_causes() -> dict[str, Any]:
    checklist = load_physical_causes()
    return {
        "intro": checklist.intro,
        "items": [
            {"id": i.id, "title": i.title, "why": i.why, "ask": i.ask, "sources": [source_dict(s) for s in i.sources]}
            for i in checklist.items
        ],
        "blood_tests_note": checklist.blood_tests_note,
    }


@router.get("/medications/check", summary="Match one typed medicine name (nothing is saved)")
def check_medication(name: str = Query(..., max_length=120)) -> dict[str, object]:
    return match_medication(name).as_dict()


@router.get("/medications", summary="Your medicines (list and check-ins) matched to known muscle effects")
def medications(db: DbSession) -> dict[str, Any]:
    return {
        "list": [
            {
                "id": m.id,
                "name": m.name,
                "typed": m.typed,
                "note": m.note,
                "since": m.started_on.isoformat() if m.started_on else None,
            }
            for m in service.list_medications(db)
        ],
        "matches": service.medication_matches(db),
    }


@router.post("/medications", status_code=201, summary="Add a medicine to your list")
def add_medication(data: MedicationIn, db: DbSession) -> dict[str, object]:
    medication, match = service.add_medication(
        db, data.name, note=data.note, keep_unknown=data.keep_unknown, started_on=data.since
    )
    since = medication.started_on.isoformat() if medication.started_on else None
    return {
        "id": medication.id,
        "name": medication.name,
        "typed": medication.typed,
        "note": medication.note,
        "since": since,
        "match": match.as_dict(),
    }


@router.delete("/medications/{medication_id}", status_code=204, summary="Remove a medicine from your list")
def remove_medication(medication_id: str, db: DbSession) -> Response:
    service.remove_medication(db, medication_id)
    return Response(status_code=204)


@router.post("/all-clear", response_model=AllClearOut, status_code=201, summary="Record a doctor's all clear")
def all_clear(data: AllClearIn, db: DbSession) -> AllClearOut:
    return AllClearOut.model_validate(service.record_all_clear(db, data.checked_on, data.note))


@router.get("/all-clear", response_model=AllClearOut | None, summary="The most recent all clear")
def latest_all_clear(db: DbSession) -> AllClearOut | None:
    record = service.latest_all_clear(db)
    return None if record is None else AllClearOut.model_validate(record)


@router.get("/red-flag-features", summary="Warning signs that can be ticked on a diary episode")
def red_flag_features() -> list[dict[str, Any]]:
    return [
        {
            "id": f.id,
            "label": f.label,
            "hint": f.hint,
            "rules": list(f.rules),
            "sources": [source_dict(s) for s in f.sources],
        }
        for f in load_red_flags()
    ]


@router.get("/episodes/{episode_id}/red-flags", summary="Warning signs ticked on one diary episode")
def get_red_flags(episode_id: str, db: DbSession) -> dict[str, Any]:
    from unclench.diary.service import get_episode

    get_episode(db, episode_id)
    return {"episode_id": episode_id, "features": service.episode_red_flags(db, episode_id)}


@router.put("/episodes/{episode_id}/red-flags", summary="Replace the warning signs on a diary episode")
def put_red_flags(episode_id: str, data: RedFlagsIn, db: DbSession) -> dict[str, Any]:
    features = service.set_episode_red_flags(db, episode_id, data.features)
    return {"episode_id": episode_id, "features": features}


@router.get("/notices", summary="Safety notices for the home page (red flags awaiting the triage, reminders)")
def notices(db: DbSession) -> list[dict[str, Any]]:
    return service.safety_notices(db)
