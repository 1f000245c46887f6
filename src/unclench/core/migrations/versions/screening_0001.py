"""Screening: triage results, medicines, physical all clear, red flags on diary episodes.

Revision ID: screening_0001
Revises: 0002_diary
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "screening_0001"
down_revision: str | Sequence[str] | None = "0002_diary"
branch_labels: str | Sequence[str] | None = ("screening",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "triage_result",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("taken_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_result")),
    )
    op.create_index(op.f("ix_triage_result_taken_at"), "triage_result", ["taken_at"], unique=False)
    op.create_table(
        "medication",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("added_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medication")),
    )
    op.create_table(
        "physical_all_clear",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_physical_all_clear")),
    )
    op.create_table(
        "episode_red_flag",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("episode_id", sa.String(length=32), nullable=False),
        sa.Column("feature_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episode.id"], name=op.f("fk_episode_red_flag_episode_id_episode"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode_red_flag")),
        sa.UniqueConstraint("episode_id", "feature_id", name=op.f("uq_episode_red_flag_episode_id")),
    )
    op.create_index(op.f("ix_episode_red_flag_episode_id"), "episode_red_flag", ["episode_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_episode_red_flag_episode_id"), table_name="episode_red_flag")
    op.drop_table("episode_red_flag")
    op.drop_table("physical_all_clear")
    op.drop_table("medication")
    op.drop_index(op.f("ix_triage_result_taken_at"), table_name="triage_result")
    op.drop_table("triage_result")
