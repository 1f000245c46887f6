"""FHIR R4 export: a collection Bundle with episodes as Observations and questionnaires as QuestionnaireResponses.

Episodes follow the shape of the HL7 Symptoms guide where it fits: a patient-reported ("survey") Observation
whose code is the kind of symptom, ``bodySite`` coded with the body-region id (the side in the text), and
components for severity (0–10 intensity), pain (LOINC 72514-3, 0–10 numeric rating) and duration (UCUM s).
Kinds and regions use unclench's own code systems (a SNOMED CT mapping is not made here).
The Bundle is validated with ``fhir.resources`` (its R4B models, which match R4 for these resources).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from unclench.body.taxonomy import get_region
from unclench.core.errors import UserInputError
from unclench.core.models_registry import domain_module
from unclench.diary import service as diary
from unclench.diary.schemas import KIND_LABELS
from unclench.reports.service import ReportOptions

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


def episode_observation(episode: Any) -> dict[str, Any]:
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


def questionnaire_response(response: Any) -> dict[str, Any]:
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
        "item": items,
    }


def fhir_bundle(db: Session, options: ReportOptions) -> tuple[dict[str, Any], list[str]]:
    """The Bundle for the period, validated; and the list of data kinds that could not be included."""
    options = options.checked()
    start, _ = diary.day_bounds(options.first, options.first)
    _, end = diary.day_bounds(options.last, options.last)
    resources: list[dict[str, Any]] = [
        episode_observation(e) for e in reversed(diary.list_episodes(db, start=start, end=end, kind=options.kind))
    ]
    missing: list[str] = []
    history = getattr(domain_module("stress", "service"), "questionnaire_history", None)
    if history is None:
        missing.append("questionnaires (the stress domain is not available)")
    else:
        for instrument in ("pss10", "phq4"):
            try:
                rows = history(db, instrument)
            except UserInputError:
                continue
            resources += [questionnaire_response(r) for r in rows if start <= r.taken_at < end]
    listening = getattr(domain_module("sessions", "service"), "listening_log", None)
    if listening is None:
        missing.append("relaxation sessions (no listening log is available yet)")
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(datetime.now(UTC)),
        "meta": {"tag": [{"system": f"{BASE}/CodeSystem/provenance", "code": "self-reported"}]},
        "entry": [{"fullUrl": f"urn:uuid:{_uuid(r['id'])}", "resource": r} for r in resources],
    }
    validate_bundle(bundle)
    return bundle, missing


def _uuid(hex_id: str) -> str:
    h = hex_id.replace("-", "")
    if len(h) == 32:
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return hex_id


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Raise if the Bundle is not valid FHIR (fhir.resources R4B models)."""
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)
