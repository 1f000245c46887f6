"""Long work (rendering audio, analysing a long EMG file) as named jobs with progress.

A domain registers a task by name (`@task("session-render")` in its `tasks.py`); the task takes JSON arguments (ids,
the requester as `caller_to_dict`) and a callback ``report(stage, fraction)``. `enqueue` runs it where this server
runs its jobs (`Settings.job_queue`):

- "thread" (the app on a person's own computer): in-process on a background thread pool, `JobRunner`; the registry
  lives in memory and a page polls it for progress. Whatever the job produces is stored by the job itself (in its
  domain's tables), so nothing is lost when the registry is forgotten.
- "postgres" (a clinic server): through procrastinate (`core/queue.py`) to an `unclench worker` process; status and
  progress are rows of `job_state` (`core/job_state.py`), so every web process sees every job.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from unclench.core import clock
from unclench.core.db import new_id
from unclench.core.errors import NotFoundError, UserInputError
from unclench.core.identity import Caller
from unclench.core.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

JobStatus = Literal["queued", "running", "done", "failed"]
Report = Callable[[str, float], None]
Work = Callable[[Report], Any]


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    label: str
    status: JobStatus = "queued"
    stage: str = "waiting"
    fraction: float = 0.0
    error: str = ""
    result: Any = None
    created_at: datetime = field(default_factory=clock.now)
    finished_at: datetime | None = None

    @property
    def percent(self) -> int:
        return round(self.fraction * 100)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


class JobRunner:
    """Runs submitted work on ``workers`` threads and keeps each job's state."""

    def __init__(self, workers: int = 1, keep: int = 200) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="unclench-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._keep = keep

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)

    def submit(self, kind: str, label: str, work: Work, *, job_id: str | None = None) -> Job:
        """Queue ``work(report)``; ``job_id`` lets a caller store the id before the work can start."""
        job = Job(id=job_id or new_id(), kind=kind, label=label)
        with self._lock:
            self._jobs[job.id] = job
            if len(self._jobs) > self._keep:
                for old in [j.id for j in self._jobs.values() if j.finished][: len(self._jobs) - self._keep]:
                    del self._jobs[old]

        def report(stage: str, fraction: float) -> None:
            self._update(job.id, stage=stage, fraction=min(1.0, max(0.0, fraction)))

        def run() -> None:
            self._update(job.id, status="running", stage="starting")
            try:
                result = work(report)
            except UserInputError as exc:
                self._update(job.id, status="failed", error=str(exc), finished_at=clock.now())
            except Exception as exc:  # a job must never die silently
                traceback.print_exc()
                self._update(job.id, status="failed", error=f"{type(exc).__name__}: {exc}", finished_at=clock.now())
            else:
                self._update(job.id, status="done", stage="done", fraction=1.0, result=result, finished_at=clock.now())

        self._pool.submit(run)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"No job {job_id}")
        return job

    def find(self, job_id: str | None) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id) if job_id else None

    def wait(self, job_id: str, timeout: float = 600.0) -> Job:
        """Block until the job finishes (CLI and tests)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job.finished:
                return job
            time.sleep(0.05)
        raise TimeoutError(f"job {job_id} did not finish in {timeout} s")


_runner: JobRunner | None = None
_runner_lock = threading.Lock()


def get_runner() -> JobRunner:
    """The process-wide runner (one worker: long jobs use every core themselves)."""
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = JobRunner(workers=1)
        return _runner


# --- Named tasks ----------------------------------------------------------------------------------------------------

TaskFunction = Callable[..., Any]
"""``function(report, **arguments) -> JSON result``: the arguments are what `enqueue` was given, JSON and all."""


@dataclass(frozen=True)
class Task:
    name: str
    function: TaskFunction


TASKS: dict[str, Task] = {}


def task(name: str) -> Callable[[TaskFunction], TaskFunction]:
    """Register `function(report, **arguments)` as the task `name` (a domain's `tasks.py` does this at import)."""

    def register(function: TaskFunction) -> TaskFunction:
        TASKS[name] = Task(name=name, function=function)
        return function

    return register


def import_all_tasks() -> dict[str, Task]:
    """Every domain's `tasks` module (the worker runs any of them; `enqueue` looks its task up here)."""
    from unclench.core.models_registry import DOMAINS, domain_module

    for domain in DOMAINS:
        domain_module(domain, "tasks")
    return TASKS


# The caller's narrowing sets (a practitioner acting for a consenting client), which JSON holds as lists.
_CATEGORY_SETS = ("categories", "writes")


def caller_to_dict(caller: Caller) -> dict[str, Any]:
    """The requester as JSON, for a task's arguments (the worker carries on as them, narrowed as they were)."""
    data = asdict(caller)
    for name in _CATEGORY_SETS:
        if data[name] is not None:
            data[name] = sorted(data[name])
    return data


def caller_from_dict(data: dict[str, Any]) -> Caller:
    sets = {name: frozenset(data[name]) for name in _CATEGORY_SETS if data.get(name) is not None}
    return Caller(**(data | sets))


def uses_queue() -> bool:
    """True on a server whose jobs go to the PostgreSQL queue and its `unclench worker` processes."""
    return get_settings().job_queue == "postgres"


def enqueue(
    name: str,
    label: str,
    arguments: dict[str, Any],
    *,
    db: Session,
    key: str | None = None,
    lock: str | None = None,
    job_id: str | None = None,
) -> Job:
    """Run the task `name` with `arguments` in the background; returns its job (poll it with `find_job`).

    `key`: what the job makes (a render's settings hash, an upload's content hash): while a job with this key waits
    or runs, that job is returned instead of queueing another. `lock`: jobs with the same lock never run at the same
    time (two workers never write the same files). On the thread runner (one worker thread) both hold already.
    The request's own changes are committed first, so the job reads them.
    """
    tasks = import_all_tasks()
    if name not in tasks:
        raise KeyError(f"no task named {name!r}")
    if uses_queue():
        from unclench.core import queue

        return queue.enqueue(db, name, label, arguments, key=key, lock=lock, job_id=job_id)
    db.commit()
    function = tasks[name].function
    return get_runner().submit(name, label, lambda report: function(report, **arguments), job_id=job_id)


def find_job(db: Session, job_id: str | None) -> Job | None:
    """The job with this id as this server knows it, or None (forgotten, or never here)."""
    if not job_id:
        return None
    if uses_queue():
        from unclench.core import job_state

        return job_state.find(db, job_id)
    return get_runner().find(job_id)


def get_job(db: Session, job_id: str) -> Job:
    job = find_job(db, job_id)
    if job is None:
        raise NotFoundError(f"No job {job_id}")
    return job


def wait_job(job_id: str, caller: Caller, timeout: float = 600.0) -> Job:
    """Block until the job finishes (commands and tests)."""
    if not uses_queue():
        return get_runner().wait(job_id, timeout)
    import time

    from unclench.core.db import session_scope

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(caller) as db:
            job = get_job(db, job_id)
        if job.finished:
            return job
        time.sleep(0.1)
    raise TimeoutError(f"job {job_id} did not finish in {timeout} s")
