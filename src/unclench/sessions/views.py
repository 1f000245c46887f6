"""Session pages (library, builder, render progress, player) and the sessions JSON API."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from unclench.accounts.people import person_names
from unclench.body.taxonomy import all_regions, get_region
from unclench.core import clock
from unclench.core.errors import FieldProblem, NotFoundError
from unclench.core.identity import caller_of
from unclench.core.web_db import DbSession
from unclench.sessions import programmes, right_now, service
from unclench.sessions.models import AudioSession, Listen
from unclench.sessions.options import (
    BACKGROUNDS,
    BINAURAL_BEATS,
    ENDINGS,
    MAX_MINUTES,
    MIN_MINUTES,
    PACES,
    PMR_GROUPS,
    PMR_STYLES,
    TECHNIQUES,
    VOICES,
    CheckedOptions,
    SessionOptions,
)
from unclench.sessions.schemas import PracticeForm, ProgrammeForm, SessionForm
from unclench.stress.questionnaires import INSTRUMENTS, load_instrument
from unclench.web.forms import Form, PostedForm, form_page
from unclench.web.templating import render

router = APIRouter()
pages = APIRouter(include_in_schema=False)
# Mounted only on a clinic server (web/app.py): a practitioner's pages about one consenting client.
clinic_router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/sessions", tags=["sessions"])

FILES = {
    "session.wav": "audio/wav",
    "session.ogg": "audio/ogg",
    "session.mp3": "audio/mpeg",
    "transcript.vtt": "text/vtt",
    "chapters.vtt": "text/vtt",
}


def _choices() -> dict[str, Any]:
    return {
        "techniques": TECHNIQUES,
        "pmr_groups": PMR_GROUPS,
        "pmr_styles": PMR_STYLES,
        "backgrounds": BACKGROUNDS,
        "binaurals": BINAURAL_BEATS,
        "endings": ENDINGS,
        "paces": PACES,
        "voices": VOICES,
        "regions": all_regions(),
    }


def _sensor_places(graph: dict[str, Any]) -> list[tuple[str, str]]:
    """(region key, label) of the places an adaptive session's points are about, the expected one first."""
    keys = [graph["sensor_region"], *(f"{p['region']}:{p['side']}" for p in graph["points"])]
    places = []
    for key in dict.fromkeys(k for k in keys if k):
        region_id, _, side = key.partition(":")
        places.append((key, get_region(region_id).describe(side or "both")))
    return places


def _session_view(session: AudioSession) -> dict[str, Any]:
    options = service.options_of(session)
    result = service.result_of(session) if session.status == "ready" else None
    graph = service.adaptive_graph(session) if result is not None and options.adaptive else None
    return {
        "graph": graph,
        "sensor_places": _sensor_places(graph) if graph else [],
        "session": session,
        "options": options,
        "status": service.current_status(session),
        "job": service.job_of(session),
        "result": result,
        "regions": [get_region(r.region_id).describe(r.side) for r in options.regions],
        "technique": TECHNIQUES[options.technique],
    }


@pages.get("/sessions", response_class=HTMLResponse)
def library(request: Request, db: DbSession) -> Response:
    """The person's sessions, practice streak and settings, and the listening log."""
    return _library(request, db)


def _library(request: Request, db: Session, *, errors: dict[str, str] | None = None, reminder: str = "") -> Response:
    preference = service.practice_preference(db)
    return render(
        request,
        "sessions/library.html",
        {
            "sessions": [_session_view(s) for s in service.list_sessions(db)],
            "streak": service.streak_days(db) if preference.streaks_on else None,
            "streaks_on": preference.streaks_on,
            "reminder": reminder or ("" if preference.reminder_minute is None else service.reminder_label(preference)),
            "listens": service.recent_listens(db, limit=10),
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@pages.post("/sessions/practice")
def practice_settings(request: Request, db: DbSession, form: PostedForm) -> Response:
    """Streak on/off and the daily reminder time (empty = no reminder)."""

    def save(valid: PracticeForm) -> Any:
        return service.set_practice_preference(db, streaks_on=valid.streaks, reminder=valid.reminder)

    if form.submit(db, PracticeForm, save) is None:
        return _library(request, db, errors=form.errors, reminder=form.text("reminder"))
    return RedirectResponse("/sessions?saved=practice", status_code=303)


def _builder(request: Request, db: Session, form: Form | None = None) -> Response:
    from unclench.sessions.composer import describe_short_session

    suggested = service.suggest_regions(db)
    cramps = service.has_leg_cramps(db)
    shortest = SessionOptions(minutes=MIN_MINUTES, regions=tuple(suggested), cramp_prone=cramps)
    context = {
        **_choices(),
        "suggested": suggested,
        "suggested_labels": [get_region(r.region_id).describe(r.side) for r in suggested],
        "cramps": cramps,
        "short_note": describe_short_session(shortest),
        "min_minutes": f"{MIN_MINUTES:g}",
        "max_minutes": f"{MAX_MINUTES:g}",
    }
    return form_page(request, "sessions/builder.html", context, form)


@pages.get("/sessions/new", response_class=HTMLResponse)
def builder(request: Request, db: DbSession) -> Response:
    return _builder(request, db)


def _checked_options(db: Session, form: SessionForm) -> CheckedOptions:
    """The form's options with what the diary knows filled in, checked once: they are passed on as they are."""
    return service.personal_options(db, form.options(), auto_regions=form.auto_regions)


@pages.post("/sessions", response_class=HTMLResponse)
def create(request: Request, db: DbSession, form: PostedForm) -> Response:
    form.with_lists("regions")

    def save(valid: SessionForm) -> tuple[Any, CheckedOptions]:
        options = _checked_options(db, valid)
        return service.create_session(db, options, title=valid.title), options

    saved = form.submit(db, SessionForm, save)
    if saved is None:
        return _builder(request, db, form)
    session, options = saved
    service.start_render(db, session, options)
    return RedirectResponse(f"/sessions/{session.id}", status_code=303)


@pages.get("/sessions/right-now", response_class=HTMLResponse)
def right_now_card(request: Request, db: DbSession) -> Response:
    """The home page's "Right now" card, polled by htmx while its sessions are being made."""
    return render(request, "sessions/_right_now.html", {"right_now": right_now.cards(db)})


@pages.post("/sessions/right-now/prepare")
def right_now_prepare(db: DbSession) -> Response:
    """Make the ready-made sessions now (when start-up did not, or a render failed); home shows them getting ready."""
    right_now.prepare(db)
    return RedirectResponse("/#right-now", status_code=303)


@pages.get("/sessions/{session_id}", response_class=HTMLResponse)
def player(request: Request, session_id: str, db: DbSession) -> Response:
    session = service.get_session(db, session_id)
    return render(request, "sessions/player.html", _session_view(session))


@pages.get("/sessions/{session_id}/progress", response_class=HTMLResponse)
def progress(request: Request, session_id: str, db: DbSession) -> Response:
    """The progress fragment polled by htmx; once ready, htmx reloads the page into the player."""
    session = service.get_session(db, session_id)
    view = _session_view(session)
    response = render(request, "sessions/_progress.html", view)
    if view["status"] == "ready":
        response.headers["HX-Refresh"] = "true"
    return response


@pages.post("/sessions/{session_id}/render")
def rerender(session_id: str, db: DbSession) -> Response:
    """Render again (same settings + seed = same audio, reused if the files are still there)."""
    session = service.get_session(db, session_id)
    service.start_render(db, session)
    return RedirectResponse(f"/sessions/{session.id}", status_code=303)


@pages.post("/sessions/{session_id}/variation")
def variation(session_id: str, db: DbSession) -> Response:
    """Same settings, a new seed: different wordings and background."""
    session = service.get_session(db, session_id)
    options = service.with_cue_preferences(db, service.options_of(session))  # as the person's decisions rank them now
    copy = service.create_session(db, replace(options, seed=service.next_variation(db, options)), title=session.title)
    service.start_render(db, copy)
    return RedirectResponse(f"/sessions/{copy.id}", status_code=303)


@pages.get("/sessions/{session_id}/files/{name}")
def session_file(session_id: str, name: str, db: DbSession) -> Response:
    from unclench.sessions.render import export_format  # NumPy and the encoders: only for downloads

    session = service.get_session(db, session_id)
    result = service.result_of(session)
    if name not in FILES or result is None:
        raise NotFoundError(f"No file {name} for this session")
    path = result.folder / name
    if not path.exists() and name.startswith("session."):
        path = export_format(result.folder, name.split(".")[1])
    download = name.startswith("session.") and name != "session.wav"
    filename = f"unclench-{session.id[:8]}.{name.split('.')[1]}" if download else None
    return FileResponse(path, media_type=FILES[name], filename=filename)


@pages.get("/sessions/{session_id}/adaptive/{name}")
def adaptive_file(session_id: str, name: str, db: DbSession) -> Response:
    """An adaptive session's decision graph (graph.json) or its background bed (bed.wav)."""
    return _adaptive_file(session_id, name, db, clip=False)


@pages.get("/sessions/{session_id}/adaptive/clips/{name}")
def adaptive_clip(session_id: str, name: str, db: DbSession) -> Response:
    """One clip of an adaptive session (WAV), as its decision graph names it."""
    return _adaptive_file(session_id, name, db, clip=True)


def _adaptive_file(session_id: str, name: str, db: Session, *, clip: bool) -> Response:
    from unclench.sessions.adaptive import CLIP_NAME, FOLDER

    session = service.get_session(db, session_id)
    result = service.result_of(session)
    allowed = re.fullmatch(CLIP_NAME, name) if clip else name in ("graph.json", "bed.wav")
    path = (result.folder / FOLDER / ("clips" if clip else "") / name) if result is not None and allowed else None
    if path is None or not path.exists():
        raise NotFoundError(f"No adaptive file {name} for this session")
    media = "application/json" if name.endswith(".json") else "audio/wav"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=3600"})


# --- JSON API ----------------------------------------------------------------------------------


class ListenIn(BaseModel):
    tension_before: int | None = None


class ListenUpdate(BaseModel):
    heard_s: float | None = None
    position_s: float | None = None
    finished: bool = False
    tension_before: int | None = None
    tension_after: int | None = None


def _listen_out(listen: Listen) -> dict[str, Any]:
    return {
        "id": listen.id,
        "session_id": listen.session_id,
        "started_at": listen.started_at.isoformat(),
        "finished_at": listen.finished_at.isoformat() if listen.finished_at else None,
        "heard_s": listen.heard_s,
        "completed": listen.completed,
        "status": listen.status,
        "tension_before": listen.tension_before,
        "tension_after": listen.tension_after,
    }


def _session_out(session: AudioSession) -> dict[str, Any]:
    job = service.job_of(session)
    return {
        "id": session.id,
        "title": session.title,
        "status": service.current_status(session),
        "progress": job.fraction if job else (1.0 if session.status == "ready" else 0.0),
        "stage": job.stage if job else session.status,
        "options": session.options,
        "artefact_key": session.artefact_key,
        "duration_s": session.duration_s,
        "loudness_lufs": session.loudness_lufs,
        "created_at": session.created_at.isoformat(),
    }


@api.get("")
def api_list(db: DbSession) -> list[dict[str, Any]]:
    return [_session_out(s) for s in service.list_sessions(db)]


@api.get("/listens")
def api_listens(db: DbSession, limit: int = 50) -> list[dict[str, Any]]:
    """The listening log, newest first."""
    return [_listen_out(listen) for listen in service.recent_listens(db, limit=max(1, min(limit, 500)))]


@api.get("/{session_id}")
def api_get(session_id: str, db: DbSession) -> dict[str, Any]:
    session = service.get_session(db, session_id)
    out = _session_out(session)
    result = service.result_of(session)
    if result is not None:
        out["chapters"] = [{"title": c.title, "start": c.start, "end": c.end} for c in result.timeline.chapters]
        out["transcript"] = [{"start": s.start, "end": s.end, "text": s.text} for s in result.timeline.speech()]
    return out


@api.post("/{session_id}/listens", status_code=201)
def api_start_listen(session_id: str, body: ListenIn, db: DbSession) -> dict[str, Any]:
    return _listen_out(service.start_listen(db, session_id, tension_before=body.tension_before))


@api.patch("/listens/{listen_id}")
def api_update_listen(listen_id: str, body: ListenUpdate, db: DbSession) -> dict[str, Any]:
    listen = service.update_listen(
        db,
        listen_id,
        heard_s=body.heard_s,
        position_s=body.position_s,
        finished=body.finished,
        tension_before=body.tension_before,
        tension_after=body.tension_after,
    )
    return _listen_out(listen)


# --- Programmes: the person's own (local app and clinic) and a practitioner's for a client (clinic only) ----------


def _programme_form(
    request: Request,
    db: Session,
    form: Form | None = None,
    *,
    action: str,
    own: bool,
    heading: str,
    values: dict[str, Any] | None = None,
    back: tuple[str, str] | None = None,
    delete_action: str | None = None,
) -> Response:
    today = clock.today()
    suggested = service.suggest_regions(db)
    emg_regions = {"": "Choose a region"} | {
        f"{region.id}:{side}": region.describe(side)
        for region in all_regions()
        for side in (("left", "right", "both") if region.lateral else ("centre",))
    }
    problems = form.problems if form is not None else []
    context = {
        **_choices(),
        "suggested_labels": [get_region(r.region_id).describe(r.side) for r in suggested],
        "cramps": service.has_leg_cramps(db),
        "min_minutes": f"{MIN_MINUTES:g}",
        "max_minutes": f"{MAX_MINUTES:g}",
        "max_items": programmes.MAX_ITEMS,
        "per_week": {str(k): v for k, v in programmes.PER_WEEK.items()},
        "checkins": programmes.CHECKINS,
        "questionnaires": {"none": "None"} | {i: load_instrument(i)["name"] for i in INSTRUMENTS},
        "emg_choices": {"0": "None"} | {str(n): programmes.PER_WEEK[n] for n in range(programmes.EMG_PER_WEEK, 0, -1)},
        "emg_regions": emg_regions,
        "open_slots": {int(p.field[1]) for p in problems if p.field[:1] == "s" and p.field[1:2].isdigit()},
        "today": today.isoformat(),
        "default_end": (today + timedelta(weeks=6)).isoformat(),
        "action": action,
        "heading": heading,
        "back": back,
        "delete_action": delete_action,
        "own": own,
        "whose": "Your" if own else "The client's",
        "note_label": "A note to yourself" if own else "A note to the client",
        "intro": "Which sessions to listen to how often, and when to check in. The sessions are recorded for you "
        "and appear in your library; the home page shows what is due each day."
        if own
        else "The sessions are recorded on the clinic's server and appear in the client's library; the client's "
        "home page shows what is due each day, and adherence comes from their listening log.",
        "submit": "Save the programme",
    }
    if form is None and values:
        form = Form(values)
    return form_page(request, "sessions/programme_form.html", context, form, status=200 if form and form.ok else None)


def _save_programme(db: Session, form: Form, *, programme_id: str | None) -> tuple[Form, Any]:
    """Save the posted programme (all or nothing); problems are shown at the form's fields."""
    form.with_lists(*(f"s{slot}_regions" for slot in range(programmes.MAX_ITEMS)))
    data, slots = programmes.form_data(form.values)

    def save(valid: ProgrammeForm) -> Any:
        return programmes.save_programme(db, valid, today=clock.today(), programme_id=programme_id)

    saved = form.submit(db, ProgrammeForm, save, data=data)
    form.problems = [FieldProblem(programmes.slot_field(p.field, slots), p.message) for p in form.problems]
    return form, saved


@pages.get("/programme/new", response_class=HTMLResponse)
def programme_new(request: Request, db: DbSession) -> Response:
    return _programme_form(request, db, action="/programme/new", own=True, heading="Make your programme")


@pages.post("/programme/new", response_class=HTMLResponse)
def programme_create(request: Request, db: DbSession, form: PostedForm) -> Response:
    form, saved = _save_programme(db, form, programme_id=None)
    if saved is None:
        return _programme_form(request, db, form, action="/programme/new", own=True, heading="Make your programme")
    return RedirectResponse("/programme", status_code=303)


@pages.get("/programme/{programme_id}/edit", response_class=HTMLResponse)
def programme_edit(request: Request, programme_id: str, db: DbSession) -> Response:
    programme = programmes.get_programme(db, programme_id)
    return _programme_form(
        request,
        db,
        action=f"/programme/{programme.id}/edit",
        own=True,
        heading="Change your programme",
        values=programmes.form_values(programme),
        delete_action=f"/programme/{programme.id}/delete",
    )


@pages.post("/programme/{programme_id}/edit", response_class=HTMLResponse)
def programme_update(request: Request, programme_id: str, db: DbSession, form: PostedForm) -> Response:
    programme = programmes.get_programme(db, programme_id)
    action = f"/programme/{programme.id}/edit"
    form, saved = _save_programme(db, form, programme_id=programme.id)
    if saved is None:
        return _programme_form(
            request,
            db,
            form,
            action=action,
            own=True,
            heading="Change your programme",
            delete_action=f"/programme/{programme.id}/delete",
        )
    return RedirectResponse("/programme", status_code=303)


@pages.post("/programme/{programme_id}/delete")
def programme_delete(programme_id: str, db: DbSession) -> Response:
    programmes.delete_programme(db, programme_id)
    return RedirectResponse(f"/programme?deleted={programme_id}", status_code=303)


@pages.post("/programme/{programme_id}/restore")
def programme_restore(programme_id: str, db: DbSession) -> Response:
    programmes.restore_programme(db, programme_id)
    return RedirectResponse("/programme", status_code=303)


def _client(db: Session, person_id: int) -> int:
    """The client the caller acts for must be the one in the address (the clinic's sign-in check resolves it)."""
    if caller_of(db).person_id != person_id:
        raise NotFoundError(f"No client with id {person_id}.")
    return person_id


def _without_listening_log(request: Request, db: Session) -> Response | None:
    """A 403 page when the client does not share their sessions and listens: a programme is made of sessions in
    their library and followed by their listening log, so prescribing one needs that category."""
    if caller_of(db).may_read("sessions"):
        return None
    message = (
        "This client does not share their sessions and listens with you. A home programme puts sessions in their "
        "library and follows their listening, so it needs that: they can add it on their sharing page."
    )
    return render(request, "error.html", {"message": message, "status": 403}, status_code=403)


@clinic_router.get("/clinic/clients/{person_id}/programme", response_class=HTMLResponse)
def client_programme(request: Request, person_id: int, db: DbSession) -> Response:
    """A practitioner's programme builder for one consenting client: the current programme to change, or a new one."""
    _client(db, person_id)
    if (refused := _without_listening_log(request, db)) is not None:
        return refused
    current = programmes.current_programme(db, today=clock.today()) or programmes.next_programme(
        db, today=clock.today()
    )
    return _programme_form(
        request,
        db,
        action=f"/clinic/clients/{person_id}/programme" + (f"?programme_id={current.id}" if current else ""),
        own=False,
        values=programmes.form_values(current) if current else None,
        **_for_client(db, person_id, changing=current is not None),
    )


def _for_client(db: Session, person_id: int, *, changing: bool) -> dict[str, Any]:
    """The builder's heading and way back, naming the client (a practitioner may have many open)."""
    name = person_names(db, {person_id}).get(person_id, f"client {person_id}")
    heading = f"Change the home programme for {name}" if changing else f"Prescribe a home programme for {name}"
    return {"heading": heading, "back": (f"/clinic/clients/{person_id}", name)}


@clinic_router.post("/clinic/clients/{person_id}/programme", response_class=HTMLResponse)
def client_programme_save(
    request: Request, person_id: int, db: DbSession, form: PostedForm, programme_id: str | None = None
) -> Response:
    _client(db, person_id)
    if (refused := _without_listening_log(request, db)) is not None:
        return refused
    form, saved = _save_programme(db, form, programme_id=programme_id)
    if saved is None:
        action = f"/clinic/clients/{person_id}/programme" + (f"?programme_id={programme_id}" if programme_id else "")
        return _programme_form(
            request, db, form, action=action, own=False, **_for_client(db, person_id, changing=bool(programme_id))
        )
    return RedirectResponse(f"/clinic/clients/{person_id}/programme?saved=1", status_code=303)


router.include_router(pages)
router.include_router(api)
