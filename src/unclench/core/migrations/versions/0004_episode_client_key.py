"""Diary: an episode may carry the key its device made for it, so an entry queued offline is saved once.

Revision ID: 0004_episode_client_key
Revises: 0003_diary_owner
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_episode_client_key"
down_revision: str | Sequence[str] | None = "0003_diary_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("episode") as batch:
        batch.add_column(sa.Column("client_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_episode_person_client_key", ["person_id", "client_key"])


def downgrade() -> None:
    with op.batch_alter_table("episode") as batch:
        batch.drop_constraint("uq_episode_person_client_key", type_="unique")
        batch.drop_column("client_key")
