"""EMG: every recording, channel and burst has an owner (person_id).

Revision ID: emg_0003
Revises: emg_0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from unclench.core.migration_ops import add_owner, drop_owner

revision: str = "emg_0003"
down_revision: str | Sequence[str] | None = "emg_0002"
branch_labels: str | Sequence[str] | None = None
# the person table (accounts branch) that every owner column refers to
depends_on: str | Sequence[str] | None = "accounts_0001"

OWNED_TABLES = ("emg_recording", "emg_channel", "emg_burst")


def upgrade() -> None:
    for table in OWNED_TABLES:
        add_owner(table)

    # The same file is one recording per person: two people may each import it.
    with op.batch_alter_table("emg_recording") as batch:
        batch.drop_constraint(batch.f("uq_emg_recording_file_sha256"), type_="unique")
        batch.create_unique_constraint(batch.f("uq_emg_recording_person_id"), ["person_id", "file_sha256"])


def downgrade() -> None:
    with op.batch_alter_table("emg_recording") as batch:
        batch.drop_constraint(batch.f("uq_emg_recording_person_id"), type_="unique")
        batch.create_unique_constraint(batch.f("uq_emg_recording_file_sha256"), ["file_sha256"])
    for table in reversed(OWNED_TABLES):
        drop_owner(table)
