"""Diary pages (today, log/edit an episode, timeline, calendar, check-in) and the diary API."""

from __future__ import annotations

import calendar as calendar_lib
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi import Form as FormField
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from unclench.body.taxonomy import all_regions, get_region, load_taxonomy
from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.core.validation import EARLIEST_DAY, check_day, latest_day
from unclench.core.web_db import DbSession
from unclench.diary import service
from unclench.diary.api import router as api_router
from unclench.diary.schemas import KIND_LABELS, STRESS_SOURCE_LABELS, CheckInIn, EpisodeIn, FactorIn
from unclench.screening import service as screening_service
from unclench.screening.knowledge import load_red_flags
from unclench.web.forms import Form, PostedForm
from unclench.web.templating import render

pages = APIRouter(include_in_schema=False)


def local_path(target: str, *, default: str) -> str:
    """`target` if it is a path on this site, else `default` (no open redirect through `next`).

    A browser reads `//host/x` and `/\\host/x` as another site, and drops tabs and newlines, so only a single
    leading slash followed by a plain path is kept.
    """
    if not target.startswith("/") or target.startswith("//") or any(ch in target for ch in "\\\t\r\n"):
        return default
    return target


def _kinds_recent_first(recent: list[tuple[str, str, str]]) -> list[str]:
    ordered = [kind for _, _, kind in recent]
    return list(dict.fromkeys([*ordered, *KIND_LABELS]))


def episode_form_context(db: Session) -> dict[str, Any]:
    recent = service.recent_choices(db)
    return {
        "regions": all_regions(),
        "groups": load_taxonomy().groups,
        "kinds": KIND_LABELS,
        "kind_order": _kinds_recent_first(recent),
        "recent": [(get_region(r), s, k) for r, s, k in recent],
        "timezone": clock.person_timezone_name(),
        "region_labels": load_taxonomy().by_id(),
        "red_flags": load_red_flags(),
    }


def _episode_data_from_form(form: dict[str, Any], regions: list[str]) -> dict[str, Any]:
    """Turn form fields into EpisodeIn input. Regions come as 'region:side' values."""
    duration_min = (form.get("duration_min") or "").strip()
    duration_s: Any = None
    if duration_min:
        try:
            duration_s = round(float(duration_min) * 60)
        except ValueError:
            duration_s = duration_min  # let validation explain
    return {
        "started_at": form.get("started_at") or clock.now(),
        "ongoing": form.get("ongoing") == "on",
        "duration_s": duration_s,
        "kind": form.get("kind") or "",
        "intensity": form.get("intensity") or "",
        "pain": form.get("pain") or 0,
        "helped": form.get("helped") or "",
        "notes": form.get("notes") or "",
        "regions": [{"region": r.partition(":")[0], "side": r.partition(":")[2]} for r in regions if r],
    }


def _episode_form(
    request: Request,
    db: Session,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    episode_id: str | None,
    status: int = 200,
) -> Response:
    context = episode_form_context(db)
    context.update(values=values, errors=errors, episode_id=episode_id)
    return render(request, "diary/episode_form.html", context, status_code=status)


@pages.get("/episodes/new")
def new_episode(request: Request, db: DbSession, region: str = "", side: str = "", kind: str = "") -> Response:
    selected = [f"{region}:{side}"] if region else []
    values = {
        "regions": selected,
        "kind": kind,
        "intensity": 5,
        "pain": 0,
        "started_at": clock.local_now().strftime("%Y-%m-%dT%H:%M"),
    }
    return _episode_form(request, db, values=values, errors={}, episode_id=None)


def _store_episode(db: Session, episode_id: str | None, data: EpisodeIn, flags: list[str]) -> tuple[Any, Any]:
    """The episode and its warning signs; with an emergency-level sign, the safety check it answers."""
    episode = service.update_episode(db, episode_id, data) if episode_id else service.create_episode(db, data)
    screening_service.set_episode_red_flags(db, episode.id, flags)
    return episode, screening_service.triage_from_episode_flags(db, flags)


def _save_episode(request: Request, db: Session, form: Form, episode_id: str | None) -> Response:
    form.with_lists("regions", "red_flags")
    flags = form.values["red_flags"]
    saved = form.submit(
        db,
        EpisodeIn,
        lambda data: _store_episode(db, episode_id, data, flags),
        data=_episode_data_from_form(form.values, form.values["regions"]),
    )
    if saved is None:
        values = {**form.values, "ongoing": form.text("ongoing") == "on"}
        return _episode_form(request, db, values=values, errors=form.errors, episode_id=episode_id, status=422)
    episode, emergency = saved
    if emergency is not None:
        # A sign such as face droop needs help now: the emergency outcome at once, not 27 questions first.
        return RedirectResponse(f"/safety/triage/{emergency.id}", status_code=303)
    if flags:
        # A warning sign was noticed: show the safety check straight away rather than a banner later.
        return RedirectResponse(f"/safety/triage?episode={episode.id}", status_code=303)
    target = local_path(form.text("next"), default="/timeline")
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}saved={episode.id}", status_code=303)


@pages.post("/episodes/new")
def create_episode(request: Request, db: DbSession, form: PostedForm) -> Response:
    return _save_episode(request, db, form, None)


@pages.get("/episodes/{episode_id}/edit")
def edit_episode(request: Request, db: DbSession, episode_id: str) -> Response:
    episode = service.get_episode(db, episode_id)
    values = {
        "started_at": episode.started_at.astimezone(ZoneInfo(episode.timezone)).strftime("%Y-%m-%dT%H:%M"),
        "duration_min": "" if episode.duration_s is None else f"{episode.duration_s / 60:g}",
        "ongoing": episode.ongoing,
        "kind": episode.kind,
        "intensity": episode.intensity,
        "pain": episode.pain,
        "helped": episode.helped,
        "notes": episode.notes,
        "regions": [f"{r.region_id}:{r.side}" for r in episode.regions],
        "red_flags": screening_service.episode_red_flags(db, episode_id),
    }
    return _episode_form(request, db, values=values, errors={}, episode_id=episode_id)


@pages.post("/episodes/{episode_id}/edit")
def update_episode(request: Request, db: DbSession, episode_id: str, form: PostedForm) -> Response:
    service.get_episode(db, episode_id)
    return _save_episode(request, db, form, episode_id)


def _back_to(next_path: str, **query: str) -> RedirectResponse:
    """A 303 to the page the form came from (a local path; default the timeline) with `query` added."""
    target = local_path(next_path, default="/timeline")
    added = "&".join(f"{key}={value}" for key, value in query.items())
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}{added}", status_code=303)


@pages.post("/episodes/{episode_id}/delete")
def delete_episode(episode_id: str, db: DbSession, next: str = FormField("")) -> Response:
    service.delete_episode(db, episode_id)
    return _back_to(next, deleted=episode_id)


@pages.post("/episodes/{episode_id}/restore")
def restore_episode(episode_id: str, db: DbSession, next: str = FormField("")) -> Response:
    service.restore_episode(db, episode_id)
    return _back_to(next, saved=episode_id)


@pages.post("/episodes/{episode_id}/close")
def close_episode(episode_id: str, db: DbSession) -> Response:
    service.close_episode(db, episode_id)
    return RedirectResponse("/", status_code=303)


def _filters(region: str, kind: str) -> tuple[str | None, str | None]:
    if region:
        get_region(region)
    if kind and kind not in KIND_LABELS:
        raise UserInputError.single("kind", f"'{kind}' is not a kind of episode; use one of {', '.join(KIND_LABELS)}")
    return region or None, kind or None


@pages.get("/timeline")
def timeline(
    request: Request,
    db: DbSession,
    region: str = "",
    kind: str = "",
    days: int = 30,
    day: str = "",
    saved: str = "",
    deleted: str = "",
) -> Response:
    region_id, kind_id = _filters(region, kind)
    days = max(1, min(days, 3650))
    if day:  # one day (a calendar day's link), not the whole diary around it
        try:
            first = last = check_day(date.fromisoformat(day))
        except ValueError:
            raise UserInputError.single("day", f"use a date like 2026-03-01, up to {latest_day()}") from None
    else:
        first, last = clock.today() - timedelta(days=days - 1), clock.today()
    start, end = clock.day_bounds(first, last)
    episodes = service.list_episodes(db, start=start, end=end, region=region_id, kind=kind_id)
    checkins = {c.day: c for c in service.list_checkins(db, start=first, end=last)}
    by_day: dict[date, list[Any]] = {}
    for episode in episodes:
        by_day.setdefault(clock.local_day(episode.started_at), []).append(episode)
    days_shown = sorted(set(by_day) | set(checkins), reverse=True)
    context = {
        "days_shown": days_shown,
        "by_day": by_day,
        "checkins": checkins,
        "region": region,
        "kind": kind,
        "days": days,
        "one_day": first if day else None,
        "regions": all_regions(),
        "kinds": KIND_LABELS,
        "region_labels": load_taxonomy().by_id(),
        "stress_sources": STRESS_SOURCE_LABELS,
        "saved": saved,
        "deleted": deleted,
        "total": len(episodes),
    }
    return render(request, "diary/timeline.html", context)


@pages.get("/calendar")
def calendar_page(request: Request, db: DbSession, month: str = "", region: str = "", kind: str = "") -> Response:
    region_id, kind_id = _filters(region, kind)
    today = clock.today()
    try:
        first = check_day(date.fromisoformat(f"{month}-01")) if month else today.replace(day=1)
    except ValueError:
        raise UserInputError.single(
            "month", f"use a month like 2026-03, from {EARLIEST_DAY:%Y-%m} to {latest_day():%Y-%m}"
        ) from None
    last = first.replace(day=calendar_lib.monthrange(first.year, first.month)[1])
    counts = service.episodes_per_day(db, first, last, region=region_id, kind=kind_id)
    checkins = {c.day: c for c in service.list_checkins(db, start=first, end=last)}
    weeks = calendar_lib.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    peak = max(counts.values(), default=0)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = last + timedelta(days=1)
    context = {
        "weeks": weeks,
        "first": first,
        "counts": counts,
        "checkins": checkins,
        "peak": peak,
        "today": today,
        "prev_month": prev_month.strftime("%Y-%m"),
        "next_month": next_month.strftime("%Y-%m") if next_month <= today else "",
        "region": region,
        "kind": kind,
        "regions": all_regions(),
        "kinds": KIND_LABELS,
    }
    return render(request, "diary/calendar.html", context)


CHECKIN_NUMBER_FIELDS = (
    "stress",
    "sleep_hours",
    "sleep_quality",
    "caffeine_drinks",
    "alcohol_units",
    "exercise_minutes",
    "sitting_hours",
    "fluids_litres",
    "mood",
)


def _checkin_page(
    request: Request,
    db: Session,
    day: date,
    values: dict[str, Any],
    errors: dict[str, str],
    saved: bool = False,
    status: int = 200,
) -> Response:
    context = {
        "day": day,
        "values": values,
        "errors": errors,
        "saved": saved,
        "stress_sources": STRESS_SOURCE_LABELS,
        "factors": service.list_factors(db),
        "today": clock.today(),
    }
    return render(request, "diary/checkin.html", context, status_code=status)


@pages.get("/checkin")
def checkin_form(request: Request, db: DbSession, day: str = "", saved: int = 0) -> Response:
    try:
        chosen = date.fromisoformat(day) if day else clock.today()
    except ValueError:
        raise UserInputError.single("day", "use a date like 2026-03-01") from None
    existing = service.get_checkin(db, chosen)
    values: dict[str, Any] = {}
    if existing is not None:
        out = service.checkin_out(existing)
        values = out.model_dump()
        values["medications"] = ", ".join(out.medications)
        values["factors"] = {name: f"{v:g}" for name, v in out.factors.items()}
    return _checkin_page(request, db, chosen, values, {}, saved=bool(saved))


def _checkin_data(form: Form, factors: list[Any]) -> dict[str, Any]:
    """CheckInIn input from the check-in form: empty number fields are left out, yes/no factors become 1/0."""
    data: dict[str, Any] = {"day": form.text("day")}
    for name in CHECKIN_NUMBER_FIELDS:
        if form.text(name).strip():
            data[name] = form.text(name).strip()
    if form.text("stress_source"):
        data["stress_source"] = form.text("stress_source")
    data["exercise_type"] = form.text("exercise_type")
    data["notes"] = form.text("notes")
    data["medications"] = form.text("medications").split(",")
    factor_values: dict[str, Any] = {}
    for factor in factors:
        raw = form.text(f"factor:{factor.id}").strip()
        if factor.kind == "yesno":
            raw = {"yes": "1", "no": "0"}.get(raw, raw)
        if raw:
            factor_values[factor.name] = raw
    data["factors"] = factor_values
    return data


@pages.post("/checkin")
def save_checkin(request: Request, db: DbSession, form: PostedForm) -> Response:
    data = _checkin_data(form, service.list_factors(db))
    checkin = form.submit(db, CheckInIn, lambda valid: service.upsert_checkin(db, valid), data=data)
    if checkin is None:
        factors = service.list_factors(db)
        values = {**form.values, "factors": {f.name: form.text(f"factor:{f.id}") for f in factors}}
        try:
            day = date.fromisoformat(form.text("day"))
        except ValueError:
            day = clock.today()
        return _checkin_page(request, db, day, values, form.errors, status=422)
    return RedirectResponse(f"/checkin?day={checkin.day.isoformat()}&saved=1", status_code=303)


@pages.post("/factors")
def add_factor(request: Request, db: DbSession, form: PostedForm) -> Response:
    data = {"name": form.text("name"), "kind": form.text("kind"), "unit": form.text("unit")}
    factor = form.submit(db, FactorIn, lambda valid: service.create_factor(db, valid), data=data)
    if factor is None:
        errors = {"factor_" + name: message for name, message in form.errors.items()}
        return _checkin_page(request, db, clock.today(), {"new_factor": form.values}, errors, status=422)
    return RedirectResponse("/checkin", status_code=303)


@pages.post("/factors/{factor_id}/archive")
def archive_factor(factor_id: str, db: DbSession) -> Response:
    service.archive_factor(db, factor_id)
    return RedirectResponse("/checkin", status_code=303)


router = APIRouter()
router.include_router(api_router)
router.include_router(pages)
