"""Sessions: an adaptive session's decisions (choice at each decision point, tone before and 10 s after).

Revision ID: sessions_0006_engine
Revises: sessions_0006_programmes
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "sessions_0006_engine"
down_revision: str | Sequence[str] | None = "sessions_0006_programmes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "session_decision",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("listen_id", unclench.core.db.id_column_type(), nullable=False),
        sa.Column("point", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("choice", sa.String(length=16), nullable=False),
        sa.Column("cue_id", sa.String(length=128), nullable=True),
        sa.Column("at_s", sa.Float(), nullable=False),
        sa.Column("tone_before", sa.Float(), nullable=True),
        sa.Column("tone_after", sa.Float(), nullable=True),
        sa.Column("tone_after_source", sa.String(length=16), nullable=True),
        sa.Column("stream_t", sa.Float(), nullable=True),
        sa.Column("created_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("choice IN ('release_cue', 'silence', 'move_on')", name=op.f("ck_session_decision_choice")),
        sa.CheckConstraint("at_s >= 0", name=op.f("ck_session_decision_at_s_positive")),
        sa.ForeignKeyConstraint(
            ["listen_id"],
            ["session_listen.id"],
            name=op.f("fk_session_decision_listen_id_session_listen"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_session_decision_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_decision")),
    )
    op.create_index(op.f("ix_session_decision_person_id"), "session_decision", ["person_id"], unique=False)
    op.create_index(op.f("ix_session_decision_listen_id"), "session_decision", ["listen_id"], unique=False)
    op.create_index(op.f("ix_session_decision_region"), "session_decision", ["region"], unique=False)


def downgrade() -> None:
    op.drop_table("session_decision")
