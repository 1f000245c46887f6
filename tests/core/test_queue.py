"""The clinic's queue without a worker, on PostgreSQL: what a web process does when it queues a job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import _empty_all_tables
from unclench.accounts.people import create_person
from unclench.core import db as core_db
from unclench.core import jobs
from unclench.core.identity import Caller
from unclench.core.settings import reset_settings_cache
from unclench.sessions import service
from unclench.sessions.options import SessionOptions


@pytest.fixture
def clinic_queue(postgresql_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("UNCLENCH_DATABASE_URL", postgresql_url)
    monkeypatch.setenv("UNCLENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UNCLENCH_CLINIC", "1")
    reset_settings_cache()
    core_db.dispose_engines()
    yield postgresql_url
    from unclench.core.queue import close_web_app

    close_web_app()
    with core_db.session_scope() as db:
        db.execute(text("DELETE FROM procrastinate_jobs"))
    core_db.dispose_engines()
    _empty_all_tables(postgresql_url)
    reset_settings_cache()


def _person(name: str) -> Caller:
    with core_db.session_scope() as db:
        return Caller(kind="account", person_id=create_person(db, name).id, role="person")


def test_a_clinic_queues_for_its_workers_and_the_same_render_twice_is_one_job(clinic_queue: str) -> None:
    assert jobs.uses_queue()
    owner, other = _person("A"), _person("B")
    with core_db.session_scope(owner) as db:
        session = service.create_session(db, SessionOptions(minutes=3.0, technique="breathing"))
        first = service.start_render(db, session)
        second = service.start_render(db, service.get_session(db, session.id))
        assert second.id == first.id and session.job_id == first.id
        assert (first.status, first.stage) == ("queued", "waiting")
        assert service.current_status(session) == "queued"  # not "interrupted": the job is in the database
    with core_db.session_scope() as db:
        queued = db.execute(text("SELECT task_name, status::text, args FROM procrastinate_jobs")).all()
    assert [(name, status) for name, status, _ in queued] == [("session-render", "todo")]
    assert queued[0][2]["arguments"] == {"session_id": session.id, "caller": jobs.caller_to_dict(owner)}
    # The progress row is its requester's: another person's web request does not see the job at all.
    with core_db.session_scope(other) as db:
        assert jobs.find_job(db, first.id) is None
    with core_db.session_scope(owner) as db:
        assert jobs.get_job(db, first.id).label == session.title


def test_a_practitioner_acting_for_a_client_queues_a_render_that_carries_their_narrowing(
    clinic_queue: str,
) -> None:
    """A prescribed programme's render is queued by a practitioner narrowed to the client's consent: the job's JSON
    holds the narrowing, and the worker carries on as that same caller (no wider)."""
    client = _person("Client")
    acting = Caller(
        kind="account",
        person_id=client.person_id,
        role="practitioner",
        account_id=7,
        categories=frozenset({"sessions", "diary"}),
        writes=frozenset({"sessions"}),
    )
    with core_db.session_scope(acting) as db:
        session = service.create_session(db, SessionOptions(minutes=3.0, technique="breathing"))
        job = service.start_render(db, session)
        assert (job.status, session.status) == ("queued", "queued")
    with core_db.session_scope() as db:
        [args] = db.execute(text("SELECT args FROM procrastinate_jobs")).scalars().all()
    assert args["caller"]["categories"] == ["diary", "sessions"] and args["caller"]["writes"] == ["sessions"]
    assert jobs.caller_from_dict(args["caller"]) == acting == jobs.caller_from_dict(args["arguments"]["caller"])
    assert jobs.caller_from_dict(jobs.caller_to_dict(client)) == client  # a person's own: not narrowed


def test_the_local_app_runs_jobs_in_process(app_env: Path) -> None:
    assert not jobs.uses_queue()
    assert {"session-render", "emg-analyse"} <= set(jobs.import_all_tasks())
