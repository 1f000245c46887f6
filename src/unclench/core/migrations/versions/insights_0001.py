"""Insights: the person's diary-day boundary.

Revision ID: insights_0001
Revises: 0002_diary
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "insights_0001"
down_revision: str | Sequence[str] | None = "0002_diary"
branch_labels: str | Sequence[str] | None = ("insights",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insights_preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day_starts_at", sa.Integer(), nullable=False),
        sa.Column("updated_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("day_starts_at BETWEEN 0 AND 12", name=op.f("ck_insights_preference_day_starts_at_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights_preference")),
    )


def downgrade() -> None:
    op.drop_table("insights_preference")
