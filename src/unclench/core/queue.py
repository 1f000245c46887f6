"""The clinic's job queue: procrastinate on the clinic's PostgreSQL database, run by `unclench worker` processes.

Web processes only queue (`enqueue`, over a small synchronous connection pool); workers run the named tasks of
`core/jobs.py` on threads, one procrastinate task per name. Each job's status and progress are `job_state` rows.

Jobs are keyed by what they make: `key` is procrastinate's queueing lock (one waiting job per key) and `lock` its run
lock (jobs with one lock run one after another, so two workers never write the same files). A worker that dies
mid-job (SIGKILL, a lost machine) stops sending heartbeats; every worker looks for such stalled jobs every few
seconds and puts them back in the queue, so the job runs again, not lost. Tasks are written to be run twice: their
files appear by rename, their rows are looked up before they are made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from unclench.core import job_state, jobs
from unclench.core.db import new_id
from unclench.core.errors import UserInputError
from unclench.core.identity import caller_of
from unclench.core.settings import get_settings

if TYPE_CHECKING:
    import procrastinate
    from sqlalchemy.orm import Session

QUEUE = "unclench"
log = logging.getLogger("unclench.worker")


@dataclass(frozen=True)
class WorkerTiming:
    """How often a worker says it is alive and how long silence means it died (UNCLENCH_WORKER_* in seconds)."""

    heartbeat_s: float = 10.0
    stalled_after_s: float = 30.0
    check_stalled_every_s: float = 5.0
    poll_s: float = 5.0

    @classmethod
    def from_env(cls) -> WorkerTiming:
        def seconds(name: str, default: float) -> float:
            value = os.environ.get(f"UNCLENCH_WORKER_{name}")
            return float(value) if value else default

        base = cls()
        return cls(
            heartbeat_s=seconds("HEARTBEAT_S", base.heartbeat_s),
            stalled_after_s=seconds("STALLED_AFTER_S", base.stalled_after_s),
            check_stalled_every_s=seconds("CHECK_STALLED_S", base.check_stalled_every_s),
            poll_s=seconds("POLL_S", base.poll_s),
        )


def conninfo(database_url: str | None = None) -> str:
    """libpq's form of the database URL (SQLAlchemy's names the driver: postgresql+psycopg://)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url or get_settings().database_url)
    if url.get_backend_name() != "postgresql":
        raise RuntimeError("The job queue needs PostgreSQL (UNCLENCH_DATABASE_URL=postgresql://…).")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run_task(name: str, job_id: str, caller: dict[str, Any], arguments: dict[str, Any]) -> Any:
    """What a worker runs for one job: the named task, with its row kept up to date."""
    requester = jobs.caller_from_dict(caller)
    job_state.started(requester, job_id)
    try:
        result = jobs.TASKS[name].function(job_state.reporter(requester, job_id), **arguments)
    except UserInputError as exc:  # the input cannot be used: said once, never retried
        job_state.failed(requester, job_id, str(exc))
        return None
    except Exception as exc:
        traceback.print_exc()
        job_state.failed(requester, job_id, f"{type(exc).__name__}: {exc}")
        raise
    job_state.finished(requester, job_id, result)
    return result


def build_app(connector: Any) -> procrastinate.App:
    """A procrastinate app with one task per registered name (each runs `_run_task`)."""
    import procrastinate

    app = procrastinate.App(connector=connector)
    for name in jobs.import_all_tasks():

        def run(
            context: procrastinate.JobContext,
            *,
            job_id: str,
            caller: dict[str, Any],
            arguments: dict[str, Any],
            _name: str = name,
        ) -> Any:
            with exclusive(context.job.lock):
                return _run_task(_name, job_id, caller, arguments)

        app.task(name=name, queue=QUEUE, pass_context=True)(run)
    return app


@contextlib.contextmanager
def exclusive(lock: str | None) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock named `lock` while a job runs (none: nothing to hold).

    Procrastinate's lock keeps a second job of the same lock waiting; this one also covers the same job run twice,
    which happens when a busy worker's heartbeat comes late and another worker takes its job for stalled: the second
    run waits here until the first ends (then finds its files), or until the first's process dies, which closes its
    connection and so releases the lock.
    """
    if lock is None:
        yield
        return
    import psycopg

    with psycopg.connect(conninfo(), autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (lock,))
        yield


_web_app: procrastinate.App | None = None
_web_lock = threading.Lock()


def web_app() -> procrastinate.App:
    """This process's app for queueing (opened once, a small pool)."""
    global _web_app
    with _web_lock:
        if _web_app is None:
            from procrastinate import SyncPsycopgConnector

            app = build_app(SyncPsycopgConnector(conninfo=conninfo(), min_size=1, max_size=4))
            app.open()
            _web_app = app
        return _web_app


def close_web_app() -> None:
    global _web_app
    with _web_lock:
        if _web_app is not None:
            _web_app.close()
            _web_app = None


def enqueue(
    db: Session,
    name: str,
    label: str,
    arguments: dict[str, Any],
    *,
    key: str | None,
    lock: str | None,
    job_id: str | None = None,
) -> jobs.Job:
    """Queue the task (its row first, committed with the request's changes), or return the waiting job for `key`."""
    from procrastinate.exceptions import AlreadyEnqueued

    if key is not None:
        waiting = job_state.waiting_with_key(db, key)
        if waiting is not None:
            return waiting
    job_id = job_id or new_id()
    caller = caller_of(db)
    row = job_state.add(db, job_id, name, label, key)
    job = job_state.as_job(row)
    db.commit()  # the worker reads the request's rows in its own transaction
    deferrer = web_app().tasks[name].configure(queueing_lock=key, lock=lock)
    try:
        deferrer.defer(job_id=job_id, caller=jobs.caller_to_dict(caller), arguments=arguments)
    except AlreadyEnqueued:
        # Another process queued the same thing a moment ago: that job makes it, this row goes.
        db.delete(row)
        db.commit()
        waiting = job_state.waiting_with_key(db, key) if key else None
        if waiting is None:
            raise
        return waiting
    return job


KEEP_FINISHED_HOURS = 72
"""Finished jobs stay in procrastinate's table this long (to see what ran), then the workers delete them."""


async def _look_after_the_queue(app: procrastinate.App, timing: WorkerTiming) -> None:
    """Put back in the queue the jobs of workers that stopped sending heartbeats (killed mid-job); hourly, delete
    finished jobs older than KEEP_FINISHED_HOURS."""
    rounds_per_hour = max(1, round(3600 / timing.check_stalled_every_s))
    done = 0
    while True:
        await asyncio.sleep(timing.check_stalled_every_s)
        try:
            stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=timing.stalled_after_s)
            for job in stalled:
                log.warning("job %s (%s) was left by a stopped worker: queued again", job.id, job.task_name)
                await app.job_manager.retry_job(job)
            if done % rounds_per_hour == 0:
                await app.job_manager.delete_old_jobs(nb_hours=KEEP_FINISHED_HOURS, queue=QUEUE)
        except Exception:  # the database may be briefly away: the next round tries again
            traceback.print_exc()
        done += 1


def run_worker(*, concurrency: int = 1, timing: WorkerTiming | None = None, queues: Iterable[str] = (QUEUE,)) -> None:
    """Run jobs until stopped (SIGINT/SIGTERM finish the running jobs first)."""
    from procrastinate import PsycopgConnector

    timing = timing or WorkerTiming.from_env()
    app = build_app(PsycopgConnector(conninfo=conninfo(), min_size=1, max_size=concurrency + 3))

    async def main() -> None:
        async with app.open_async():
            checker = asyncio.create_task(_look_after_the_queue(app, timing))
            try:
                await app.run_worker_async(
                    queues=list(queues),
                    concurrency=concurrency,
                    fetch_job_polling_interval=timing.poll_s,
                    update_heartbeat_interval=timing.heartbeat_s,
                    stalled_worker_timeout=timing.stalled_after_s,
                )
            finally:
                checker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await checker

    asyncio.run(main())
