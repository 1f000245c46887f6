"""Insights: the day-boundary setting has an owner (person_id), one row per person.

Revision ID: insights_0002
Revises: insights_0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "insights_0002"
down_revision: str | Sequence[str] | None = "insights_0001"
branch_labels: str | Sequence[str] | None = None
# the person table (accounts branch) that every owner column refers to
depends_on: str | Sequence[str] | None = "accounts_0001"

# core.identity.LOCAL_PERSON_ID, written out: a migration must not change when the code does.
LOCAL_PERSON_ID = 1
OWNED_TABLES = ("insights_preference",)


def _add_owner(table: str) -> None:
    """person_id on every row, NOT NULL, indexed, referring to person; existing rows are the local person's."""
    with op.batch_alter_table(table) as batch:
        batch.add_column(
            sa.Column("person_id", sa.Integer(), nullable=False, server_default=sa.text(str(LOCAL_PERSON_ID)))
        )
        batch.create_index(batch.f(f"ix_{table}_person_id"), ["person_id"], unique=False)
        batch.create_foreign_key(batch.f(f"fk_{table}_person_id_person"), "person", ["person_id"], ["id"])
    # No default from now on: a row that does not name its owner is refused rather than given to person 1.
    with op.batch_alter_table(table) as batch:
        batch.alter_column("person_id", existing_type=sa.Integer(), existing_nullable=False, server_default=None)


def _drop_owner(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(batch.f(f"fk_{table}_person_id_person"), type_="foreignkey")
        batch.drop_index(batch.f(f"ix_{table}_person_id"))
        batch.drop_column("person_id")


def _advance_id_sequence(table: str) -> None:
    """PostgreSQL: rows were made with an explicit id (1), which left the sequence behind; the next row needs 2."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)"
            f" FROM {table}"
        )


def upgrade() -> None:
    for table in OWNED_TABLES:
        _add_owner(table)

    with op.batch_alter_table("insights_preference") as batch:
        batch.create_unique_constraint(batch.f("uq_insights_preference_person_id"), ["person_id"])
    _advance_id_sequence("insights_preference")


def downgrade() -> None:
    with op.batch_alter_table("insights_preference") as batch:
        batch.drop_constraint(batch.f("uq_insights_preference_person_id"), type_="unique")
    for table in reversed(OWNED_TABLES):
        _drop_owner(table)
