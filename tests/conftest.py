"""Shared fixtures: real SQLite and real PostgreSQL databases, an API client, a live server and Chromium.

Any test that asks for `db`, `client` or `database_url` runs once on each database.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from unclench.core import db as core_db
from unclench.core.db import Base
from unclench.core.migrate import upgrade_database
from unclench.core.models_registry import import_all_models
from unclench.core.settings import reset_settings_cache

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
        for table in reversed(Base.metadata.sorted_tables):
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
    monkeypatch.setenv("UNCLENCH_TIMEZONE", "Europe/Berlin")
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


@pytest.fixture
def client(app_env: Path) -> Iterator[TestClient]:
    from unclench.web.app import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The real app served by uvicorn on a free local port, on SQLite."""
    import uvicorn

    from unclench.web.app import create_app

    monkeypatch.setenv("UNCLENCH_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("UNCLENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UNCLENCH_TIMEZONE", "Europe/Berlin")
    reset_settings_cache()
    core_db.dispose_engines()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
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
