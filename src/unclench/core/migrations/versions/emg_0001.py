"""EMG: recordings, channels tied to body regions, bursts (optionally turned into diary episodes).

Revision ID: emg_0001
Revises: 0002_diary
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "emg_0001"
down_revision: str | Sequence[str] | None = "0002_diary"
branch_labels: str | Sequence[str] | None = ("emg",)
# a recording can be tied to a session listen (table from the sessions branch)
depends_on: str | Sequence[str] | None = "sessions_0001"


def upgrade() -> None:
    op.create_table(
        "emg_recording",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=80), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("recorded_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("fs", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("listen_id", sa.String(length=32), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["listen_id"],
            ["session_listen.id"],
            name=op.f("fk_emg_recording_listen_id_session_listen"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emg_recording")),
        sa.UniqueConstraint("file_sha256", name=op.f("uq_emg_recording_file_sha256")),
    )
    op.create_index(op.f("ix_emg_recording_listen_id"), "emg_recording", ["listen_id"], unique=False)
    op.create_index(op.f("ix_emg_recording_recorded_at"), "emg_recording", ["recorded_at"], unique=False)
    op.create_table(
        "emg_channel",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("region_id", sa.String(length=32), nullable=True),
        sa.Column("side", sa.String(length=8), nullable=True),
        sa.Column("resting_tone_uv", sa.Float(), nullable=True),
        sa.Column("baseline_uv", sa.Float(), nullable=True),
        sa.Column("burst_count", sa.Integer(), nullable=False),
        sa.Column("burst_rate_per_min", sa.Float(), nullable=True),
        sa.Column("mains_hz", sa.Float(), nullable=True),
        sa.Column("flat_s", sa.Float(), nullable=False),
        sa.Column("clipped_s", sa.Float(), nullable=False),
        sa.Column("motion_s", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["emg_recording.id"],
            name=op.f("fk_emg_channel_recording_id_emg_recording"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emg_channel")),
    )
    op.create_index(op.f("ix_emg_channel_recording_id"), "emg_channel", ["recording_id"], unique=False)
    op.create_index(op.f("ix_emg_channel_region_id"), "emg_channel", ["region_id"], unique=False)
    op.create_table(
        "emg_burst",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("onset_s", sa.Float(), nullable=False),
        sa.Column("offset_s", sa.Float(), nullable=False),
        sa.Column("peak_uv", sa.Float(), nullable=False),
        sa.Column("mean_uv", sa.Float(), nullable=False),
        sa.Column("clipped", sa.Boolean(), nullable=False),
        sa.Column("episode_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["emg_channel.id"], name=op.f("fk_emg_burst_channel_id_emg_channel"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episode.id"], name=op.f("fk_emg_burst_episode_id_episode"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emg_burst")),
    )
    op.create_index(op.f("ix_emg_burst_channel_id"), "emg_burst", ["channel_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_emg_burst_channel_id"), table_name="emg_burst")
    op.drop_table("emg_burst")
    op.drop_index(op.f("ix_emg_channel_region_id"), table_name="emg_channel")
    op.drop_index(op.f("ix_emg_channel_recording_id"), table_name="emg_channel")
    op.drop_table("emg_channel")
    op.drop_index(op.f("ix_emg_recording_recorded_at"), table_name="emg_recording")
    op.drop_index(op.f("ix_emg_recording_listen_id"), table_name="emg_recording")
    op.drop_table("emg_recording")
