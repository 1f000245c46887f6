"""A small job runner with progress, for long work (rendering audio, analysing a long EMG file).

Jobs run in-process on a background thread pool and report progress through a callback
``report(stage, fraction)``. The registry lives in memory: a page polls ``get_job(id)`` for
progress while the job runs; whatever the job produces is stored by the job itself (for
example in its domain's tables), so nothing is lost when the registry is forgotten.

This serves SQLite and a single PostgreSQL server process alike. It is not a distributed queue:
several server processes or machines do not share jobs (see the report of issue 4).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from unclench.core import clock
from unclench.core.db import new_id
from unclench.core.errors import NotFoundError, UserInputError

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
