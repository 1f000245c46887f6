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
