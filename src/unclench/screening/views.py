"""Safety pages under /safety (overview, triage, result, medicines, all clear, red flags on an episode) and the API."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.db import get_or_raise
from unclench.core.errors import UserInputError
from unclench.core.web_db import DbSession
from unclench.screening import service
from unclench.screening.api import router as api_router
from unclench.screening.knowledge import load_medications, load_physical_causes, load_red_flags, load_triage
from unclench.screening.meds import match_medication
from unclench.screening.models import TriageResult
from unclench.screening.schemas import AllClearIn, DoctorContactIn, MedicationIn
from unclench.screening.triage import emergency_answers, rules_for_features
from unclench.web.forms import PostedForm
from unclench.web.templating import render

pages = APIRouter(include_in_schema=False)

LEVEL_HEADINGS = {
    "emergency": "Signs that need help now",
    "urgent": "Signs that need a doctor today",
    "soon": "Signs worth a doctor's appointment",
    "routine": "Things to mention at a routine visit",
    "self_care": "Everyday patterns",
}


def _overview(
    request: Request,
    db: Session,
    *,
    all_clear_values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    doctor_values: dict[str, str] | None = None,
    doctor_errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    last = service.latest_triage(db)
    context: dict[str, Any] = {
        "notices": service.safety_notices(db),
        "last": last,
        "last_outcome": service.outcome_of(last) if last else None,
        "pending": service.pending_red_flags(db),
        "recent": service.recent_episodes_with_flags(db),
        "checklist": load_physical_causes(),
        "all_clear": service.latest_all_clear(db),
        "medications": service.medication_matches(db),
        "values": all_clear_values or {},
        "errors": errors or {},
        "doctor": service.doctor_contact(db),
        "doctor_values": doctor_values,
        "doctor_errors": doctor_errors or {},
        "today": clock.today(),
    }
    return render(request, "screening/overview.html", context, status_code=status)


@pages.get("/safety")
def overview(request: Request, db: DbSession) -> Response:
    return _overview(request, db)


@pages.get("/safety/triage")
def triage_form(request: Request, db: DbSession, yes: Annotated[list[str] | None, Query()] = None) -> Response:
    """The check; `yes` pre-ticks questions (the emergency outcome links back with its answers ticked)."""
    pending = service.pending_red_flags(db)
    features = [f for item in pending for f in item["features"]]
    highlighted = set(rules_for_features(features))
    known = {rule.id for rule in load_triage().rules}
    ticked = {answer for answer in yes or [] if answer in known} | set(emergency_answers(features))
    return render(
        request,
        "screening/triage.html",
        {
            "groups": [(level, LEVEL_HEADINGS[level.id], rules) for level, rules in load_triage().rules_by_level()],
            "highlighted": highlighted,
            "ticked": ticked,
            "pending": pending,
            "notices": [n for n in service.safety_notices(db) if n["kind"] == "red_flag"],
        },
    )


@pages.post("/safety/triage")
def triage_submit(request: Request, db: DbSession, form: PostedForm) -> Response:
    form.with_lists("yes")
    result, _ = service.record_triage(db, form.values["yes"])
    return RedirectResponse(f"/safety/triage/{result.id}", status_code=303)


@pages.get("/safety/triage/{result_id}")
def triage_result(request: Request, result_id: str, db: DbSession) -> Response:
    result = get_or_raise(db, TriageResult, result_id, "safety check result")
    outcome = service.outcome_of(result)
    doctor = service.doctor_contact(db) if outcome.level.own_doctor else None
    return render(request, "screening/result.html", {"result": result, "outcome": outcome, "doctor": doctor})


@pages.post("/safety/all-clear")
def all_clear(request: Request, db: DbSession, form: PostedForm) -> Response:
    data = {"checked_on": form.text("checked_on"), "note": form.text("note")}
    saved = form.submit(
        db, AllClearIn, lambda valid: service.record_all_clear(db, valid.checked_on, valid.note), data=data
    )
    if saved is None:
        return _overview(request, db, all_clear_values=form.values, errors=form.errors, status=422)
    return RedirectResponse("/safety#all-clear", status_code=303)


@pages.post("/safety/doctor")
def doctor_phone(request: Request, db: DbSession, form: PostedForm) -> Response:
    """The person's own doctor's number (empty removes it), offered on the 'see a doctor today' outcome."""
    data = {"phone": form.text("phone"), "name": form.text("name")}
    if form.submit(db, DoctorContactIn, lambda valid: service.set_doctor_contact(db, valid), data=data) is None:
        return _overview(request, db, doctor_values=form.values, doctor_errors=form.errors, status=422)
    return RedirectResponse("/safety#doctor", status_code=303)


def _medicines_page(
    request: Request,
    db: Session,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    checked: Any = None,
    status: int = 200,
) -> Response:
    context = {
        "list": service.list_medications(db),
        "matches": service.medication_matches(db),
        "advice": load_medications().advice,
        "book": load_medications(),
        "values": values or {},
        "errors": errors or {},
        "checked": checked,
    }
    return render(request, "screening/medicines.html", context, status_code=status)


@pages.get("/safety/medicines")
def medicines(request: Request, db: DbSession, check: str = "") -> Response:
    checked = None
    errors: dict[str, str] = {}
    if check.strip():
        try:
            checked = match_medication(check)
        except UserInputError as exc:
            errors = {"check": exc.problems[0].message}
    return _medicines_page(request, db, values={"check": check}, errors=errors, checked=checked)


@pages.post("/safety/medicines")
def add_medicine(request: Request, db: DbSession, form: PostedForm) -> Response:
    data = {
        "name": form.text("name"),
        "note": form.text("note"),
        "keep_unknown": form.text("keep_unknown") == "1",
        "since": form.text("since"),
    }

    def add(valid: MedicationIn) -> Any:
        return service.add_medication(
            db, valid.name, note=valid.note, keep_unknown=valid.keep_unknown, started_on=valid.since
        )

    if form.submit(db, MedicationIn, add, data=data) is None:
        suggestions: list[str] = []
        with contextlib.suppress(UserInputError):
            suggestions = list(match_medication(form.text("name")).suggestions)
        values = {**form.values, "suggestions": ",".join(suggestions)}
        return _medicines_page(request, db, values=values, errors=form.errors, status=422)
    return RedirectResponse("/safety/medicines", status_code=303)


@pages.post("/safety/medicines/{medication_id}/delete")
def delete_medicine(medication_id: str, db: DbSession) -> Response:
    service.remove_medication(db, medication_id)
    return RedirectResponse("/safety/medicines", status_code=303)


@pages.get("/safety/episodes/{episode_id}/flags")
def episode_flags(request: Request, episode_id: str, db: DbSession) -> Response:
    from unclench.diary.service import get_episode

    episode = get_episode(db, episode_id)
    return render(
        request,
        "screening/episode_flags.html",
        {"episode": episode, "features": load_red_flags(), "chosen": set(service.episode_red_flags(db, episode_id))},
    )


@pages.post("/safety/episodes/{episode_id}/flags")
def save_episode_flags(request: Request, episode_id: str, db: DbSession, form: PostedForm) -> Response:
    form.with_lists("feature")
    chosen = service.set_episode_red_flags(db, episode_id, form.values["feature"])
    emergency = service.triage_from_episode_flags(db, chosen)
    if emergency is not None:
        return RedirectResponse(f"/safety/triage/{emergency.id}", status_code=303)
    return RedirectResponse("/safety/triage?from=diary" if chosen else "/", status_code=303)


router = APIRouter()
router.include_router(pages)
router.include_router(api_router)
