"""Stress: every questionnaire answer, stressor rating and reflection note has an owner (person_id).

Revision ID: stress_0002
Revises: stress_0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from unclench.core.migration_ops import add_owner, drop_owner

revision: str = "stress_0002"
down_revision: str | Sequence[str] | None = "stress_0001"
branch_labels: str | Sequence[str] | None = None
# the person table (accounts branch) that every owner column refers to
depends_on: str | Sequence[str] | None = "accounts_0001"

OWNED_TABLES = ("questionnaire_response", "stressor_rating", "reflection_note")


def upgrade() -> None:
    for table in OWNED_TABLES:
        add_owner(table)

    # Each person rates each stressor once.
    with op.batch_alter_table("stressor_rating") as batch:
        batch.drop_constraint(batch.f("uq_stressor_rating_stressor_id"), type_="unique")
        batch.create_unique_constraint(batch.f("uq_stressor_rating_person_id"), ["person_id", "stressor_id"])


def downgrade() -> None:
    with op.batch_alter_table("stressor_rating") as batch:
        batch.drop_constraint(batch.f("uq_stressor_rating_person_id"), type_="unique")
        batch.create_unique_constraint(batch.f("uq_stressor_rating_stressor_id"), ["stressor_id"])
    for table in reversed(OWNED_TABLES):
        drop_owner(table)
