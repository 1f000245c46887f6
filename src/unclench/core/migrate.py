"""Apply Alembic migrations programmatically (the app, the CLI and the tests all use this).

Alembic itself takes a good part of a second to import, so `schema_is_current` answers "is anything to do?" by reading
the revision ids from the migration files and the `alembic_version` table; Alembic is loaded only to upgrade.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str) -> None:
    """Bring the database to the newest schema. Each domain may own a branch, so upgrade all heads."""
    from alembic import command

    command.upgrade(alembic_config(database_url), "heads")


# `revision = "…"` / `down_revision: … = ("…", "…")` at the start of a line in a migration file.
REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


def _revision_ids(literal: str) -> set[str]:
    """The revision id(s) a migration file's assignment names: a string, a tuple/list of them, or None."""
    found = ast.literal_eval(literal)
    if found is None:
        return set()
    return {found} if isinstance(found, str) else set(found)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The newest revision of every branch: revisions no other revision names as its `down_revision`.

    Read from the files' `revision` and `down_revision` lines without importing them or Alembic (parsing whole
    files would cost more than the rest of a command). A value this cannot read raises, and the caller upgrades.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        for name, literal in REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).update(_revision_ids(literal))
    return frozenset(revisions - parents)


def applied_revisions(engine: Engine) -> frozenset[str]:
    """The revisions recorded in the database (empty when it was never migrated)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return frozenset()
        return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def schema_is_current(engine: Engine) -> bool:
    """True when the database stands at every head, so there is nothing to upgrade.

    False (so Alembic runs and decides) when the migration files cannot be read without it.
    """
    try:
        heads = head_revisions()
    except (ValueError, SyntaxError):
        return False
    return applied_revisions(engine) == heads
