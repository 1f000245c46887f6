"""Screening: the person's own doctor's phone number (a tap-to-call link on the 'today' outcome).

Revision ID: screening_0002_doctor_phone
Revises: screening_0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "screening_0002_doctor_phone"
down_revision: str | Sequence[str] | None = "screening_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "doctor_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("updated_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_contact")),
    )


def downgrade() -> None:
    op.drop_table("doctor_contact")
