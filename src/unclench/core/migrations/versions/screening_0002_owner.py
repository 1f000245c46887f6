"""Screening: every triage result, medicine, all clear and red flag has an owner (person_id).

Revision ID: screening_0002
Revises: screening_0001
"""

from __future__ import annotations

from collections.abc import Sequence

from unclench.core.migration_ops import add_owner, drop_owner

revision: str = "screening_0002"
down_revision: str | Sequence[str] | None = "screening_0001"
branch_labels: str | Sequence[str] | None = None
# the person table (accounts branch) that every owner column refers to
depends_on: str | Sequence[str] | None = "accounts_0001"

OWNED_TABLES = ("triage_result", "medication", "physical_all_clear", "episode_red_flag")


def upgrade() -> None:
    for table in OWNED_TABLES:
        add_owner(table)


def downgrade() -> None:
    for table in reversed(OWNED_TABLES):
        drop_owner(table)
