"""Stress pages under /stress (overview with the PSS chart, questionnaires, results, inventory, reflection) and the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from unclench.body.taxonomy import all_regions, get_region
from unclench.core.db import get_or_raise
from unclench.core.errors import NotFoundError
from unclench.core.web_db import DbSession
from unclench.stress import service
from unclench.stress.api import router as api_router
from unclench.stress.chart import pss_chart_svg
from unclench.stress.inventory import load_inventory_data, stressors
from unclench.stress.models import QuestionnaireResponse
from unclench.stress.questionnaires import load_instrument
from unclench.stress.reflection import load_reflection_data, prompts_for_region
from unclench.stress.schemas import AnswersIn
from unclench.web.forms import Form, PostedForm
from unclench.web.templating import render

pages = APIRouter(include_in_schema=False)

SLUGS = {"pss": "pss10", "phq4": "phq4"}


def _chart(db: Session) -> Markup:
    norm = load_instrument("pss10")["norms"]["groups"][0]
    points = [(item["taken_at"], item["total"]) for item in service.pss_history(db)]
    return Markup(pss_chart_svg(points, norm_mean=float(norm["mean"]), norm_sd=float(norm["sd"])))


@pages.get("/stress")
def overview(request: Request, db: DbSession) -> Response:
    pss = service.questionnaire_history(db, "pss10")
    phq = service.questionnaire_history(db, "phq4")
    context: dict[str, Any] = {
        "chart": _chart(db),
        "pss": list(reversed(pss)),
        "phq": list(reversed(phq)),
        "latest_phq": service.rescore(phq[-1]) if phq else None,
        "pss_due": service.pss_due(db),
        "pss_data": load_instrument("pss10"),
        "plan": service.current_plan(db),
        "rated": bool(service.current_ratings(db)),
    }
    return render(request, "stress/overview.html", context)


def _questionnaire_page(
    request: Request,
    slug: str,
    *,
    values: dict[int, str] | None = None,
    errors: list[str] | None = None,
    missing: set[int] | None = None,
    status: int = 200,
) -> Response:
    instrument = SLUGS.get(slug)
    if instrument is None:
        raise NotFoundError(f"No questionnaire called {slug}.")
    return render(
        request,
        "stress/questionnaire.html",
        {
            "slug": slug,
            "data": load_instrument(instrument),
            "values": values or {},
            "errors": errors or [],
            "missing": missing or set(),
        },
        status_code=status,
    )


@pages.get("/stress/results/{response_id}")
def result(request: Request, response_id: str, db: DbSession) -> Response:
    response = get_or_raise(db, QuestionnaireResponse, response_id, "questionnaire answer")
    return render(
        request,
        "stress/result.html",
        {"response": response, "score": service.rescore(response), "data": load_instrument(response.instrument)},
    )


def _inventory_page(
    request: Request,
    db: Session,
    *,
    values: dict[str, dict[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    saved: bool = False,
) -> Response:
    if values is None:
        values = {
            r.stressor_id: {"weight": str(r.weight), "leeway": str(r.leeway)} for r in service.current_ratings(db)
        }
    return render(
        request,
        "stress/inventory.html",
        {
            "stressors": stressors(),
            "data": load_inventory_data(),
            "values": values,
            "errors": errors or {},
            "plan": service.current_plan(db),
            "saved": saved,
        },
        status_code=status,
    )


@pages.get("/stress/inventory")
def inventory(request: Request, db: DbSession, saved: int = 0) -> Response:
    return _inventory_page(request, db, saved=bool(saved))


def _ratings_as_typed(form: Form) -> dict[str, dict[str, str]]:
    """{stressor id: {weight, leeway}} for each rated row; a weight without leeway is left for validation to name."""
    values: dict[str, dict[str, str]] = {}
    for stressor in stressors():
        weight = form.text(f"{stressor.id}.weight").strip()
        leeway = form.text(f"{stressor.id}.leeway").strip()
        if weight or leeway:
            values[stressor.id] = {"weight": weight or "0", "leeway": leeway or ("0" if weight in ("", "0") else "")}
    return values


@pages.post("/stress/inventory")
def inventory_submit(request: Request, db: DbSession, form: PostedForm) -> Response:
    values = _ratings_as_typed(form)
    if form.save(db, lambda: service.save_ratings(db, values)) is None:
        return _inventory_page(request, db, values=values, errors=form.errors, status=422)
    return RedirectResponse("/stress/inventory?saved=1#plan", status_code=303)


def _triage_taken(db: Session) -> bool:
    from unclench.screening.service import latest_triage

    return latest_triage(db) is not None


@pages.get("/stress/reflect")
def reflect(request: Request, db: DbSession, region: str = "") -> Response:
    chosen = get_region(region) if region else None
    return render(
        request,
        "stress/reflect.html",
        {
            "regions": all_regions(),
            "region": chosen,
            "prompts": prompts_for_region(chosen.id) if chosen else [],
            "data": load_reflection_data(),
            "notes": service.list_reflection_notes(db),
            "triage_taken": _triage_taken(db),
        },
    )


@pages.post("/stress/reflect")
def reflect_submit(request: Request, db: DbSession, form: PostedForm) -> Response:
    service.add_reflection_note(db, form.text("prompt_id"), form.text("text"))
    region = form.text("region")
    return RedirectResponse(
        f"/stress/reflect?region={region}#notes" if region else "/stress/reflect#notes", status_code=303
    )


@pages.post("/stress/reflect/{note_id}/delete")
def reflect_delete(note_id: str, db: DbSession) -> Response:
    service.delete_reflection_note(db, note_id)
    return RedirectResponse("/stress/reflect#notes", status_code=303)


# Registered last so /stress/inventory and /stress/reflect win over the questionnaire slug.
@pages.get("/stress/{slug}")
def questionnaire_form(request: Request, slug: str) -> Response:
    return _questionnaire_page(request, slug)


@pages.post("/stress/{slug}")
def questionnaire_submit(request: Request, slug: str, db: DbSession, form: PostedForm) -> Response:
    instrument = SLUGS.get(slug)
    if instrument is None:
        raise NotFoundError(f"No questionnaire called {slug}.")
    numbers = [item["number"] for item in load_instrument(instrument)["items"]]
    values = {n: form.text(f"item{n}") for n in numbers}
    answers = {"answers": [values[n] or None for n in numbers]}
    recorded = form.submit(
        db, AnswersIn, lambda valid: service.record_questionnaire(db, instrument, valid.answers), data=answers
    )
    if recorded is None:
        missing = {n for n in numbers if not values[n]}
        errors = [str(p) for p in form.problems]
        return _questionnaire_page(request, slug, values=values, errors=errors, missing=missing, status=422)
    response, _ = recorded
    return RedirectResponse(f"/stress/results/{response.id}", status_code=303)


router = APIRouter()
router.include_router(pages)
router.include_router(api_router)
