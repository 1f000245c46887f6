"""Screening: a medicine on the person's list may say since when they take it (optional), for the report's "Since".

Revision ID: screening_0003
Revises: screening_0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "screening_0003"
down_revision: str | Sequence[str] | None = "screening_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("medication") as batch:
        batch.add_column(sa.Column("started_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("medication") as batch:
        batch.drop_column("started_on")
