"""Sessions: practice settings (streak shown or not, optional daily reminder).

Revision ID: sessions_0002
Revises: sessions_0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "sessions_0002"
down_revision: str | Sequence[str] | None = "sessions_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice_preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("streaks_on", sa.Boolean(), nullable=False),
        sa.Column("reminder_minute", sa.Integer(), nullable=True),
        sa.Column("updated_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "reminder_minute IS NULL OR reminder_minute BETWEEN 0 AND 1439",
            name=op.f("ck_practice_preference_reminder_minute_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_preference")),
    )


def downgrade() -> None:
    op.drop_table("practice_preference")
