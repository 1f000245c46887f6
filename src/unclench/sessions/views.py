"""Session pages (library, builder, render progress, player) and the sessions JSON API."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from unclench.body.taxonomy import all_regions, get_region
from unclench.core.errors import NotFoundError, UserInputError
from unclench.core.web_db import DbSession
from unclench.sessions import service
from unclench.sessions.models import AudioSession, Listen
from unclench.sessions.options import (
    BACKGROUNDS,
    BINAURAL_BEATS,
    ENDINGS,
    PACES,
    PMR_GROUPS,
    PMR_STYLES,
    TECHNIQUES,
    VOICES,
    SessionOptions,
    TargetRegion,
)
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


def _form_options(form: dict[str, Any], regions: list[str]) -> tuple[SessionOptions, bool]:
    def number(name: str, default: float) -> float:
        raw = str(form.get(name, "")).strip()
        if not raw:
            return default
        try:
            return float(raw)
        except ValueError:
            raise UserInputError.single(name, "must be a number") from None

    targets = []
    for value in regions:
        region_id, _, side = value.partition(":")
        region = get_region(region_id, field="regions")
        targets.append(TargetRegion(region.id, side or ("both" if region.lateral else "centre")))
    seed_text = str(form.get("seed", "")).strip()
    try:
        seed = int(seed_text) if seed_text else service.FIRST_VARIATION
    except ValueError:
        raise UserInputError.single("seed", "The seed is a whole number from 0 to 2147483647.") from None
    groups = number("pmr_groups", 7.0)
    options = SessionOptions(
        minutes=number("minutes", 10),
        technique=str(form.get("technique", "pmr")),
        pmr_groups=int(groups) if groups.is_integer() else -1,
        pmr_style=str(form.get("pmr_style", "tense_release")),
        cramp_prone=form.get("cramp_prone") in ("on", "true", "1"),
        regions=tuple(targets),
        voice=str(form.get("voice", "joe")),
        pace=str(form.get("pace", "calm")),
        background=str(form.get("background", "pink")),
        binaural=str(form.get("binaural", "none")),
        ending=str(form.get("ending", "wake")),
        name=str(form.get("name", "")),
        seed=seed,
    )
    return options, form.get("region_mode", "auto") == "auto"


def _session_view(session: AudioSession) -> dict[str, Any]:
    options = service.options_of(session)
    result = service.result_of(session) if session.status == "ready" else None
    return {
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
    form = await request.form()
    reminder = str(form.get("reminder", ""))
    try:
        service.set_practice_preference(db, streaks_on=form.get("streaks") == "on", reminder=reminder)
    except UserInputError as exc:
        db.rollback()
        return _library(request, db, errors={p.field: p.message for p in exc.problems}, reminder=reminder)
    return RedirectResponse("/sessions?saved=practice", status_code=303)


@pages.get("/sessions/new", response_class=HTMLResponse)
def builder(request: Request, db: DbSession) -> Response:
    suggested = service.suggest_regions(db)
    return render(
        request,
        "sessions/builder.html",
        {
            **_choices(),
            "suggested": suggested,
            "suggested_labels": [get_region(r.region_id).describe(r.side) for r in suggested],
            "cramps": service.has_leg_cramps(db),
            "values": {},
            "errors": {},
        },
    )


@pages.post("/sessions", response_class=HTMLResponse)
async def create(request: Request, db: DbSession) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    regions = [str(v) for v in form.getlist("regions")]
    try:
        options, auto = _form_options(values, regions)
        options = service.personal_options(db, options, auto_regions=auto)
        session = service.create_session(db, options, title=values.get("title", ""))
    except UserInputError as exc:
        errors: dict[str, str] = {}
        for problem in exc.problems:
            errors.setdefault(problem.field, problem.message)
        suggested = service.suggest_regions(db)
        return render(
            request,
            "sessions/builder.html",
            {
                **_choices(),
                "suggested": suggested,
                "suggested_labels": [get_region(r.region_id).describe(r.side) for r in suggested],
                "cramps": service.has_leg_cramps(db),
                "values": {**values, "regions": regions},
                "errors": errors,
            },
            status_code=422,
        )
    service.start_render(db, session)
    return RedirectResponse(f"/sessions/{session.id}", status_code=303)


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
