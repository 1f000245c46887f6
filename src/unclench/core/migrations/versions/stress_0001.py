"""Stress: questionnaire responses, stressor ratings, reflection notes.

Revision ID: stress_0001
Revises: 0002_diary
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "stress_0001"
down_revision: str | Sequence[str] | None = "0002_diary"
branch_labels: str | Sequence[str] | None = ("stress",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_response",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("instrument", sa.String(length=16), nullable=False),
        sa.Column("taken_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("subscores", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_response")),
    )
    op.create_index(
        op.f("ix_questionnaire_response_instrument"), "questionnaire_response", ["instrument"], unique=False
    )
    op.create_index(op.f("ix_questionnaire_response_taken_at"), "questionnaire_response", ["taken_at"], unique=False)
    op.create_table(
        "stressor_rating",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("stressor_id", sa.String(length=32), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("leeway", sa.Integer(), nullable=False),
        sa.Column("updated_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("weight BETWEEN 0 AND 4", name=op.f("ck_stressor_rating_weight_range")),
        sa.CheckConstraint("leeway BETWEEN 0 AND 4", name=op.f("ck_stressor_rating_leeway_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stressor_rating")),
        sa.UniqueConstraint("stressor_id", name=op.f("uq_stressor_rating_stressor_id")),
    )
    op.create_table(
        "reflection_note",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("region_id", sa.String(length=32), nullable=True),
        sa.Column("prompt_id", sa.String(length=48), nullable=False),
        sa.Column("prompt_text", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_note")),
    )
    op.create_index(op.f("ix_reflection_note_region_id"), "reflection_note", ["region_id"], unique=False)
    op.create_index(op.f("ix_reflection_note_created_at"), "reflection_note", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reflection_note_created_at"), table_name="reflection_note")
    op.drop_index(op.f("ix_reflection_note_region_id"), table_name="reflection_note")
    op.drop_table("reflection_note")
    op.drop_table("stressor_rating")
    op.drop_index(op.f("ix_questionnaire_response_taken_at"), table_name="questionnaire_response")
    op.drop_index(op.f("ix_questionnaire_response_instrument"), table_name="questionnaire_response")
    op.drop_table("questionnaire_response")
