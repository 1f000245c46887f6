"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from unclench.core.db import Base
from unclench.core.models_registry import import_all_models


def ours(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))


def test_migrated_schema_matches_models(database_url: str) -> None:
    import_all_models()
    engine = create_engine(database_url)
    with engine.connect() as conn:
        # procrastinate's queue tables (PostgreSQL only) are its own schema, applied whole by the jobs migration.
        opts = {"compare_type": True, "include_name": ours}
        context = MigrationContext.configure(conn, opts=opts)
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == [], differences


def test_head_revisions_read_without_alembic_match_alembics_own() -> None:
    from alembic.script import ScriptDirectory

    from unclench.core.migrate import alembic_config, head_revisions

    assert head_revisions() == set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def test_migrated_database_is_current(database_url: str) -> None:
    from unclench.core.migrate import schema_is_current

    engine = create_engine(database_url)
    try:
        assert schema_is_current(engine)
    finally:
        engine.dispose()


def test_ensure_schema_upgrades_a_database_that_is_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command

    from unclench.core import db as core_db
    from unclench.core.cli_db import ensure_schema
    from unclench.core.migrate import alembic_config, applied_revisions, head_revisions, schema_is_current
    from unclench.core.settings import reset_settings_cache

    url = f"sqlite:///{tmp_path / 'behind.db'}"
    command.upgrade(alembic_config(url), "0002_diary")  # an older app version's schema: the diary only
    monkeypatch.setenv("UNCLENCH_DATABASE_URL", url)
    monkeypatch.setenv("UNCLENCH_DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    core_db.dispose_engines()
    try:
        engine = core_db.get_engine()
        assert applied_revisions(engine) == {"0002_diary"}
        assert not schema_is_current(engine)
        ensure_schema()
        assert applied_revisions(engine) == head_revisions()
        assert schema_is_current(engine)
    finally:
        core_db.dispose_engines()
        reset_settings_cache()


def test_medicines_saved_before_the_typed_column_keep_their_text_as_typed(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    from unclench.core.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'medicines.db'}"
    command.upgrade(alembic_config(url), "screening_0004")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO medication (id, name, note, added_at, person_id)"
                    " VALUES ('m1', 'atorvastatn', '', :at, 1)"
                ),
                {"at": "2026-01-01 00:00:00.000000"},
            )
        command.upgrade(alembic_config(url), "heads")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name, typed FROM medication")).all() == [("atorvastatn", "atorvastatn")]
    finally:
        engine.dispose()


def test_listens_logged_before_the_status_column_are_judged_by_the_same_rule(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    from unclench.core.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'listens.db'}"
    command.upgrade(alembic_config(url), "sessions_0002")
    at = "2026-01-01 00:00:00.000000"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for session_id, length in (("long", 600.0), ("short", 200.0), ("unrendered", None)):
                conn.execute(
                    text(
                        "INSERT INTO audio_session (id, title, options, status, error, duration_s, created_at) "
                        "VALUES (:id, 't', '{}', 'ready', '', :length, :at)"
                    ),
                    {"id": session_id, "length": length, "at": at},
                )
            for listen_id, session_id, heard in [
                ("l6", "long", 6.0),
                ("l179", "long", 179.0),
                ("l181", "long", 181.0),
                ("s119", "short", 119.0),
                ("s121", "short", 121.0),
                ("u150", "unrendered", 150.0),
            ]:
                conn.execute(
                    text(
                        "INSERT INTO session_listen (id, session_id, started_at, heard_s, position_s, completed) "
                        "VALUES (:id, :session, :at, :heard, 0, false)"
                    ),
                    {"id": listen_id, "session": session_id, "at": at, "heard": heard},
                )
        command.upgrade(alembic_config(url), "heads")
        with engine.connect() as conn:
            statuses = dict(conn.execute(text("SELECT id, status FROM session_listen")).all())
        assert statuses == {
            "l6": "started",
            "l179": "started",
            "l181": "listened",
            "s119": "started",
            "s121": "listened",
            "u150": "started",
        }
    finally:
        engine.dispose()
