"""FHIR R4 export: a Bundle with episodes as Observations, questionnaires as QuestionnaireResponses, listens as Procedures,
home programmes as CarePlans (one activity per session, check-in, questionnaire or EMG schedule).

Episodes follow the shape of the HL7 Symptoms guide where it fits: a patient-reported ("survey") Observation
whose code is the kind of symptom, ``bodySite`` coded with the body-region id (the side in the text), and
components for severity (0–10 intensity), pain (LOINC 72514-3, 0–10 numeric rating) and duration (UCUM s).
Kinds and regions use unclench's own code systems (a SNOMED CT mapping is not made here).
The Bundle is validated with ``fhir.resources`` (its R4B models, which match R4 for these resources).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from unclench.body.taxonomy import get_region
from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.diary import service as diary
from unclench.diary.schemas import KIND_LABELS
from unclench.reports.service import ReportOptions
from unclench.sessions import programmes
from unclench.sessions import service as sessions
from unclench.stress import service as stress

BASE = "https://unclench.app/fhir"
KIND_SYSTEM = f"{BASE}/CodeSystem/episode-kind"
REGION_SYSTEM = f"{BASE}/CodeSystem/body-region"
COMPONENT_SYSTEM = f"{BASE}/CodeSystem/episode-component"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
PAIN_LOINC = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _region_text(region_id: str, side: str) -> tuple[str, str]:
    try:
        label = get_region(region_id).label
    except UserInputError:
        label = region_id
    return label, f"{label}, {side}" if side and side != "centre" else label


def episode_observation(episode: Any, subject: str | None = None) -> dict[str, Any]:
    """One diary episode as a FHIR Observation (dict)."""
    kind_label = KIND_LABELS.get(episode.kind, episode.kind)
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": episode.id,
        "status": "preliminary" if episode.ongoing else "final",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]}],
        "code": {
            "coding": [{"system": KIND_SYSTEM, "code": episode.kind, "display": kind_label}],
            "text": f"{kind_label} (self-reported)",
        },
        "issued": _instant(episode.created_at),
        **({"subject": {"reference": subject}} if subject else {}),
        "component": [
            {
                "code": {
                    "coding": [
                        {"system": COMPONENT_SYSTEM, "code": "severity", "display": "Severity (intensity 0–10)"}
                    ],
                    "text": "Severity (self-rated intensity, 0–10)",
                },
                "valueInteger": int(episode.intensity),
            },
            {
                "code": {"coding": [{"system": LOINC, "code": PAIN_LOINC[0], "display": PAIN_LOINC[1]}]},
                "valueInteger": int(episode.pain),
            },
        ],
    }
    if episode.duration_s is not None:
        end = episode.started_at + timedelta(seconds=int(episode.duration_s))
        observation["effectivePeriod"] = {"start": _instant(episode.started_at), "end": _instant(end)}
        observation["component"].append(
            {
                "code": {"coding": [{"system": COMPONENT_SYSTEM, "code": "duration", "display": "Duration"}]},
                "valueQuantity": {"value": int(episode.duration_s), "unit": "s", "system": UCUM, "code": "s"},
            }
        )
    else:
        observation["effectiveDateTime"] = _instant(episode.started_at)
    if episode.regions:
        first = episode.regions[0]
        label, text = _region_text(first.region_id, first.side)
        others = [_region_text(r.region_id, r.side)[1] for r in episode.regions[1:]]
        observation["bodySite"] = {
            "coding": [{"system": REGION_SYSTEM, "code": first.region_id, "display": label}],
            "text": "; ".join([text, *others]),
        }
    notes = [text for text in (episode.notes, f"Helped: {episode.helped}" if episode.helped else "") if text]
    if notes:
        observation["note"] = [{"text": text} for text in notes]
    return observation


def questionnaire_response(response: Any, subject: str | None = None) -> dict[str, Any]:
    """A stored PSS-10 / PHQ-4 answer set as a FHIR QuestionnaireResponse (dict)."""
    items: list[dict[str, Any]] = [
        {"linkId": str(i), "answer": [{"valueInteger": int(answer)}]}
        for i, answer in enumerate(response.answers, start=1)
        if answer is not None
    ]
    items.append({"linkId": "total", "text": "Total score", "answer": [{"valueInteger": int(response.total)}]})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": response.id,
        "questionnaire": f"{BASE}/Questionnaire/{response.instrument}",
        "status": "completed",
        "authored": _instant(response.taken_at),
        **({"subject": {"reference": subject}} if subject else {}),
        "item": items,
    }


def listen_status(listen: Any) -> str:
    """The Procedure status of a listen: 'completed' once it counted as listened; a short play that was only
    started is 'in-progress' while the session could still be playing, 'stopped' after that."""
    if getattr(listen, "status", "listened") == "listened":
        return "completed"
    session = getattr(listen, "session", None)
    length = float(getattr(session, "duration_s", None) or 0.0)
    still_playing = listen.finished_at is None and clock.now() < listen.started_at + timedelta(seconds=length)
    return "in-progress" if still_playing else "stopped"


def listen_procedure(listen: Any, subject: str) -> dict[str, Any]:
    """One listen to a relaxation session as a FHIR Procedure (dict), tension before/after in the notes."""
    session = getattr(listen, "session", None)
    options = getattr(session, "options", None) or {}
    technique = str(options.get("technique", "relaxation")) if isinstance(options, dict) else "relaxation"
    end = listen.finished_at or listen.started_at + timedelta(seconds=float(listen.heard_s or 0))
    status = listen_status(listen)
    procedure: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": listen.id,
        "status": status,
        "subject": {"reference": subject},
        "code": {
            "coding": [{"system": f"{BASE}/CodeSystem/relaxation-technique", "code": technique}],
            "text": f"Self-guided relaxation audio session ({technique.replace('_', ' ')})",
        },
        "performedPeriod": {"start": _instant(listen.started_at)}
        if status == "in-progress"
        else {"start": _instant(listen.started_at), "end": _instant(max(end, listen.started_at))},
    }
    heard = float(listen.heard_s or 0)
    notes = [f"Listened for {round(heard / 60)} min." if status == "completed" else f"Started; heard {round(heard)} s."]
    if listen.tension_before is not None or listen.tension_after is not None:
        notes.append(f"Tension (0–10) before: {listen.tension_before}, after: {listen.tension_after} (self-rated).")
    procedure["note"] = [{"text": " ".join(notes)}]
    return procedure


def _timing(per_week: int) -> dict[str, Any]:
    return {"repeat": {"frequency": per_week, "period": 1, "periodUnit": "wk"}}


def _activity(code: str, text: str, status: str, timing: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "detail": {
            "code": {"coding": [{"system": f"{BASE}/CodeSystem/programme-activity", "code": code}], "text": text},
            "status": status,
            "scheduledTiming": timing,
        },
    }


def care_plan(programme: Any, subject: str, listened: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A home programme as a FHIR CarePlan (dict); `listened` maps a session id to the ids of its listens'
    Procedures in the same Bundle, referenced as each session activity's outcome."""
    today = clock.today()
    status = "completed" if programme.ends_on < today else "active"
    activity_status = {"completed": "completed", "active": "in-progress"}[status]
    if programme.starts_on > today:
        activity_status = "not-started"
    activities = []
    for item in programme.items:
        outcomes = [{"reference": f"urn:uuid:{_uuid(i)}"} for i in (listened or {}).get(item.session_id, [])]
        extra = {"outcomeReference": outcomes} if outcomes else {}
        text = f"Listen to the relaxation session “{item.session.title}”"
        activities.append(_activity("listen", text, activity_status, _timing(item.per_week), **extra))
    if programme.checkin_every_days:
        timing = {"repeat": {"frequency": 1, "period": programme.checkin_every_days, "periodUnit": "d"}}
        activities.append(_activity("checkin", "Diary check-in", activity_status, timing))
    if programme.questionnaire and programme.questionnaire_every_days:
        timing = {"repeat": {"frequency": 1, "period": programme.questionnaire_every_days, "periodUnit": "d"}}
        activities.append(_activity("questionnaire", programme.questionnaire.upper(), activity_status, timing))
    if programme.emg_per_week:
        where = f" ({programme.emg_region})" if programme.emg_region else ""
        activities.append(
            _activity("emg", f"Home EMG recording{where}", activity_status, _timing(programme.emg_per_week))
        )
    plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": programme.id,
        "status": status,
        "intent": "order" if programme.prescribed_by_account_id is not None else "plan",
        "title": programme.title,
        "subject": {"reference": subject},
        "period": {"start": programme.starts_on.isoformat(), "end": programme.ends_on.isoformat()},
        "activity": activities,
    }
    if programme.note:
        plan["description"] = programme.note
    return plan


def fhir_bundle(db: Session, options: ReportOptions | None) -> dict[str, Any]:
    """The Bundle for the period (episodes, stress questionnaires, listened sessions), validated.

    `options` None: everything the person ever logged, whatever its date (the export of all their data).
    """
    if options is None:
        start, end, kind = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC), None
    else:
        options = options.checked()
        start, _ = clock.day_bounds(options.first, options.first)
        _, end = clock.day_bounds(options.last, options.last)
        kind = options.kind
    # The diary's own query takes no bounds for "everything" (datetime.min is outside what some databases store).
    first_at, end_at = (start, end) if options is not None else (None, None)
    patient_id = uuid.uuid4().hex
    subject = f"urn:uuid:{_uuid(patient_id)}"
    patient = {
        "resourceType": "Patient",
        "id": patient_id,
        "text": {
            "status": "generated",
            "div": '<div xmlns="http://www.w3.org/1999/xhtml">The person who kept this diary (no identifying details exported).</div>',
        },
    }
    resources: list[dict[str, Any]] = [patient]
    resources += [
        episode_observation(e, subject)
        for e in reversed(diary.list_episodes(db, start=first_at, end=end_at, kind=kind))
    ]
    for instrument in ("pss10", "phq4"):
        rows = stress.questionnaire_history(db, instrument)
        resources += [questionnaire_response(r, subject) for r in rows if start <= r.taken_at < end]
    listens = [x for x in reversed(sessions.recent_listens(db, limit=100_000)) if start <= x.started_at < end]
    resources += [listen_procedure(x, subject) for x in listens]
    listened: dict[str, list[str]] = {}
    for listen in listens:
        listened.setdefault(listen.session_id, []).append(listen.id)
    resources += [
        care_plan(p, subject, listened)
        for p in programmes.list_programmes(db)
        if options is None or (p.starts_on <= options.last and p.ends_on >= options.first)
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(clock.now()),
        "meta": {"tag": [{"system": f"{BASE}/CodeSystem/provenance", "code": "self-reported"}]},
        "entry": [{"fullUrl": f"urn:uuid:{_uuid(r['id'])}", "resource": r} for r in resources],
    }
    validate_bundle(bundle)
    return bundle


def _uuid(hex_id: str) -> str:
    h = hex_id.replace("-", "")
    if len(h) == 32:
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return hex_id


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Raise if the Bundle is not valid FHIR (fhir.resources R4B models)."""
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)
