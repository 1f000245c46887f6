"""Diary: every episode, region, check-in, factor and factor value has an owner (person_id).

Revision ID: 0003_diary_owner
Revises: 0002_diary
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_diary_owner"
down_revision: str | Sequence[str] | None = "0002_diary"
branch_labels: str | Sequence[str] | None = None
# the person table (accounts branch) that every owner column refers to
depends_on: str | Sequence[str] | None = "accounts_0001"

# core.identity.LOCAL_PERSON_ID, written out: a migration must not change when the code does.
LOCAL_PERSON_ID = 1
OWNED_TABLES = ("episode", "episode_region", "checkin", "custom_factor", "custom_factor_value")


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


def upgrade() -> None:
    for table in OWNED_TABLES:
        _add_owner(table)

    # A check-in per local date and a factor name are unique per person, no longer across the database.
    with op.batch_alter_table("checkin") as batch:
        batch.drop_index(batch.f("ix_checkin_day"))
        batch.create_index(batch.f("ix_checkin_day"), ["day"], unique=False)
        batch.create_unique_constraint(batch.f("uq_checkin_person_id"), ["person_id", "day"])
    with op.batch_alter_table("custom_factor") as batch:
        batch.drop_constraint(batch.f("uq_custom_factor_name"), type_="unique")
        batch.create_unique_constraint(batch.f("uq_custom_factor_person_id"), ["person_id", "name"])


def downgrade() -> None:
    with op.batch_alter_table("custom_factor") as batch:
        batch.drop_constraint(batch.f("uq_custom_factor_person_id"), type_="unique")
        batch.create_unique_constraint(batch.f("uq_custom_factor_name"), ["name"])
    with op.batch_alter_table("checkin") as batch:
        batch.drop_constraint(batch.f("uq_checkin_person_id"), type_="unique")
        batch.drop_index(batch.f("ix_checkin_day"))
        batch.create_index(batch.f("ix_checkin_day"), ["day"], unique=True)
    for table in reversed(OWNED_TABLES):
        _drop_owner(table)
