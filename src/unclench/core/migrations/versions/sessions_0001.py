"""Sessions: personalised audio sessions and the listening log.

Revision ID: sessions_0001
Revises: 0002_diary
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "sessions_0001"
down_revision: str | Sequence[str] | None = "0002_diary"
branch_labels: str | Sequence[str] | None = ("sessions",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audio_session",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("artefact_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("loudness_lufs", sa.Float(), nullable=True),
        sa.Column("created_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("rendered_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.Column("deleted_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audio_session")),
    )
    op.create_index(op.f("ix_audio_session_artefact_key"), "audio_session", ["artefact_key"], unique=False)
    op.create_table(
        "session_listen",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("started_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.Column("heard_s", sa.Float(), nullable=False),
        sa.Column("position_s", sa.Float(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("tension_before", sa.Integer(), nullable=True),
        sa.Column("tension_after", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["audio_session.id"],
            name=op.f("fk_session_listen_session_id_audio_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_listen")),
    )
    op.create_index(op.f("ix_session_listen_session_id"), "session_listen", ["session_id"], unique=False)
    op.create_index(op.f("ix_session_listen_started_at"), "session_listen", ["started_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_session_listen_started_at"), table_name="session_listen")
    op.drop_index(op.f("ix_session_listen_session_id"), table_name="session_listen")
    op.drop_table("session_listen")
    op.drop_index(op.f("ix_audio_session_artefact_key"), table_name="audio_session")
    op.drop_table("audio_session")
