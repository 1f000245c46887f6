"""The database for commands: make sure the schema is current, then one session per command.

Every command that touches the database goes through `cli_session()` (or `ensure_schema()` before it starts
something long-lived, such as the web server), so a fresh data dir just works and an up-to-date one costs a single
version query instead of an Alembic run. This module is light to import (SQLAlchemy loads when a command first
asks for a session), so every cli.py can import it at its top and `--help` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


MIGRATION_LOCK = 0x756E636C656E6368  # "unclench" in ASCII: the advisory lock migrations hold on PostgreSQL


def ensure_schema(*, models_through: str | None = None) -> None:
    """Upgrade the database only when its schema is behind the migrations (a cheap version check otherwise).

    `models_through`: see `unclench.core.db.get_engine` (Alembic, when it runs, imports every model itself).
    """
    from unclench.core.db import get_engine
    from unclench.core.migrate import schema_is_current, upgrade_database
    from unclench.core.settings import get_settings

    engine = get_engine(models_through=models_through)
    if schema_is_current(engine):
        return
    if engine.dialect.name != "postgresql":
        upgrade_database(get_settings().database_url)
        return
    # A clinic starts several web and worker processes at once: one migrates, the others wait for it, then see the
    # schema current (a session-level advisory lock, released when its connection closes).
    from sqlalchemy import text

    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            if not schema_is_current(engine):
                upgrade_database(get_settings().database_url)
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()


@contextmanager
def cli_session(domain: str | None = None) -> Iterator[Session]:
    """A session on an up-to-date schema that commits when the command succeeds and rolls back otherwise.

    `domain`: the command's own domain, when it touches only that domain's tables and earlier domains' (the diary's
    everyday commands): only those models are mapped, which saves a fifth of a command's start-up. None: all models.
    """
    from unclench.core.db import session_scope

    ensure_schema(models_through=domain)
    with session_scope(models_through=domain) as session:
        yield session
