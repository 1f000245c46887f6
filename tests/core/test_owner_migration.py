"""The owner migrations on a database with rows: every existing row becomes the local person's, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from tests.conftest import POSTGRES_ADMIN_URL
from unclench.core.identity import LOCAL_PERSON_ID, Caller, set_caller
from unclench.core.migrate import alembic_config, upgrade_database

# Each branch's head before rows had owners.
HEADS_BEFORE_OWNERS = (
    "0002_diary",
    "accounts_0001",
    "emg_0002",
    "insights_0001",
    "screening_0001",
    "sessions_0002",
    "stress_0001",
)
DAY = date(2026, 1, 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"unclench_owner_{tmp_path.name[-20:].lower()}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _value(table: sa.Table, column: sa.Column[Any], made: dict[str, Any]) -> Any:
    """A value every check constraint accepts (1 fits every 0–4, 0–10, 0–12 and minute range)."""
    for key in column.foreign_keys:
        return made[key.column.table.name]
    if column.name == "stressor_id":
        return "deadlines"  # a stressor of the inventory, so that the services read it back
    kind = column.type
    if isinstance(kind, sa.JSON):
        return []
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.Float | sa.Numeric):
        return 1.0
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1, 12)
    if isinstance(kind, sa.Date):
        return DAY
    length = getattr(kind, "length", None) or 32
    return f"{table.name}-1"[:length]


def _one_row_in_every_table(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    made: dict[str, Any] = {"person": LOCAL_PERSON_ID}
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name in made or table.name == "alembic_version":
                continue
            values = {
                c.name: _value(table, c, made)
                for c in table.columns
                if not (c.primary_key and isinstance(c.type, sa.Integer))
            }
            made[table.name] = conn.execute(table.insert().values(values)).inserted_primary_key[0]
    engine.dispose()
    return made


def test_existing_rows_become_the_local_persons(empty_database: str) -> None:
    from alembic import command

    for head in HEADS_BEFORE_OWNERS:
        command.upgrade(alembic_config(empty_database), head)
    made = _one_row_in_every_table(empty_database)
    assert len(made) > 15  # every domain's tables
    upgrade_database(empty_database)

    engine = create_engine(empty_database)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        owned = [t for t in metadata.sorted_tables if "person_id" in t.c and t.name != "account"]
        assert {t.name for t in owned} == set(made) - {"person"}
        for table in owned:
            assert conn.execute(sa.select(table.c.person_id)).scalars().all() == [LOCAL_PERSON_ID], table.name

    # What was unique for the one person is now unique per person: a second person has the same day, the same
    # stressor and the same file, and their own settings rows (PostgreSQL's id sequences were moved on).
    from unclench.accounts.people import create_person
    from unclench.core.validation import parse_input
    from unclench.diary import service as diary
    from unclench.diary.schemas import CheckInIn
    from unclench.insights import service as insights
    from unclench.sessions import service as sessions
    from unclench.stress import service as stress

    with Session(engine) as db:
        second = create_person(db).id
        set_caller(db, Caller(kind="account", person_id=second, role="person"))
        diary.upsert_checkin(db, parse_input(CheckInIn, {"day": DAY, "stress": 2}))
        stress.save_ratings(db, {"deadlines": {"weight": 2, "leeway": 2}})
        sessions.set_practice_preference(db, reminder="20:00")
        insights.set_day_start(db, 3)
        db.commit()
        assert [c.day for c in diary.list_checkins(db)] == [DAY]
        assert [(r.stressor_id, r.weight) for r in stress.current_ratings(db)] == [("deadlines", 2)]
    with Session(engine) as db:  # the local person's rows, as they were
        assert insights.get_day_start(db) == 1 and sessions.practice_preference(db).reminder_minute == 1
        assert [(r.stressor_id, r.weight) for r in stress.current_ratings(db)] == [("deadlines", 1)]
    engine.dispose()
