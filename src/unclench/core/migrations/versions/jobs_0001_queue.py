"""Jobs: `job_state` (a queued job's status and progress) and, on PostgreSQL, procrastinate's queue tables.

Revision ID: jobs_0001_queue
Revises: accounts_0004

Procrastinate's schema is its own `schema.sql` as shipped with procrastinate 3.10 (copied beside this file, so the
migration never changes when the library does); a later procrastinate release brings its migration SQL files, which
a later revision on this branch applies (docs/DEPLOY.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

import unclench.core.db

revision: str = "jobs_0001_queue"
down_revision: str | Sequence[str] | None = "accounts_0004"
branch_labels: str | Sequence[str] | None = ("jobs",)
depends_on: str | Sequence[str] | None = None

PROCRASTINATE_SCHEMA = Path(__file__).with_name("jobs_0001_procrastinate_3_10.sql")


def upgrade() -> None:
    op.create_table(
        "job_state",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=80), nullable=False),
        sa.Column("fraction", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", unclench.core.db.UTCDateTime(), nullable=False),
        sa.Column("started_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.Column("finished_at", unclench.core.db.UTCDateTime(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_job_state_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_state")),
    )
    op.create_index(op.f("ix_job_state_key"), "job_state", ["key"], unique=False)
    op.create_index(op.f("ix_job_state_person_id"), "job_state", ["person_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Many statements, with % and : in them: straight to the driver, which sends them as one simple query.
        bind.connection.driver_connection.execute(PROCRASTINATE_SCHEMA.read_text(encoding="utf-8"))  # type: ignore[union-attr]


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(
            "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
            "procrastinate_workers CASCADE"
        )
        functions = bind.exec_driver_sql(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%%'"
        ).scalars()
        for signature in list(functions):
            bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
        bind.exec_driver_sql(
            "DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type, procrastinate_job_to_defer_v1"
            " CASCADE"
        )
    op.drop_index(op.f("ix_job_state_person_id"), table_name="job_state")
    op.drop_index(op.f("ix_job_state_key"), table_name="job_state")
    op.drop_table("job_state")
