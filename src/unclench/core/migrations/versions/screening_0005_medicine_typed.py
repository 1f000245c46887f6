"""Screening: a medicine keeps what the person typed beside the name we recognised ('atorvastatn' → atorvastatin).

Revision ID: screening_0005
Revises: screening_0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "screening_0005"
down_revision: str | Sequence[str] | None = "screening_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("medication") as batch:
        batch.add_column(sa.Column("typed", sa.String(length=120), nullable=False, server_default=""))
    # Medicines saved before this were stored as typed: that text is what the person typed.
    op.execute("UPDATE medication SET typed = name")


def downgrade() -> None:
    with op.batch_alter_table("medication") as batch:
        batch.drop_column("typed")
