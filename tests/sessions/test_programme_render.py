"""A prescribed programme's audio through the real job path (the in-process runner here; procrastinate workers on a
clinic server), rendered as the practitioner acting for the client into the client's library."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from unclench.accounts.people import create_person
from unclench.core import clock
from unclench.core.db import session_scope
from unclench.core.identity import Caller
from unclench.core.jobs import get_runner
from unclench.core.validation import parse_input
from unclench.sessions import programmes, service
from unclench.sessions.schemas import ProgrammeForm


def _form(today: date, items: list[dict[str, str]]) -> ProgrammeForm:
    ends_on = today + timedelta(weeks=2)
    return parse_input(ProgrammeForm, {"starts_on": today.isoformat(), "ends_on": ends_on.isoformat(), "items": items})


def test_a_prescribed_sessions_audio_is_rendered_by_the_job_into_the_clients_library(
    db: Session, phrase_cache: Path
) -> None:
    """The real job path: `start_render` queues the render, which runs as the practitioner acting for the client."""
    today = clock.today()
    client = create_person(db, "Client")
    db.commit()
    practitioner = Caller(kind="account", role="practitioner", account_id=7, person_id=client.id)
    short = {"minutes": "3", "technique": "breathing", "region_mode": "chosen", "per_week": "7"}
    with session_scope(practitioner) as acting:
        _, [queued] = programmes.save_programme(acting, _form(today, items=[short]), today=today)
        session_id, job_id = queued.id, queued.job_id
    assert job_id is not None
    job = get_runner().wait(job_id, timeout=300)
    assert job.status == "done", job.error
    with session_scope(Caller(kind="account", person_id=client.id, role="person")) as as_client:
        session = service.get_session(as_client, session_id)
        assert session.status == "ready" and session.artefact_key == job.result and session.duration_s
    assert service.list_sessions(db) == []
