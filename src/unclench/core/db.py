"""Database engine, sessions and shared column types. One place for connection handling."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path
from sqlalchemy import DateTime, Engine, MetaData, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from unclench.core.errors import NotFoundError
from unclench.core.settings import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC; refuses naive input so no local time slips in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


ModelT = TypeVar("ModelT", bound=Base)

# An integer primary key from a URL: PostgreSQL's INTEGER stops at 2**31 - 1 (SQLite's at 2**63 - 1), and a larger
# number must be a clear 422 rather than a database overflow.
IntegerId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A row's whole-number id")]


def get_or_raise(db: Session, model: type[ModelT], record_id: object, what: str) -> ModelT:
    """The row with this primary key, or NotFoundError("No <what> with id …")."""
    record = db.get(model, record_id)
    if record is None:
        raise NotFoundError(f"No {what} with id {record_id}.")
    return record


def new_id() -> str:
    """A random, URL-safe primary key that survives export/import between databases."""
    return uuid.uuid4().hex


def id_column_type() -> String:
    return String(32)


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return _engine_for(get_settings().database_url)


def dispose_engines() -> None:
    """Close pooled connections (tests switch databases)."""
    for engine in list(_cached_engines()):
        engine.dispose()
    _engine_for.cache_clear()


def _cached_engines() -> Iterator[Engine]:
    # lru_cache keeps no public view of its values; rebuild from the current settings.
    if _engine_for.cache_info().currsize:
        yield _engine_for(get_settings().database_url)


def session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error, so nothing is half-written."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def request_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request, committed if the handler succeeds."""
    with session_scope() as session:
        yield session


# Use this in routes: `db: DbSession`. Function scope makes FastAPI commit *before* the response is sent,
# so a browser following a redirect after a POST always sees what was just saved.
DbSession = Annotated[Session, Depends(request_session, scope="function")]
