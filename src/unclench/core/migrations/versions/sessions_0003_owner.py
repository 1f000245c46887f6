"""Sessions: every audio session, listen and practice setting has an owner (person_id).

Revision ID: sessions_0003
Revises: sessions_0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from unclench.core.migration_ops import add_owner, advance_id_sequence, drop_owner

revision: str = "sessions_0003"
down_revision: str | Sequence[str] | None = "sessions_0002"
branch_labels: str | Sequence[str] | None = None
# the person table (accounts branch) that every owner column refers to
depends_on: str | Sequence[str] | None = "accounts_0001"

OWNED_TABLES = ("audio_session", "session_listen", "practice_preference")


def upgrade() -> None:
    for table in OWNED_TABLES:
        add_owner(table)

    # One practice-settings row per person (it was the one row with id 1).
    with op.batch_alter_table("practice_preference") as batch:
        batch.create_unique_constraint(batch.f("uq_practice_preference_person_id"), ["person_id"])
    advance_id_sequence("practice_preference")


def downgrade() -> None:
    with op.batch_alter_table("practice_preference") as batch:
        batch.drop_constraint(batch.f("uq_practice_preference_person_id"), type_="unique")
    for table in reversed(OWNED_TABLES):
        drop_owner(table)
