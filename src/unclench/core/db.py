"""Database engine, sessions and shared column types. One place for connection handling."""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Engine,
    ForeignKey,
    MetaData,
    String,
    any_,
    create_engine,
    event,
    false,
    literal,
    select,
)
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    QueryableAttribute,
    Session,
    UOWTransaction,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.types import TypeDecorator

from unclench.core import clock
from unclench.core.errors import NotFoundError
from unclench.core.identity import Caller, caller_of, set_caller
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


# --- Every row has an owner ---------------------------------------------------------------------------------
# A person-owned table carries `person_id`. Two session listeners below are the one place that scopes data to the
# session's caller (`core.identity.caller_of`): every ORM read, update and delete sees only the caller's rows, and
# every flush stamps new rows with the caller's person and refuses a row of anyone else's. Routes and services
# never filter by person themselves. A caller may be narrowed to some categories of that person's data
# (`Caller.categories`, `Caller.writes`: a practitioner acting for a consenting client): a model whose
# `consent_category` is not among them shows no rows and refuses writes, in the same two listeners.

# No person has this id: an anonymous caller (person_id None) is scoped to it and so sees nothing.
NO_PERSON = 0


class PersonOwned:
    """A row that belongs to one person (`person.id`); only that person's sessions can see or change it.

    Each model names its `consent_category` (one of `core.identity.CONSENT_CATEGORIES`): what a person consents to
    show a practitioner. A model without a valid one is hidden from every narrowed caller (and a test fails).
    """

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    consent_category: ClassVar[str]


class ForeignRowError(PermissionError):
    """A flush tried to write a row of a person other than the session's caller (a bug or an attack, never input)."""


def owner_id(db: Session) -> int:
    """The person the session's caller acts for; refuses an anonymous caller (who owns nothing and writes nothing).

    For writes that bypass the ORM flush (Core bulk inserts), which must name the owner themselves.
    """
    person_id = caller_of(db).person_id
    if person_id is None:
        raise ForeignRowError("an anonymous caller cannot write anyone's data")
    return person_id


def _scoped_person_id(db: Session) -> int:
    person_id = caller_of(db).person_id
    return NO_PERSON if person_id is None else person_id


def category_of(model: type) -> str:
    """A person-owned model's consent category ("" when it declares none, which no narrowed caller may see)."""
    return str(getattr(model, "consent_category", ""))


def person_owned_models() -> list[type[PersonOwned]]:
    """Every mapped person-owned model (those imported so far)."""
    return [m.class_ for m in Base.registry.mappers if issubclass(m.class_, PersonOwned)]


@lru_cache(maxsize=256)
def _hiding_criteria(categories: frozenset[str], _mapped: int) -> tuple[Any, ...]:
    """One "no rows" loader criterion per person-owned model outside `categories` (cached per set of categories and
    per count of mapped classes, so a model mapped later is not missed).

    Plain criteria, not lambdas: which models are hidden changes the SQL itself, so it must be part of the
    statement's cache key (it is: each option is), never a value inside a cached lambda.
    """
    hidden = [m for m in person_owned_models() if category_of(m) not in categories]
    return tuple(with_loader_criteria(m, false(), include_aliases=True) for m in hidden)


def _bulk_write_categories(caller: Caller) -> frozenset[str] | None:
    """What a bulk UPDATE or DELETE may touch: categories the caller both reads and writes (None: all)."""
    if caller.writes is None:
        return caller.categories
    return caller.writes if caller.categories is None else caller.categories & caller.writes


@event.listens_for(Session, "do_orm_execute")
def _only_the_callers_rows(state: ORMExecuteState) -> None:
    """Add "person_id = the caller's" to every ORM SELECT, UPDATE and DELETE on a person-owned table, and "no rows"
    for the categories a narrowed caller may not read."""
    if state.is_column_load or not (state.is_select or state.is_update or state.is_delete):
        return
    caller = caller_of(state.session)
    person_id = NO_PERSON if caller.person_id is None else caller.person_id
    options = [with_loader_criteria(PersonOwned, lambda cls: cls.person_id == person_id, include_aliases=True)]
    allowed = caller.categories if state.is_select else _bulk_write_categories(caller)
    if allowed is not None:
        options += _hiding_criteria(allowed, len(Base.registry.mappers))
    state.statement = state.statement.options(*options)


@event.listens_for(Session, "before_flush")
def _stamp_and_check_owner(db: Session, _flush: UOWTransaction, _instances: object) -> None:
    """New rows belong to the caller; a new, changed or deleted row of another person, or of a category the caller
    may not write, stops the flush."""
    caller = caller_of(db)
    person_id = caller.person_id
    for row in db.new:
        if isinstance(row, PersonOwned) and row.person_id is None and person_id is not None:
            row.person_id = person_id
    for row in (*db.new, *db.dirty, *db.deleted):
        if not isinstance(row, PersonOwned):
            continue
        if person_id is None or row.person_id != person_id:
            raise ForeignRowError(f"refused to write a {type(row).__name__} row that is not the caller's")
        if caller.writes is not None and category_of(type(row)) not in caller.writes:
            raise ForeignRowError(f"refused to write a {type(row).__name__} row: not a category this caller writes")


def _owned_by_caller(db: Session, record: object) -> bool:
    """False for another person's row, or one of a category the caller may not read (a row already in the
    session's identity map skips the scoped SELECT)."""
    if not isinstance(record, PersonOwned):
        return True
    caller = caller_of(db)
    return record.person_id == _scoped_person_id(db) and (
        caller.categories is None or category_of(type(record)) in caller.categories
    )


ModelT = TypeVar("ModelT", bound=Base)


def get_or_raise(db: Session, model: type[ModelT], record_id: object, what: str) -> ModelT:
    """The caller's row with this primary key, or NotFoundError("No <what> with id …")."""
    record = db.get(model, record_id)
    if record is None or not _owned_by_caller(db, record):
        raise NotFoundError(f"No {what} with id {record_id}.")
    return record


class SoftDelete:
    """A row that goes to the bin (`deleted_at` set) rather than away, so it can be restored."""

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def soft_delete(self) -> None:
        self.deleted_at = clock.now()

    def restore(self) -> None:
        self.deleted_at = None


SoftT = TypeVar("SoftT", bound=SoftDelete)


def get_live(db: Session, model: type[SoftT], record_id: object, what: str, *, include_deleted: bool = False) -> SoftT:
    """The caller's row with this primary key unless it is in the bin (then only with include_deleted), or NotFoundError."""
    record = db.get(model, record_id)
    if record is None or not _owned_by_caller(db, record) or (record.deleted_at is not None and not include_deleted):
        raise NotFoundError(f"No {what} with id {record_id}.")
    return record


def list_live(
    db: Session,
    model: type[SoftT],
    *,
    where: tuple[ColumnElement[bool], ...] = (),
    order_by: tuple[Any, ...] = (),
    limit: int | None = None,
    include_deleted: bool = False,
) -> list[SoftT]:
    """Rows not in the bin (all rows with include_deleted) that meet every `where` condition, in order."""
    query = select(model).where(*where).order_by(*order_by)
    if not include_deleted:
        query = query.where(model.deleted_at.is_(None))
    if limit:
        query = query.limit(limit)
    return list(db.scalars(query))


def among(
    db: Session, column: ColumnElement[Any] | QueryableAttribute[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as one array parameter (`= ANY(…)`), so a practitioner's 200 client ids are
    neither written into the statement nor parsed again on every call (about 40 ms of a 200-client roster)."""
    if db.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(values)


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
    # A writer waits this long for another's write to finish rather than failing "database is locked": on a busy
    # laptop a live recording being saved and the player's listen update can meet, and neither should be lost.
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    engine = create_engine(url)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", lambda conn, record, _proxy: _ping_if_idle(engine, conn, record))
    return engine


# A pooled connection idle this long is checked (one round trip) before use, so one the server dropped meanwhile (a
# restart, an idle time-out) is replaced rather than failing a request. Not on every checkout, as pool_pre_ping
# does: a clinic's request checks out a connection twice (sign-in look-up, then the route), and under load those
# pings were 14 % of a web process's time, for connections returned milliseconds before.
PING_IDLE_AFTER_S = 2.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(engine: Engine, dbapi_connection: Any, record: Any) -> None:
    returned = record.info.get("checked_in_at")
    if returned is not None and time.monotonic() - returned < PING_IDLE_AFTER_S:
        return
    try:
        engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error as dropped:
        raise DisconnectionError() from dropped  # the pool discards it and checks out (or opens) another


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine(*, models_through: str | None = None) -> Engine:
    """The engine for the configured database, with the models a flush needs imported first.

    Every table a foreign key names must be known before the first flush: an EMG recording names a listen, another
    domain's table, and a process that imported only the EMG models would fail to map it. By default every domain's
    models are imported; ``models_through`` (a domain) imports that domain's and the earlier domains' only, all its
    rows' foreign keys can name (`import_models_through`), for a command that must start quickly.
    """
    from unclench.core.models_registry import import_all_models, import_models_through

    if models_through is None:
        import_all_models()
    else:
        import_models_through(models_through)
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


def session_factory(*, models_through: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(models_through=models_through), expire_on_commit=False)


@contextmanager
def session_scope(caller: Caller | None = None, *, models_through: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error, so nothing is half-written.

    `caller`: whose data it reads and writes (a job carries on as the request that started it); none: the local
    person (a command). `models_through`: see `get_engine`.
    """
    session = session_factory(models_through=models_through)()
    if caller is not None:
        set_caller(session, caller)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def lookup_scope() -> Iterator[Session]:
    """A session whose statements each commit on their own, for a short look-up that needs no transaction around it.

    It saves the BEGIN and COMMIT round trips a transaction costs (psycopg sends each on its own): a clinic request's
    sign-in check (one read, now and then one update) runs before every route. As the local person, like commands.
    """
    session = Session(bind=get_engine().execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
    try:
        yield session
        session.commit()  # flushes pending changes: each of their statements commits itself
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
