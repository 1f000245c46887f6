"""Accounts: the person table, with the one local person who owns every existing row.

Revision ID: accounts_0001
Revises: 0002_diary
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "accounts_0001"
down_revision: str | Sequence[str] | None = "0002_diary"
branch_labels: str | Sequence[str] | None = ("accounts",)
depends_on: str | Sequence[str] | None = None

# core.identity.LOCAL_PERSON_ID, written out: a migration must not change when the code does.
LOCAL_PERSON_ID = 1


def upgrade() -> None:
    person = op.create_table(
        "person",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("created_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    # The migration's own moment is not a health fact; a fixed instant keeps upgrades reproducible.
    op.bulk_insert(
        person, [{"id": LOCAL_PERSON_ID, "display_name": "", "created_at": datetime(2026, 1, 1, tzinfo=UTC)}]
    )
    if op.get_bind().dialect.name == "postgresql":
        # An explicit id does not advance PostgreSQL's sequence; the next person must not collide with the first.
        op.execute("SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT MAX(id) FROM person))")


def downgrade() -> None:
    op.drop_table("person")
