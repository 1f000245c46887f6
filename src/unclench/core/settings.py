"""Runtime settings, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_dir


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    timezone: str
    # A clinic server (`unclench serve --clinic` or UNCLENCH_CLINIC=1): accounts, sign-in, PostgreSQL only.
    clinic: bool = False
    # The names a clinic server answers to (UNCLENCH_CLINIC_HOSTS=clinic.example.org,…): a request naming any other
    # Host is refused, as the local app refuses all but loopback. Empty: the TLS proxy in front must pin the Host.
    clinic_hosts: tuple[str, ...] = ()
    # Render the ready-made "Right now" sessions when `serve` starts and after `demo` (UNCLENCH_PREPARE_READY=0: not;
    # the tests set that, so only a test that asks renders them).
    prepare_ready: bool = True
    # Where long work runs: "thread" (in this process, the local app) or "postgres" (procrastinate's queue, run by
    # `unclench worker` processes; a clinic's default). UNCLENCH_JOB_QUEUE names it.
    job_queue: str = "thread"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def artefact_dir(self, kind: str) -> Path:
        """Folder for large binary artefacts (audio, EMG raw data), created on demand."""
        path = self.data_dir / kind
        path.mkdir(parents=True, exist_ok=True)
        return path


def _local_timezone_name() -> str:
    explicit = os.environ.get("UNCLENCH_TIMEZONE") or os.environ.get("TZ")
    if explicit:
        return explicit
    try:
        link = Path("/etc/localtime").resolve()
        parts = link.parts
        if "zoneinfo" in parts:
            return "/".join(parts[parts.index("zoneinfo") + 1 :])
    except OSError:
        pass
    return "UTC"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = Path(os.environ.get("UNCLENCH_DATA_DIR") or user_data_dir("unclench", appauthor=False))
    data_dir.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("UNCLENCH_DATABASE_URL") or f"sqlite:///{data_dir / 'unclench.db'}"
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    clinic = os.environ.get("UNCLENCH_CLINIC", "").strip().lower() in ("1", "true", "yes", "on")
    clinic_hosts = tuple(h.strip().lower() for h in os.environ.get("UNCLENCH_CLINIC_HOSTS", "").split(",") if h.strip())
    prepare_ready = os.environ.get("UNCLENCH_PREPARE_READY", "1").strip().lower() not in ("0", "false", "no", "off")
    job_queue = os.environ.get("UNCLENCH_JOB_QUEUE", "").strip().lower() or ("postgres" if clinic else "thread")
    if job_queue not in ("thread", "postgres"):
        raise ValueError(f"UNCLENCH_JOB_QUEUE={job_queue!r}: use thread or postgres")
    return Settings(
        data_dir=data_dir,
        database_url=url,
        timezone=_local_timezone_name(),
        clinic=clinic,
        clinic_hosts=clinic_hosts,
        prepare_ready=prepare_ready,
        job_queue=job_queue,
    )


def reset_settings_cache() -> None:
    """Forget cached settings (tests switch databases and data dirs)."""
    get_settings.cache_clear()
