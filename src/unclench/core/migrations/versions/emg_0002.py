"""EMG: each burst is classed by duration (twitch, burst, sustained).

Revision ID: emg_0002
Revises: emg_0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "emg_0002"
down_revision: str | Sequence[str] | None = "emg_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("emg_burst") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=12), nullable=False, server_default="burst"))


def downgrade() -> None:
    with op.batch_alter_table("emg_burst") as batch:
        batch.drop_column("kind")
