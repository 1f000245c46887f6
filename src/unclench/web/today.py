"""What the person's programme asks for today (the "Due today" card) and the programme page.

The programme is the sessions domain's, but what counts as done comes from four domains (listens, the diary's
check-ins, stress questionnaires, EMG recordings), and EMG sits above sessions: so, like the home page, this
gathering lives in the web layer. The card shows on the home page and on the Relax page (loaded by htmx).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.web_db import DbSession
from unclench.emg import service as emg
from unclench.sessions import programmes
from unclench.sessions.programmes import DueTask, Programme, ProgrammeAdherence
from unclench.web.templating import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Today:
    """The programme running today (if any), what it asks for, how it is going, and the next one."""

    programme: Programme | None
    tasks: list[DueTask]
    adherence: ProgrammeAdherence | None
    upcoming: Programme | None

    @property
    def to_do(self) -> list[DueTask]:
        return [t for t in self.tasks if t.due]


def today_summary(db: Session) -> Today:
    """Today's programme tasks, due or done, from the real logs (a few small queries)."""
    today = clock.today()
    programme = programmes.current_programme(db, today=today)
    if programme is None:
        return Today(None, [], None, programmes.next_programme(db, today=today))
    wanted = programmes.emg_days_wanted(programme, today=today)
    recorded = emg.recording_days(db, *wanted) if wanted else None
    return Today(
        programme,
        programmes.due_today(db, programme, today=today, emg_recorded_on=recorded),
        programmes.adherence(db, programme, today=today),
        None,
    )


def due_context(db: Session) -> dict[str, Any]:
    return {"due": today_summary(db)}


@router.get("/programme/due")
def due_card(request: Request, db: DbSession) -> Response:
    """The "Due today" card alone (the Relax page loads it)."""
    return render(request, "sessions/_due_today.html", due_context(db))


@router.get("/programme")
def programme_page(request: Request, db: DbSession, deleted: str = "") -> Response:
    """The person's programme: due today, how it is going, every programme (their own or prescribed); after a
    delete, the programme just moved to the bin with a way to undo it."""
    return render(
        request,
        "sessions/programme.html",
        {
            **due_context(db),
            "programmes": programmes.list_programmes(db),
            "per_week": programmes.PER_WEEK,
            "deleted": programmes.deleted_programme(db, deleted) if deleted else None,
        },
    )
