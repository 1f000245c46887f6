"""A queued job's status and progress as a row (`job_state`), so every web process of a clinic sees every job.

The web process that queues a job writes its row ("queued"); the worker that runs it moves it to "running", reports
progress (at most a few writes a second) and ends it "done" with its JSON result or "failed" with the reason. The row
is the requester's own (person-owned), so a job's progress is visible to its requester alone. Procrastinate's own
table (`procrastinate_jobs`) holds the queue; this one holds what a page shows.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Float, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from unclench.core import clock
from unclench.core.db import Base, PersonOwned, UTCDateTime, id_column_type, session_scope
from unclench.core.identity import Caller
from unclench.core.jobs import Job, Report

PROGRESS_EVERY_S = 0.5
"""Progress is written at most this often (and at every new stage): a render reports hundreds of steps."""


class JobState(PersonOwned, Base):
    """One job queued on this server: what it is, where it stands, and what it made."""

    __tablename__ = "job_state"
    # A practitioner prescribing a programme queues its renders as they act for the client, who may have shared
    # no more than their sessions: a job's progress goes with the sessions it makes.
    consent_category = "sessions"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    key: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    stage: Mapped[str] = mapped_column(String(80), default="waiting")
    fraction: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def as_job(row: JobState) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        label=row.label,
        status=row.status,  # type: ignore[arg-type]
        stage=row.stage,
        fraction=row.fraction,
        error=row.error,
        result=json.loads(row.result) if row.result is not None else None,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def find(db: Session, job_id: str) -> Job | None:
    row = db.get(JobState, job_id)
    return as_job(row) if row is not None else None


def add(db: Session, job_id: str, kind: str, label: str, key: str | None) -> JobState:
    row = JobState(id=job_id, kind=kind, label=label[:200], key=key, status="queued", stage="waiting", fraction=0.0)
    db.add(row)
    db.flush()
    return row


def waiting_with_key(db: Session, key: str) -> Job | None:
    """The newest unfinished job that makes `key`, if there is one."""
    from sqlalchemy import select

    query = (
        select(JobState)
        .where(JobState.key == key, JobState.status.in_(("queued", "running")))
        .order_by(JobState.created_at.desc())
        .limit(1)
    )
    row = db.scalar(query)
    return as_job(row) if row is not None else None


def _update(caller: Caller, job_id: str, **changes: Any) -> None:
    with session_scope(caller) as db:
        row = db.get(JobState, job_id)
        if row is None:  # queued by hand (or its row deleted with its person): nothing to show
            return
        for name, value in changes.items():
            setattr(row, name, value)


def started(caller: Caller, job_id: str) -> None:
    _update(caller, job_id, status="running", stage="starting", fraction=0.0, error="", started_at=clock.now())


def finished(caller: Caller, job_id: str, result: Any) -> None:
    _update(
        caller,
        job_id,
        status="done",
        stage="done",
        fraction=1.0,
        result=json.dumps(result),
        finished_at=clock.now(),
    )


def failed(caller: Caller, job_id: str, error: str) -> None:
    _update(caller, job_id, status="failed", error=error[:2000], finished_at=clock.now())


def reporter(caller: Caller, job_id: str) -> Report:
    """A ``report(stage, fraction)`` that writes progress to the row, at most every PROGRESS_EVERY_S or new stage."""
    last: dict[str, Any] = {"at": 0.0, "stage": None}

    def report(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == last["stage"] and now - last["at"] < PROGRESS_EVERY_S:
            return
        last.update(at=now, stage=stage)
        _update(caller, job_id, stage=stage[:80], fraction=min(1.0, max(0.0, fraction)))

    return report
