"""Sessions: a listen's status, 'listened' once enough was heard (60 % of the session or 3 minutes), else 'started'.

Revision ID: sessions_0004
Revises: sessions_0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sessions_0004"
down_revision: str | Sequence[str] | None = "sessions_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("session_listen") as batch:
        batch.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="started"))
    # Listens logged before: the same rule as `sessions.service.listen_minimum_s` (3 minutes, or 60 % of a shorter
    # session whose length is known).
    op.execute(
        "UPDATE session_listen SET status = 'listened' WHERE heard_s >= 180 OR heard_s >= 0.6 * ("
        "SELECT duration_s FROM audio_session WHERE audio_session.id = session_listen.session_id "
        "AND audio_session.duration_s > 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("session_listen") as batch:
        batch.drop_column("status")
