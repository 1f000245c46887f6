"""Sessions: a ready-made session ("Right now", 3 or 5 minutes) is marked by its length; others have none.

Revision ID: sessions_0005
Revises: sessions_0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sessions_0005"
down_revision: str | Sequence[str] | None = "sessions_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audio_session") as batch:
        batch.add_column(sa.Column("ready_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audio_session") as batch:
        batch.drop_column("ready_minutes")
