"""Session pages (library, builder, render progress, player) and the sessions JSON API."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from unclench.body.taxonomy import all_regions, get_region
from unclench.core.errors import NotFoundError
from unclench.core.web_db import DbSession
from unclench.sessions import right_now, service
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
from unclench.sessions.schemas import PracticeForm, SessionForm
from unclench.web.forms import Form, form_page, read_form
from unclench.web.templating import render

router = APIRouter()
pages = APIRouter(include_in_schema=False)
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
async def practice_settings(request: Request, db: DbSession) -> Response:
    """Streak on/off and the daily reminder time (empty = no reminder)."""
    form = await read_form(request)

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
async def create(request: Request, db: DbSession) -> Response:
    form = await read_form(request, lists=("regions",))

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
    options = service.options_of(session)
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


router.include_router(pages)
router.include_router(api)
