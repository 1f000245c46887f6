"""Screening: the person's own doctor's phone number (a tap-to-call link on the 'today' outcome).

Revision ID: screening_0004
Revises: screening_0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "screening_0004"
down_revision: str | Sequence[str] | None = "screening_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "doctor_contact",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("updated_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_doctor_contact_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_contact")),
        sa.UniqueConstraint("person_id", name="uq_doctor_contact_person_id"),
    )
    op.create_index(op.f("ix_doctor_contact_person_id"), "doctor_contact", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_doctor_contact_person_id"), table_name="doctor_contact")
    op.drop_table("doctor_contact")
