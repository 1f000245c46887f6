from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from unclench.core.db import Base, make_engine
from unclench.core.models_registry import import_all_models

import_all_models()
config = context.config
target_metadata = Base.metadata


def ours(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate compares our tables only: procrastinate's (the clinic's job queue) are its own schema."""
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))


def run_with(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration copies a table into a new one and drops the old: with foreign keys enforced, that DROP
        # would cascade and delete the child rows (check-ins' factor values). Off for the migration (the pragma
        # takes effect only outside a transaction, hence before it), checked once it is done.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # end SQLAlchemy's implicit transaction, so Alembic's own commits the migration
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        include_name=ours,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows whose foreign key points nowhere: {broken[:5]}")


url = config.get_main_option("sqlalchemy.url")
assert url
engine = make_engine(url)
with engine.connect() as connection:
    run_with(connection)
engine.dispose()
