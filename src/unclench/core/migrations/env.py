from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from unclench.core.db import Base, make_engine
from unclench.core.models_registry import import_all_models

import_all_models()
config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


url = config.get_main_option("sqlalchemy.url")
assert url
engine = make_engine(url)
with engine.connect() as connection:
    run_with(connection)
engine.dispose()
