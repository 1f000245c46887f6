"""Steps that several migrations share (the owner column of every person-owned table).

Migrations that have run must not change their effect: change nothing here, add new functions instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# core.identity.LOCAL_PERSON_ID, written out: what a migration did must not change when the code does.
LOCAL_PERSON_ID = 1


def add_owner(table: str) -> None:
    """person_id on every row, NOT NULL, indexed, referring to person; the rows already there are the local person's."""
    with op.batch_alter_table(table) as batch:
        batch.add_column(
            sa.Column("person_id", sa.Integer(), nullable=False, server_default=sa.text(str(LOCAL_PERSON_ID)))
        )
        batch.create_index(batch.f(f"ix_{table}_person_id"), ["person_id"], unique=False)
        batch.create_foreign_key(batch.f(f"fk_{table}_person_id_person"), "person", ["person_id"], ["id"])
    # No default from now on: a row that does not name its owner is refused rather than given to person 1.
    with op.batch_alter_table(table) as batch:
        batch.alter_column("person_id", existing_type=sa.Integer(), existing_nullable=False, server_default=None)


def drop_owner(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(batch.f(f"fk_{table}_person_id_person"), type_="foreignkey")
        batch.drop_index(batch.f(f"ix_{table}_person_id"))
        batch.drop_column("person_id")


def advance_id_sequence(table: str) -> None:
    """PostgreSQL: rows were made with an explicit id (1), which left the sequence behind; the next row needs 2."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)"
            f" FROM {table}"
        )
