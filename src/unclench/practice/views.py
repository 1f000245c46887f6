"""Practitioner mode's pages (clinic servers only): a client's sharing pages, the roster, a client's pages, notes.

Each route's policy is in accounts/views.ROUTE_POLICIES: "person" (the client's own), "practitioner" (the roster),
"client" (about the client in the path: web/clinic_auth.py narrows the caller to what that client consents to, so
the services here show only consented categories without a single check of their own).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from unclench.accounts import audit
from unclench.core import clock
from unclench.core.errors import NotFoundError
from unclench.core.identity import caller_of
from unclench.core.web_db import DbSession, IntegerId
from unclench.practice import roster as roster_service
from unclench.practice import service
from unclench.practice.fhir import consent_bundle
from unclench.practice.schemas import SHAREABLE, ConsentIn, NoteIn
from unclench.web.forms import PostedForm, form_page
from unclench.web.templating import render

# Not named `router`: the app mounts these only on a clinic server (web/app.py).
clinic_router = APIRouter(include_in_schema=False)


def _own_person(db: Any) -> int:
    person_id = caller_of(db).person_id
    if person_id is None:
        raise NotFoundError("This page is for a client's own account.")
    return person_id


# --- the client's own pages --------------------------------------------------------------------------------------


@clinic_router.get("/sharing")
def sharing_page(request: Request, db: DbSession) -> Response:
    links = service.client_links(db, _own_person(db), include_ended=True)
    return form_page(request, "practice/sharing.html", {"links": links, "shareable": SHAREABLE})


@clinic_router.get("/sharing/consent")
def consent_page(request: Request, db: DbSession) -> Response:
    links = service.client_links(db, _own_person(db))
    return form_page(request, "practice/consent.html", {"links": links, "shareable": SHAREABLE})


@clinic_router.post("/sharing/consent")
def give_consent(request: Request, db: DbSession, form: PostedForm) -> Response:
    person_id = _own_person(db)
    form.with_lists("categories")
    try:
        link_id = int(form.text("link_id"))
    except ValueError:
        raise NotFoundError("No such practitioner link.") from None
    done = form.submit(db, ConsentIn, lambda valid: service.give_consent(db, person_id, link_id, valid))
    if done is None:
        links = service.client_links(db, person_id)
        return form_page(request, "practice/consent.html", {"links": links, "shareable": SHAREABLE}, form)
    return RedirectResponse("/sharing", status_code=303)


@clinic_router.post("/sharing/{link_id}/revoke")
def revoke(link_id: IntegerId, db: DbSession) -> Response:
    service.revoke(db, _own_person(db), link_id)
    return RedirectResponse("/sharing", status_code=303)


@clinic_router.get("/sharing/consents.fhir.json")
def consents_fhir(db: DbSession) -> Response:
    person_id = _own_person(db)
    bundle = consent_bundle(service.client_links(db, person_id, include_ended=True), person_id)
    audit.record_export(db, audit.What("consent-fhir"))
    headers = {"Content-Disposition": 'attachment; filename="unclench-consents.fhir.json"'}
    return Response(
        json.dumps(bundle, indent=2, ensure_ascii=False), media_type="application/fhir+json", headers=headers
    )


@clinic_router.get("/sharing/notes")
def shared_notes(request: Request, db: DbSession) -> Response:
    return render(request, "practice/shared_notes.html", {"notes": service.shared_notes(db)})


# --- the practitioner's pages ------------------------------------------------------------------------------------


@clinic_router.get("/clinic")
def roster_page(request: Request, db: DbSession) -> Response:
    account_id = caller_of(db).account_id
    rows = roster_service.build_roster(db, account_id, audit_reads=False) if account_id is not None else []
    page = render(request, "practice/roster.html", {"rows": rows})
    # Audited last: the entries lock the audit chain's head until the commit, which FastAPI makes right after this
    # returns; rendering while holding it made every other practitioner's roster wait for this page's template.
    roster_service.record_roster_reads(db, rows)
    return page


@clinic_router.get("/clinic/clients/{person_id}")
def client_page(request: Request, person_id: IntegerId, db: DbSession) -> Response:
    from unclench.diary import service as diary
    from unclench.stress import service as stress

    caller = caller_of(db)
    summary = roster_service.client_summary(db, caller, person_id)
    context = {
        "person_id": person_id,
        "name": service.client_name(db, person_id),
        "row": summary,
        "shareable": SHAREABLE,
        # Read through the ordinary services: the narrowed caller shows only consented categories.
        "episodes": diary.list_episodes(db, limit=10) if caller.may_read("diary") else None,
        "body_map": _body_map(diary.region_side_counts(db), person_id) if caller.may_read("diary") else None,
        "pss": stress.pss_history(db) if caller.may_read("stress") else None,
        "calendar": _four_weeks(db) if caller.may_read("diary") else None,
        "insights": _insights_in_plain_words(db, practice=caller.may_read("sessions"))
        if caller.may_read("diary") and caller.may_read("checkins")
        else None,
        "reports": caller.may_read("reports"),
    }
    return render(request, "practice/client.html", context)


def _insights_in_plain_words(db: Any, *, practice: bool) -> dict[str, Any]:
    """What goes with more episodes, as the client's own insights page says it to them (their whole diary); what
    practice did only when their listens are shared (else it would read as "no practice")."""
    from unclench.insights import service as insights

    plain = insights.compute_insights(db).plain
    return {"sentences": plain.sentences, "practice": plain.practice if practice else "", "needs": plain.needs}


def _four_weeks(db: Any) -> list[list[tuple[date, int]]]:
    """Episodes per day over the four weeks (Monday to Sunday) up to the client's today, week by week."""
    from unclench.diary import service as diary

    today = clock.today()
    first = today - timedelta(days=today.weekday() + 21)
    counts = diary.episodes_per_day(db, first, today)
    days = [first + timedelta(days=i) for i in range(28)]
    return [[(day, counts.get(day, 0)) for day in days[week * 7 : week * 7 + 7]] for week in range(4)]


@clinic_router.get("/clinic/clients/{person_id}/report.pdf")
def client_report(request: Request, person_id: IntegerId, db: DbSession) -> Response:
    """The doctor's report of the client's last 90 days, built only from what they share."""
    from unclench.reports import service as reports

    if not caller_of(db).may_read("reports"):
        message = "This client does not share reports with you."
        return render(request, "error.html", {"message": message, "status": 403}, status_code=403)
    options = reports.parse_options(None, None)
    data = reports.render_pdf(db, options)
    audit.record_export(db, audit.What("report-pdf", f"{options.first}..{options.last}"))
    headers = {"Content-Disposition": f'attachment; filename="unclench-client-{person_id}-report.pdf"'}
    return Response(data, media_type="application/pdf", headers=headers)


def _body_map(counts: Any, person_id: int) -> Any:
    from unclench.body.bodymap import render_body_map

    return render_body_map(
        side_counts=counts,
        period_label="in their whole diary",
        id_prefix="client-map",
        pick_url=f"/clinic/clients/{person_id}",
        hint="Shading: how many episodes touched each region.",
    )


@clinic_router.get("/clinic/clients/{person_id}/notes")
def notes_page(request: Request, person_id: IntegerId, db: DbSession) -> Response:
    context = {"person_id": person_id, "name": service.client_name(db, person_id), "notes": service.my_notes(db)}
    return form_page(request, "practice/notes.html", context)


@clinic_router.post("/clinic/clients/{person_id}/notes")
def write_note(request: Request, person_id: IntegerId, db: DbSession, form: PostedForm) -> Response:
    note = form.submit(db, NoteIn, lambda valid: service.write_note(db, valid))
    if note is None:
        context = {"person_id": person_id, "name": service.client_name(db, person_id), "notes": service.my_notes(db)}
        return form_page(request, "practice/notes.html", context, form)
    return RedirectResponse(f"/clinic/clients/{person_id}/notes", status_code=303)
