"""Stress: every questionnaire answer, stressor rating and reflection note has an owner (person_id).

Revision ID: stress_0002
Revises: stress_0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "stress_0002"
down_revision: str | Sequence[str] | None = "stress_0001"
branch_labels: str | Sequence[str] | None = None
# the person table (accounts branch) that every owner column refers to
depends_on: str | Sequence[str] | None = "accounts_0001"

# core.identity.LOCAL_PERSON_ID, written out: a migration must not change when the code does.
LOCAL_PERSON_ID = 1
OWNED_TABLES = ("questionnaire_response", "stressor_rating", "reflection_note")


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

    # Each person rates each stressor once.
    with op.batch_alter_table("stressor_rating") as batch:
        batch.drop_constraint(batch.f("uq_stressor_rating_stressor_id"), type_="unique")
        batch.create_unique_constraint(batch.f("uq_stressor_rating_person_id"), ["person_id", "stressor_id"])


def downgrade() -> None:
    with op.batch_alter_table("stressor_rating") as batch:
        batch.drop_constraint(batch.f("uq_stressor_rating_person_id"), type_="unique")
        batch.create_unique_constraint(batch.f("uq_stressor_rating_stressor_id"), ["stressor_id"])
    for table in reversed(OWNED_TABLES):
        _drop_owner(table)
