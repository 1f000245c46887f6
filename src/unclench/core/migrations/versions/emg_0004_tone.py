"""EMG: a recording tied to a listen keeps its alignment (the recording's time at the session's start).

Revision ID: emg_0004_tone
Revises: emg_0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "emg_0004_tone"
down_revision: str | Sequence[str] | None = "emg_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("emg_recording") as batch:
        batch.add_column(sa.Column("listen_offset_s", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("emg_recording") as batch:
        batch.drop_column("listen_offset_s")
