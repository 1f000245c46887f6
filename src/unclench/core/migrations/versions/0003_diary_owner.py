"""Diary: every episode, region, check-in, factor and factor value has an owner (person_id).

Revision ID: 0003_diary_owner
Revises: 0002_diary
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from unclench.core.migration_ops import add_owner, drop_owner

revision: str = "0003_diary_owner"
down_revision: str | Sequence[str] | None = "0002_diary"
branch_labels: str | Sequence[str] | None = None
# the person table (accounts branch) that every owner column refers to
depends_on: str | Sequence[str] | None = "accounts_0001"

OWNED_TABLES = ("episode", "episode_region", "checkin", "custom_factor", "custom_factor_value")


def upgrade() -> None:
    for table in OWNED_TABLES:
        add_owner(table)

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
        drop_owner(table)
