from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from unclench.core.db import UTCDateTime


def test_sqlite_has_wal_and_foreign_keys(sqlite_url: str, app_env: object, db: Session, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite pragmas only")
    assert db.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_utc_column_converts_to_utc_and_refuses_naive_times() -> None:
    column = UTCDateTime()
    berlin = timezone(timedelta(hours=1))
    stored = column.process_bind_param(datetime(2026, 3, 1, 8, 0, tzinfo=berlin), None)
    assert stored == datetime(2026, 3, 1, 7, 0)
    with pytest.raises(ValueError):
        column.process_bind_param(datetime(2026, 3, 1, 8, 0), None)


def _backend_pid(engine: object) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_pooled_connection_the_server_dropped_is_replaced(
    postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import create_engine

    from unclench.core import db as core_db

    engine = core_db.make_engine(postgresql_url)
    admin = create_engine(postgresql_url, isolation_level="AUTOCOMMIT")
    try:
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first  # returned a moment ago: reused as it is, no ping

        monkeypatch.setattr(core_db, "PING_IDLE_AFTER_S", 0.0)  # every pooled connection now counts as idle
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        second = _backend_pid(engine)  # the ping finds it dropped: a new connection answers, not an error
        assert second != first

        monkeypatch.setattr(core_db, "PING_IDLE_AFTER_S", 3600.0)  # never idle long enough: no ping
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": second})
        with pytest.raises(Exception, match=r"terminat|closed|connection"):
            _backend_pid(engine)  # unpinged, the dropped connection fails its first statement
    finally:
        engine.dispose()
        admin.dispose()
