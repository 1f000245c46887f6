"""Sessions: home programmes (which sessions how often, check-ins, questionnaires, EMG) and their items.

Revision ID: sessions_0006_programmes
Revises: sessions_0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "sessions_0006_programmes"
down_revision: str | Sequence[str] | None = "sessions_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("prescribed_by_account_id", sa.Integer(), nullable=True),
        sa.Column("checkin_every_days", sa.Integer(), nullable=True),
        sa.Column("questionnaire", sa.String(length=16), nullable=True),
        sa.Column("questionnaire_every_days", sa.Integer(), nullable=True),
        sa.Column("emg_per_week", sa.Integer(), nullable=True),
        sa.Column("emg_region", sa.String(length=48), nullable=True),
        sa.Column("created_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("ends_on > starts_on", name=op.f("ck_programme_ends_after_start")),
        sa.CheckConstraint(
            "checkin_every_days IS NULL OR checkin_every_days IN (1, 7)", name=op.f("ck_programme_checkin_every_days")
        ),
        sa.CheckConstraint(
            "emg_per_week IS NULL OR emg_per_week BETWEEN 1 AND 7", name=op.f("ck_programme_emg_per_week_range")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_programme_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
    )
    op.create_index(op.f("ix_programme_person_id"), "programme", ["person_id"], unique=False)
    op.create_index(op.f("ix_programme_starts_on"), "programme", ["starts_on"], unique=False)
    op.create_index(op.f("ix_programme_ends_on"), "programme", ["ends_on"], unique=False)
    op.create_index(
        op.f("ix_programme_prescribed_by_account_id"), "programme", ["prescribed_by_account_id"], unique=False
    )
    op.create_table(
        "programme_item",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("programme_id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("per_week", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("per_week BETWEEN 1 AND 14", name=op.f("ck_programme_item_per_week_range")),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_programme_item_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["audio_session.id"],
            name=op.f("fk_programme_item_session_id_audio_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_programme_item_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_item")),
    )
    op.create_index(op.f("ix_programme_item_person_id"), "programme_item", ["person_id"], unique=False)
    op.create_index(op.f("ix_programme_item_programme_id"), "programme_item", ["programme_id"], unique=False)
    op.create_index(op.f("ix_programme_item_session_id"), "programme_item", ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_table("programme_item")
    op.drop_table("programme")
