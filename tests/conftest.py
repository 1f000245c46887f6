"""Shared fixtures: a frozen clock, real SQLite and real PostgreSQL databases, an API client, a live server and Chromium.

Any test that asks for `db`, `client` or `database_url` runs once on each database.
Every test runs on a frozen clock (`frozen_clock`): a fixed moment in a fixed time zone, never the real date. Tests in
modules marked `pytest.mark.hard_dates` also run at each of `HARD_MOMENTS` (clock changes, leap day, new year, a
Monday and a Sunday, the zones at UTC+14 and UTC-11).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core import db as core_db
from unclench.core.db import Base
from unclench.core.identity import LOCAL_PERSON_ID
from unclench.core.migrate import upgrade_database
from unclench.core.models_registry import import_all_models
from unclench.core.settings import reset_settings_cache


def _refuse_statements_on_the_event_loop(*_args: Any) -> None:
    """No database statement runs on the server's event loop: every route that touches the database is a plain
    `def` (FastAPI runs it in a worker thread) or hands that work to one.

    A statement on the loop blocks every other request while it waits. On SQLite it can wait for a write lock held by
    a request whose commit needs that same loop to be scheduled: each waits on the other until "database is locked",
    and both writes are lost (how the end of a recorded session once lost its recording).
    """
    if threading.current_thread() is threading.main_thread():
        return  # the test itself (Playwright's sync API keeps an event loop there), never the server
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # a worker thread
    raise AssertionError("a database statement ran on the event loop; run it in a worker thread (a plain `def` route)")


event.listen(Engine, "before_cursor_execute", _refuse_statements_on_the_event_loop)


@dataclass(frozen=True)
class Moment:
    """A frozen "now": a wall-clock time in the person's time zone."""

    local: str  # ISO date and time on the person's wall clock
    timezone: str

    @property
    def instant(self) -> datetime:
        # A skipped wall time (spring forward) reads with the offset from before the change, a repeated one
        # (fall back) is its first occurrence: the same rule as core.clock.local_moment.
        return datetime.fromisoformat(self.local).replace(tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    @property
    def today(self) -> date:
        return self.instant.astimezone(ZoneInfo(self.timezone)).date()


# An ordinary Wednesday mid-morning: what "now" is for every test that is not about a hard date.
DEFAULT_MOMENT = Moment("2026-06-17T10:00", "Europe/Berlin")

HARD_MOMENTS = {
    "monday": Moment("2026-11-23T08:00", "Europe/Berlin"),
    "sunday-late": Moment("2026-11-29T23:30", "Europe/Berlin"),
    "leap-day": Moment("2028-02-29T12:00", "Europe/Berlin"),
    "berlin-spring-forward-0030": Moment("2026-03-29T00:30", "Europe/Berlin"),
    "berlin-spring-forward-0230": Moment("2026-03-29T02:30", "Europe/Berlin"),  # skipped: 03:30 on the new clock
    "berlin-fall-back-0030": Moment("2026-10-25T00:30", "Europe/Berlin"),
    "berlin-fall-back-0230": Moment("2026-10-25T02:30", "Europe/Berlin"),  # happens twice; the first
    "new-york-spring-forward-0030": Moment("2026-03-08T00:30", "America/New_York"),
    "new-york-spring-forward-0230": Moment("2026-03-08T02:30", "America/New_York"),
    "new-york-fall-back-0030": Moment("2026-11-01T00:30", "America/New_York"),
    "new-york-fall-back-0230": Moment("2026-11-01T02:30", "America/New_York"),
    "new-years-eve-2359": Moment("2026-12-31T23:59", "Europe/Berlin"),
    "new-years-day-0001": Moment("2027-01-01T00:01", "Europe/Berlin"),
    "kiritimati-utc+14": Moment("2026-06-17T00:30", "Pacific/Kiritimati"),  # UTC is still on the 16th
    "pago-pago-utc-11": Moment("2026-06-17T23:30", "Pacific/Pago_Pago"),  # UTC is already on the 18th
}


def pytest_configure(config: pytest.Config) -> None:
    # No ready-made session renders in the background of a test (`serve`, `demo`) unless the test asks for it.
    os.environ.setdefault("UNCLENCH_PREPARE_READY", "0")
    config.addinivalue_line("markers", "hard_dates: also run the test at every moment in HARD_MOMENTS")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "frozen_clock" in metafunc.fixturenames and metafunc.definition.get_closest_marker("hard_dates"):
        moments = {"default": DEFAULT_MOMENT, **HARD_MOMENTS}
        metafunc.parametrize("frozen_clock", list(moments.values()), ids=list(moments), indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The hard moments run on SQLite; PostgreSQL runs every test at the default moment.

    Times are stored the same way (UTC) in both, so the date logic under test is the app's, not the database's;
    this keeps `make test` within minutes on two cores.
    """
    keep, skip = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        hard = params.get("frozen_clock", DEFAULT_MOMENT) != DEFAULT_MOMENT
        (skip if hard and params.get("database_url") == "postgresql" else keep).append(item)
    if skip:
        config.hook.pytest_deselected(items=skip)
        items[:] = keep


@dataclass
class FrozenClock:
    """The test's frozen "now"; a test that needs time to pass moves it explicitly."""

    moment: Moment
    traveller: time_machine.Traveller

    def move_to(self, instant: datetime) -> None:
        """Jump to an aware instant (build local wall times with `core.clock.local_moment`)."""
        self.traveller.move_to(instant)

    def shift(self, delta: timedelta) -> None:
        self.traveller.shift(delta)


@pytest.fixture(autouse=True)
def one_group_at_a_time(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests of one `xdist_group` never run beside each other (they start processes or a browser of their own).

    pytest-xdist's loadgroup sends a group to one worker by a suffix on each test's node id, which pytest 9 no longer
    reads (`Node.nodeid` comes from its own id), so the marks alone do nothing: each group holds a lock file, shared
    by this run's workers only, for the test's whole duration.
    """
    mark = request.node.get_closest_marker("xdist_group")
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if mark is None or run is None:
        yield
        return
    name = mark.args[0] if mark.args else mark.kwargs.get("name", "default")
    with (Path(tempfile.gettempdir()) / f"unclench-tests-{run}-{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def frozen_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[FrozenClock]:
    """Freeze time at the test's moment and set the person's time zone to the moment's (no test sees the real date)."""
    moment: Moment = getattr(request, "param", DEFAULT_MOMENT)
    monkeypatch.setenv("UNCLENCH_TIMEZONE", moment.timezone)
    monkeypatch.delenv("UNCLENCH_NOW", raising=False)
    reset_settings_cache()
    clock.reset()
    with time_machine.travel(moment.instant, tick=False) as traveller:
        yield FrozenClock(moment, traveller)
    reset_settings_cache()


POSTGRES_ADMIN_URL = os.environ.get("UNCLENCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _worker_tag() -> str:
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}_{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "unclench-test.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    name = f"unclench_test_{_worker_tag()}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - a clear failure beats a silent skip
        pytest.fail(f"PostgreSQL is required for the storage tests ({POSTGRES_ADMIN_URL}): {exc}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(url)
    yield url
    core_db.dispose_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_all_tables(url: str) -> None:
    import_all_models()
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # The audit log's trigger refuses DELETE (the app never deletes an entry); a test database is emptied.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == "person":
                # The local person is part of the schema (made by its migration): every other test needs them.
                conn.execute(table.delete().where(table.c.id != LOCAL_PERSON_ID))
            else:
                conn.execute(table.delete())
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def app_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the app at the test database and a fresh data dir; empty every table afterwards."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("UNCLENCH_DATABASE_URL", database_url)
    monkeypatch.setenv("UNCLENCH_DATA_DIR", str(data_dir))
    reset_settings_cache()
    core_db.dispose_engines()
    yield data_dir
    core_db.dispose_engines()
    _empty_all_tables(database_url)
    reset_settings_cache()


@pytest.fixture
def db(app_env: Path) -> Iterator[Session]:
    session = core_db.session_factory()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


class LocalClient(TestClient):
    """The person's own browser on this computer: a loopback address and Host, and the CSRF cookie and token
    (sent as a header on every request and in the WebSocket's query, as a page does).
    """

    def websocket_connect(self, url: str, subprotocols: Sequence[str] | None = None, **kwargs: Any) -> Any:
        url = urljoin("ws://127.0.0.1", url)  # TestClient's own default Host ("testserver") is refused
        if "csrf_token=" not in url:
            url += ("&" if "?" in url else "?") + "csrf_token=" + self.headers["X-CSRF-Token"]
        return super().websocket_connect(url, subprotocols, **kwargs)


def local_client(app: Any, **kwargs: Any) -> LocalClient:
    """A browser on this computer holding its CSRF cookie and token (made as the guard makes them; a script outside
    the tests asks GET /api/csrf, which a clinic server keeps behind sign-in)."""
    from unclench.web import security

    test_client = LocalClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000), **kwargs)
    cookie = "test-client-csrf-cookie-" + uuid.uuid4().hex
    test_client.cookies.set(security.CSRF_COOKIE, cookie)
    test_client.headers["X-CSRF-Token"] = security.csrf_token(cookie)
    return test_client


@pytest.fixture
def client(app_env: Path) -> Iterator[TestClient]:
    from unclench.web.app import create_app

    with local_client(create_app()) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving_app() -> Iterator[str]:
    """The real app served by uvicorn on a free local port (with the settings the environment names now)."""
    import uvicorn

    from unclench.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The real app served by uvicorn on a free local port, on SQLite."""
    monkeypatch.setenv("UNCLENCH_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("UNCLENCH_DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    core_db.dispose_engines()
    with serving_app() as url:
        yield url
    core_db.dispose_engines()
    _empty_all_tables(sqlite_url)
    reset_settings_cache()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for browser tests; `make test` installs it")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object, live_server: str) -> Iterator[object]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Screenshots taken during tests land here so a person can look at them."""
    path = Path(os.environ.get("UNCLENCH_SCREENSHOT_DIR", "build/screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path
