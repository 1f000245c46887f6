"""Accounts: paired devices (a phone on the home network) and the one-time pairing links that make them.

Revision ID: accounts_0004
Revises: accounts_0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "accounts_0004"
down_revision: str | Sequence[str] | None = "accounts_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "paired_device",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_paired_device_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paired_device")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_paired_device_token_hash")),
    )
    op.create_index(op.f("ix_paired_device_person_id"), "paired_device", ["person_id"], unique=False)
    op.create_table(
        "pairing_link",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("used_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["paired_device.id"], name=op.f("fk_pairing_link_device_id_paired_device")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_pairing_link_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pairing_link_token_hash")),
    )
    op.create_index(op.f("ix_pairing_link_person_id"), "pairing_link", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pairing_link")
    op.drop_table("paired_device")
