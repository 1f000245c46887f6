"""A clinic of real processes on loopback: `unclench serve --clinic` web processes and `unclench worker` processes on
one fresh PostgreSQL database and one data folder (the tests of several processes and bench/bench_clinic_load.py).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyotp
from sqlalchemy import create_engine, text

import unclench
from unclench.core.migrate import upgrade_database

ADMIN_URL = os.environ.get("UNCLENCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SOURCE_DIR = Path(unclench.__file__).resolve().parents[1]
# Phrases the voice has spoken, kept between runs (keyed by text, voice, pace and rate: sharing them is safe), so a
# test's render takes seconds rather than the minute a cold voice needs.
PHRASE_CACHE = Path(tempfile.gettempdir()) / "unclench-test-phrase-cache"
# Quick heartbeats, so a killed worker's job is queued again within seconds (production waits 30 s).
FAST_WORKER = {
    "UNCLENCH_WORKER_HEARTBEAT_S": "0.5",
    "UNCLENCH_WORKER_STALLED_AFTER_S": "4",
    "UNCLENCH_WORKER_CHECK_STALLED_S": "0.5",
    "UNCLENCH_WORKER_POLL_S": "0.2",
}


@contextmanager
def fresh_database(tag: str) -> Iterator[str]:
    """A new PostgreSQL database at the newest schema (dropped afterwards); its SQLAlchemy URL."""
    name = f"unclench_{tag}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Clinic:
    """The processes of one clinic and the environment they share."""

    database_url: str
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)

    def now(self) -> datetime:
        """The processes' "now" (their `UNCLENCH_NOW` clock runs on from its start), for a second factor's code.

        Each process starts its clock when it first reads it, a little after this clinic began, so this runs a few
        seconds ahead of theirs at most: well within the one step either side a code may be off.
        """
        start = datetime.fromisoformat(self.extra_env["UNCLENCH_NOW"].replace("Z", "+00:00"))
        return start.astimezone(UTC) + timedelta(seconds=time.monotonic() - self.began)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("UNCLENCH_", "PYTEST_"))}
        env.update(
            PYTHONPATH=os.pathsep.join([str(SOURCE_DIR), os.environ.get("PYTHONPATH", "")]),
            UNCLENCH_DATABASE_URL=self.database_url,
            UNCLENCH_DATA_DIR=str(self.data_dir),
            UNCLENCH_PHRASE_CACHE_DIR=str(PHRASE_CACHE),
            UNCLENCH_PREPARE_READY="0",
            UNCLENCH_TIMEZONE="Europe/Berlin",
            **FAST_WORKER,
        )
        env.update(self.extra_env)
        return env

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = self.data_dir.parent / f"{name}-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "unclench", *args], env=self.env(), stdout=out, stderr=subprocess.STDOUT
            )
        self.processes.append(process)
        return process

    def start_web(self, port: int | None = None, timeout: float = 120.0) -> str:
        """A clinic web process on loopback; its base URL once it answers."""
        port = port or free_port()
        process = self._start("web", "serve", "--clinic", "--port", str(port))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"web process ended: {self.logs[-1].read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/login", timeout=1.0).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"web process did not answer in {timeout} s")

    def start_worker(self, concurrency: int = 1) -> subprocess.Popen[bytes]:
        return self._start("worker", "worker", "--concurrency", str(concurrency))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_tail(self, chars: int = 3000) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-chars:]}" for log in self.logs)


@contextmanager
def clinic(database_url: str, root: Path, **extra_env: str) -> Iterator[Clinic]:
    """Processes started through the `Clinic` are stopped when the block ends."""
    data_dir = root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    PHRASE_CACHE.mkdir(exist_ok=True)
    running = Clinic(database_url=database_url, data_dir=data_dir, extra_env=extra_env)
    try:
        yield running
    finally:
        running.stop()


def browser(base: str) -> httpx.Client:
    """A browser for one web process; sign in with `sign_in` (the cookie then works on every web process)."""
    return httpx.Client(base_url=base, follow_redirects=False, timeout=30.0)


def csrf_from_page(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "no CSRF field on the page"
    return found[1]


def sign_in(client: httpx.Client, email: str, password: str) -> str:
    """Sign in with the password and keep the CSRF token as a header; where the server sends the browser next (a
    person account needs no second factor; a practitioner's first sign-in goes on with `enrol_second_factor`)."""
    login = client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": csrf_from_page(login.text), "email": email, "password": password}
    )
    assert response.status_code == 303, response.text
    where = str(response.headers["location"])
    if "second-factor" not in where:
        _keep_csrf_token(client)
    return where


def _keep_csrf_token(client: httpx.Client) -> None:
    token = client.get("/api/csrf")
    assert token.status_code == 200, token.text
    client.headers["X-CSRF-Token"] = token.json()["token"]


def enrol_second_factor(client: httpx.Client, at: datetime) -> None:
    """Set up the authenticator on the enrolment page (a practitioner's first sign-in) with the code for `at`."""
    page = client.get("/account/second-factor")
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page.text)
    assert page.status_code == 200 and secret is not None, page.text
    code = pyotp.TOTP(secret[1]).at(at)
    done = client.post("/account/second-factor", data={"csrf_token": csrf_from_page(page.text), "code": code})
    assert done.status_code == 200 and "recovery" in done.text.lower(), done.text
    _keep_csrf_token(client)


def accept_invitation(base: str, link: str, email: str, password: str) -> None:
    """Sign up through an invitation link's page in a fresh browser."""
    with browser(base) as fresh:
        page = fresh.get(link)
        assert page.status_code == 200, page.text
        data = {"csrf_token": csrf_from_page(page.text), "email": email, "password": password}
        accepted = fresh.post(link, data=data | {"password_again": password})
        assert accepted.status_code == 303, accepted.text


def use_cookies_on(client: httpx.Client, base: str) -> httpx.Client:
    """Another web process, the same browser: its cookies and token, sent to `base`."""
    other = browser(base)
    for cookie in client.cookies.jar:
        other.cookies.set(cookie.name, cookie.value or "")
    other.headers["X-CSRF-Token"] = client.headers["X-CSRF-Token"]
    return other
