"""The home page (`/`): today's diary, the body map, "Right now" (a ready-made session), safety and practice notices.

It gathers from three domains (diary, screening, sessions), so it lives in the web layer above them; no domain
needs to know about another one's notices.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from unclench.body.bodymap import render_body_map
from unclench.core import clock
from unclench.core.web_db import DbSession
from unclench.diary import service as diary
from unclench.diary.views import episode_form_context
from unclench.screening import service as screening
from unclench.sessions import right_now
from unclench.sessions import service as sessions
from unclench.web.templating import render
from unclench.web.today import today_summary

router = APIRouter(include_in_schema=False)

HEAT_PERIODS = {"7": "last 7 days", "30": "last 30 days", "90": "last 3 months", "365": "last year"}


def body_map(db: Session, days: int) -> Markup:
    """The body map with heat from the last `days` days."""
    side_counts = diary.region_side_counts(db, start=clock.now() - timedelta(days=days))
    period = "in the " + HEAT_PERIODS.get(str(days), f"last {days} days")
    return render_body_map(side_counts=side_counts, period_label=period)


def home_notices(db: Session) -> list[dict[str, Any]]:
    """Safety notices first, then the practice reminder."""
    return screening.safety_notices(db) + sessions.practice_notices(db)


@router.get("/")
def home(request: Request, db: DbSession, days: int = 30) -> Response:
    today = clock.today()
    start, end = clock.day_bounds(today, today)
    context = episode_form_context(db)
    context.update(
        body_map=body_map(db, days),
        days=days,
        heat_periods=HEAT_PERIODS,
        today_episodes=diary.list_episodes(db, start=start, end=end),
        ongoing=[e for e in diary.list_episodes(db, limit=200) if e.ongoing],
        checkin=diary.get_checkin(db, today),
        notices=home_notices(db),
        right_now=right_now.cards(db),
        due=today_summary(db),
        now_local=clock.local_now().strftime("%Y-%m-%dT%H:%M"),
    )
    return render(request, "diary/home.html", context)


@router.get("/more")
def more(request: Request) -> Response:
    """The phone's "More" tab: every page the tab bar has no room for, and the light/night switch."""
    return render(request, "more.html")


@router.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it on pages without a <link rel="icon"> (the report preview); the app icon, not a 404."""
    return FileResponse(Path(__file__).parent / "static" / "icons" / "unclench.svg", media_type="image/svg+xml")


@router.get("/sw.js")
def service_worker() -> Response:
    """The service worker, served from the root so that its scope is the whole app (a file under /static/ could
    only look after /static/); never cached by the browser's HTTP cache, so a new version is found at once."""
    return FileResponse(
        Path(__file__).parent / "static" / "js" / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
