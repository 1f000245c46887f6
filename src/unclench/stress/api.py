"""JSON API for stress under /api/stress."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from unclench.core.web_db import DbSession
from unclench.stress import service
from unclench.stress.inventory import load_inventory_data, stressors
from unclench.stress.questionnaires import load_instrument
from unclench.stress.reflection import load_reflection_data, prompts_for_region
from unclench.stress.schemas import AnswersIn, RatingIn, ReflectionIn, ReflectionOut, ResponseOut

router = APIRouter(prefix="/api/stress", tags=["stress"])


@router.get("/questionnaires/{instrument}", summary="A questionnaire: items, options, scoring, terms and sources")
def questionnaire(instrument: str) -> dict[str, Any]:
    return load_instrument(instrument)


@router.post("/questionnaires/{instrument}", status_code=201, summary="Answer a questionnaire (pss10 or phq4)")
def answer(instrument: str, data: AnswersIn, db: DbSession) -> dict[str, Any]:
    response, result = service.record_questionnaire(db, instrument, data.answers)
    return {"response": ResponseOut.model_validate(response).model_dump(mode="json"), "score": result.as_dict()}


@router.get(
    "/questionnaires/{instrument}/history", response_model=list[ResponseOut], summary="Every answer, oldest first"
)
def history(instrument: str, db: DbSession) -> list[ResponseOut]:
    return [ResponseOut.model_validate(r) for r in service.questionnaire_history(db, instrument)]


@router.delete("/responses/{response_id}", status_code=204, summary="Delete one questionnaire answer")
def delete_response(response_id: str, db: DbSession) -> Response:
    service.delete_response(db, response_id)
    return Response(status_code=204)


@router.get("/stressors", summary="The life-stressor inventory with your current ratings")
def get_stressors(db: DbSession) -> dict[str, Any]:
    ratings = {r.stressor_id: r for r in service.current_ratings(db)}
    data = load_inventory_data()
    return {
        "weight_scale": data["weight_scale"],
        "leeway_scale": data["leeway_scale"],
        "stressors": [
            {
                "id": s.id,
                "area": s.area,
                "label": s.label,
                "weight": ratings[s.id].weight if s.id in ratings else None,
                "leeway": ratings[s.id].leeway if s.id in ratings else None,
            }
            for s in stressors()
        ],
    }


@router.put("/stressors", summary="Rate stressors {id: {weight, leeway}} (0-4 each); returns the plan")
def put_stressors(data: dict[str, RatingIn], db: DbSession) -> dict[str, Any]:
    plan = service.save_ratings(db, {key: value.model_dump() for key, value in data.items()})
    return plan.as_dict()


@router.get("/plan", summary="Your plan: remove, reduce, or manage with relaxation practice")
def plan(db: DbSession) -> dict[str, Any]:
    return service.current_plan(db).as_dict()


@router.get("/reflection/{region_id}", summary="Reflection prompts for a body region (a tradition, not medical fact)")
def reflection(region_id: str) -> dict[str, Any]:
    data = load_reflection_data()
    return {
        "label": data["label"],
        "disclaimer": data["disclaimer"],
        "sources": data["sources"],
        "prompts": [{"id": p.id, "text": p.text, "region_id": p.region_id} for p in prompts_for_region(region_id)],
    }


@router.get("/reflection-notes", response_model=list[ReflectionOut], summary="Your private reflection notes")
def notes(db: DbSession) -> list[ReflectionOut]:
    return [ReflectionOut.model_validate(n) for n in service.list_reflection_notes(db)]


@router.post("/reflection-notes", response_model=ReflectionOut, status_code=201, summary="Save a reflection note")
def add_note(data: ReflectionIn, db: DbSession) -> ReflectionOut:
    return ReflectionOut.model_validate(service.add_reflection_note(db, data.prompt_id, data.text))


@router.delete("/reflection-notes/{note_id}", status_code=204, summary="Delete a reflection note")
def delete_note(note_id: str, db: DbSession) -> Response:
    service.delete_reflection_note(db, note_id)
    return Response(status_code=204)


@router.get("/pss-history", summary="PSS-10 totals over time (for charts and reports)")
def pss_history(db: DbSession) -> list[dict[str, Any]]:
    return [{**item, "taken_at": item["taken_at"].isoformat()} for item in service.pss_history(db)]
