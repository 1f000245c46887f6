"""Insights: the day-boundary setting has an owner (person_id), one row per person.

Revision ID: insights_0002
Revises: insights_0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from unclench.core.migration_ops import add_owner, advance_id_sequence, drop_owner

revision: str = "insights_0002"
down_revision: str | Sequence[str] | None = "insights_0001"
branch_labels: str | Sequence[str] | None = None
# the person table (accounts branch) that every owner column refers to
depends_on: str | Sequence[str] | None = "accounts_0001"

OWNED_TABLES = ("insights_preference",)


def upgrade() -> None:
    for table in OWNED_TABLES:
        add_owner(table)

    with op.batch_alter_table("insights_preference") as batch:
        batch.create_unique_constraint(batch.f("uq_insights_preference_person_id"), ["person_id"])
    advance_id_sequence("insights_preference")


def downgrade() -> None:
    with op.batch_alter_table("insights_preference") as batch:
        batch.drop_constraint(batch.f("uq_insights_preference_person_id"), type_="unique")
    for table in reversed(OWNED_TABLES):
        drop_owner(table)
