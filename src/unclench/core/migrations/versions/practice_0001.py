"""Practice: care links (practitioner ↔ client), versioned consents, practitioner notes.

Revision ID: practice_0001
Revises: 0002_diary
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "practice_0001"
down_revision: str | Sequence[str] | None = "0002_diary"
branch_labels: str | Sequence[str] | None = ("practice",)
# the account table (clinic accounts, accounts_0003) every link names; not the branch head, which would take
# its place in the version table
depends_on: str | Sequence[str] | None = "accounts_0003"


def upgrade() -> None:
    op.create_table(
        "care_link",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("practitioner_account_id", sa.Integer(), nullable=False),
        sa.Column("client_person_id", sa.Integer(), nullable=False),
        sa.Column("started_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["practitioner_account_id"],
            ["account.id"],
            name=op.f("fk_care_link_practitioner_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_person_id"], ["person.id"], name=op.f("fk_care_link_client_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_link")),
    )
    op.create_index(
        "ix_care_link_practitioner_client", "care_link", ["practitioner_account_id", "client_person_id"], unique=False
    )
    op.create_index(op.f("ix_care_link_client_person_id"), "care_link", ["client_person_id"], unique=False)
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("client_person_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("given_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("superseded_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["care_link.id"], name=op.f("fk_consent_link_id_care_link"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_person_id"], ["person.id"], name=op.f("fk_consent_client_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    op.create_index("ix_consent_link_current", "consent", ["link_id", "superseded_at"], unique=False)
    op.create_index(op.f("ix_consent_client_person_id"), "consent", ["client_person_id"], unique=False)
    op.create_table(
        "practitioner_note",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("author_account_id", sa.Integer(), nullable=True),
        sa.Column("author_label", sa.String(length=254), nullable=False),
        sa.Column("written_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_practitioner_note_person_id_person")),
        sa.ForeignKeyConstraint(
            ["author_account_id"],
            ["account.id"],
            name=op.f("fk_practitioner_note_author_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practitioner_note")),
    )
    op.create_index(op.f("ix_practitioner_note_person_id"), "practitioner_note", ["person_id"], unique=False)
    op.create_index(
        op.f("ix_practitioner_note_author_account_id"), "practitioner_note", ["author_account_id"], unique=False
    )
    op.create_index(op.f("ix_practitioner_note_written_at"), "practitioner_note", ["written_at"], unique=False)


def downgrade() -> None:
    op.drop_table("practitioner_note")
    op.drop_table("consent")
    op.drop_table("care_link")
