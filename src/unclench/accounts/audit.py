"""The audit log: an append-only, hash-chained record of who did what to whose data, when, from where.

Every entry carries the hash of the entry before it, and its own hash is SHA-256 over its fields (sorted-key JSON)
and that link, so `verify` names the first entry that was altered, deleted, inserted or moved. The chain detects
tampering by someone who cannot rewrite the whole chain; someone who can (the database's owner) could rebuild it,
and only a copy of the head kept elsewhere would show that (docs/SECURITY.md).

What is recorded: sign-ins and account changes (their services call `record`), exports (`record_export`), and
every read or change of a person's data by anyone other than that person (`read_person_data`,
`changed_person_data`, and the session hooks that `install_access_audit` adds). The person's own reads are not
recorded: on their own computer or phone they are the only reader, and a line for every page they open would
bury the entries that matter.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import chain
from typing import Any, Literal, cast

from sqlalchemy import DateTime, Table, event, func, insert, select, type_coerce, update
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.unitofwork import UOWTransaction

from unclench.accounts.models import Account, AuditEntry, AuditHead, PairedDevice, PairingLink
from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.core.formatting import local_time
from unclench.core.identity import Caller, caller_of

# The link before the first entry.
GENESIS = "0" * 64
HEAD_ID = 1
# One key for PostgreSQL's transaction-scoped advisory lock that serialises appends (any constant bigint will do).
_LOCK_KEY = 0x756E636C656E6368  # "unclench"

Outcome = Literal["success", "denied", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("success", "denied", "failed")

# Column lengths (accounts.models.AuditEntry): values are cut to them before hashing, so the stored row and the
# hashed fields are the same.
_LIMITS = {
    "action": 40,
    "resource": 40,
    "resource_ref": 120,
    "resource_label": 120,
    "address": 64,
    "user_agent": 200,
}

# The fields the hash covers, in the table's order (the canonical JSON sorts them by name).
HASHED_FIELDS = (
    "seq",
    "at",
    "actor_kind",
    "actor_role",
    "actor_person_id",
    "actor_account_id",
    "actor_device_id",
    "subject_person_id",
    "action",
    "resource",
    "resource_ref",
    "resource_label",
    "address",
    "user_agent",
    "outcome",
    "prev_hash",
)


@dataclass(frozen=True)
class What:
    """What an entry is about: a kind of thing, which one (an id, a period) and a name a person recognises."""

    resource: str
    ref: str = ""
    label: str = ""

    @classmethod
    def of(cls, value: What | str) -> What:
        """A `What`, or one read from "resource ref…" (e.g. "episode 3f2a…")."""
        if isinstance(value, What):
            return value
        resource, _, ref = value.strip().partition(" ")
        return cls(resource, ref.strip())


# --- appending ---------------------------------------------------------------------------------------------------


def _clean(value: str, limit: int) -> str:
    # PostgreSQL refuses NUL in text, and a header may carry anything.
    return value.replace("\x00", "")[:limit]


def _instant(moment: datetime) -> str:
    """A UTC instant with microseconds, e.g. "2026-06-17T08:00:00.000000Z" (the form the hash covers)."""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    """The entry's fields as the hash covers them (the time as a UTC instant with microseconds)."""
    values: dict[str, Any] = {name: getattr(entry, name) for name in HASHED_FIELDS}
    values["at"] = _instant(entry.at)
    return values


def compute_hash(fields: dict[str, Any]) -> str:
    """SHA-256 (hex) over the fields as sorted-key, compact JSON in UTF-8."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# verify's fast path: the fields already in sorted order give the same JSON as sort_keys, without sorting each time.
_SORTED_FIELDS = tuple(sorted(HASHED_FIELDS))
_AT_INDEX = _SORTED_FIELDS.index("at")
_SEQ_INDEX = _SORTED_FIELDS.index("seq")
_PREV_INDEX = _SORTED_FIELDS.index("prev_hash")
_ENCODE_SORTED = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


_HEAD = cast("Table", AuditHead.__table__)


def _lock_head(db: Session) -> tuple[int, str] | None:
    """Lock the head row for this transaction and read it: (seq, hash), or None if the row is missing.

    A write, because a write is what takes the lock on both databases: PostgreSQL's row lock (a second writer
    waits, then reads the head the first one left) and SQLite's one write lock (a read alone would take neither).
    """
    touch = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=_HEAD.c.seq)
    row = db.execute(touch.returning(_HEAD.c.seq, _HEAD.c.entry_hash)).first()
    return None if row is None else (row.seq, row.entry_hash)


def _take_head(db: Session) -> tuple[int, str]:
    """Lock the chain for this transaction and return its head, made again from the last entry if missing."""
    head = _lock_head(db)
    if head is not None:
        return head
    if db.get_bind().dialect.name == "postgresql":
        # No row to lock (a database emptied by hand): two first writers queue on an advisory lock instead.
        db.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
        if (head := _lock_head(db)) is not None:
            return head
    last = db.execute(select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    head = (last.seq, last.entry_hash) if last else (0, GENESIS)
    db.execute(_HEAD.insert().values(id=HEAD_ID, seq=head[0], entry_hash=head[1]))
    return head


def _entry_fields(
    actor: Caller,
    seq: int,
    at: datetime,
    subject_person_id: int | None,
    action: str,
    thing: What,
    outcome: Outcome,
    prev_hash: str,
) -> dict[str, Any]:
    """An entry's hashed fields (every one but its own hash), values cut to their columns."""
    return {
        "seq": seq,
        "at": at,
        "actor_kind": actor.kind,
        "actor_role": actor.role,
        "actor_person_id": actor.person_id,
        "actor_account_id": actor.account_id,
        "actor_device_id": actor.device_id,
        "subject_person_id": subject_person_id,
        "action": _clean(action, _LIMITS["action"]),
        "resource": _clean(thing.resource, _LIMITS["resource"]),
        "resource_ref": _clean(thing.ref, _LIMITS["resource_ref"]),
        "resource_label": _clean(thing.label, _LIMITS["resource_label"]),
        "address": _clean(actor.address, _LIMITS["address"]),
        "user_agent": _clean(actor.user_agent, _LIMITS["user_agent"]),
        "outcome": outcome,
        "prev_hash": prev_hash,
    }


def record(
    db: Session,
    action: str,
    *,
    subject_person_id: int | None,
    what: What | str,
    outcome: Outcome = "success",
    caller: Caller | None = None,
) -> AuditEntry:
    """Append one entry, made by the session's caller (or `caller`), and flush it.

    It belongs to the session's transaction: it is kept if the request or command commits. The chain's head stays
    locked until then (PostgreSQL's row lock, SQLite's write lock), so record after long work, not before it.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    actor = caller or caller_of(db)
    thing = What.of(what)
    head_seq, head_hash = _take_head(db)
    entry = AuditEntry(
        **_entry_fields(actor, head_seq + 1, clock.now(), subject_person_id, action, thing, outcome, head_hash)
    )
    entry.entry_hash = compute_hash(hashed_fields(entry))
    db.add(entry)
    db.flush()
    db.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=entry.seq, entry_hash=entry.entry_hash))
    return entry


def record_reads(db: Session, reads: Iterable[tuple[int, What]]) -> int:
    """Append one "data_read" entry per (person, what), made by the session's caller, in one flush: a page that
    summarises many people's data (a practitioner's roster) logs a line in each person's log at once. How many."""
    reads = list(reads)
    if not reads:
        return 0
    actor = caller_of(db)
    head_seq, head_hash = _take_head(db)
    now = clock.now()
    rows = []
    for subject, thing in reads:
        head_seq += 1
        row = _entry_fields(actor, head_seq, now, subject, "data_read", thing, "success", head_hash)
        row["entry_hash"] = head_hash = compute_hash({**row, "at": _instant(now)})
        rows.append(row)
    # One Core executemany on the table rather than one ORM object per entry (or the ORM's bulk path, which costs as
    # much again in Python): a roster of 200 clients writes 200 entries.
    db.execute(insert(cast("Table", AuditEntry.__table__)), rows)
    db.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=head_seq, entry_hash=head_hash))
    return len(rows)


def record_export(db: Session, what: What | str) -> AuditEntry:
    """An export of the data of the person the caller acts on (a report, the diary as CSV, this log) left the app."""
    return record(db, "export", subject_person_id=caller_of(db).person_id, what=what)


# --- reads and changes by someone other than the person ----------------------------------------------------------


def acts_only_for_self(caller: Caller) -> bool:
    """Whether this caller can only ever be the person whose data it reaches.

    This computer's own user and their paired phones are the person (there is no one else on a local app); a
    clinic client signed in to their own account is too, since the central scoping shows them only their data.
    """
    return caller.kind in ("local", "device") or (caller.kind == "account" and caller.role == "person")


def acts_for_someone_else(caller: Caller, subject_person_id: int) -> bool:
    """Whether `caller` touching this person's data is someone other than the person (and so is audited)."""
    return not (acts_only_for_self(caller) and caller.person_id == subject_person_id)


def read_person_data(db: Session, person_id: int, what: What | str) -> AuditEntry | None:
    """Call where a feature shows one person's data to its caller: recorded unless the caller is that person."""
    if not acts_for_someone_else(caller_of(db), person_id):
        return None
    return record(db, "data_read", subject_person_id=person_id, what=what)


def changed_person_data(db: Session, person_id: int, what: What | str) -> AuditEntry | None:
    """Call where a feature changes one person's data: recorded unless the caller is that person."""
    if not acts_for_someone_else(caller_of(db), person_id):
        return None
    return record(db, "data_changed", subject_person_id=person_id, what=what)


# Per session, until commit: (action, person, table) → the rows' ids (a few) and how many.
_PENDING_KEY = "unclench.audit.pending"
_IDS_SHOWN = 3
# An execution option that keeps a statement out of the access hooks (maintenance that reads every person).
SKIP_ACCESS_AUDIT = "unclench_skip_access_audit"


@dataclass
class _Access:
    ids: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, row_id: object) -> None:
        self.count += 1
        if row_id is not None and len(self.ids) < _IDS_SHOWN:
            self.ids.append(str(row_id))

    def ref(self) -> str:
        if self.count <= len(self.ids):
            return ", ".join(self.ids)
        return f"{self.count} rows"


def _pending(session: Session) -> dict[tuple[str, int | None, str], _Access]:
    pending: dict[tuple[str, int | None, str], _Access] = session.info.setdefault(_PENDING_KEY, {})
    return pending


# Tables with a `person_id` that are not the person's data: who signs in and which phones are paired.
_NOT_PERSON_DATA = (Account, PairedDevice, PairingLink)


def _owned_row(element: object) -> tuple[str, object, object] | None:
    """(table, owner, id) of a person-owned ORM object, else None.

    An account, a paired device or a pairing link names its person too, but looking it up at sign-in or pairing is
    not reading the person's data (sign-ins, pairing and revoking have entries of their own).
    """
    table = getattr(element, "__table__", None)
    if table is None or "person_id" not in table.c or isinstance(element, _NOT_PERSON_DATA):
        return None
    return str(table.name), getattr(element, "person_id", None), getattr(element, "id", None)


def _note_orm_access(state: ORMExecuteState) -> Any:
    """do_orm_execute: note which people's rows a watched caller's statement reads or changes."""
    session = state.session
    caller = caller_of(session)
    if acts_only_for_self(caller) or state.execution_options.get(SKIP_ACCESS_AUDIT):
        return None  # the everyday path: one dictionary read per statement
    tables = [
        m.persist_selectable.description
        for m in state.all_mappers
        if "person_id" in m.local_table.c and not issubclass(m.class_, _NOT_PERSON_DATA)
    ]
    if not tables:
        return None
    pending = _pending(session)
    if not state.is_select:
        # A bulk UPDATE or DELETE: which rows is not known without another query; it acts within the caller's scope.
        for table in tables:
            pending.setdefault(("data_changed", caller.person_id, str(table)), _Access()).add(None)
        return None
    # The rows are needed to know whose they are: run the statement, look, and hand the same rows on.
    frozen = state.invoke_statement().freeze()
    for row in frozen():
        owned = [found for found in map(_owned_row, row) if found is not None]
        if not owned:  # columns only (a count, a list of dates): within the caller's scope
            owned = [(str(tables[0]), caller.person_id, None)]
        for table_name, owner, row_id in owned:
            subject = owner if isinstance(owner, int) else caller.person_id
            if subject is None or acts_for_someone_else(caller, subject):
                pending.setdefault(("data_read", subject, table_name), _Access()).add(row_id)
    return frozen()


def _note_flushed_changes(session: Session, _context: UOWTransaction, _instances: object) -> None:
    """before_flush: note person-owned rows a watched caller adds, changes or deletes."""
    caller = caller_of(session)
    if acts_only_for_self(caller):
        return
    pending = _pending(session)
    dirty = (obj for obj in session.dirty if session.is_modified(obj))
    for obj in chain(session.new, dirty, session.deleted):
        owned = _owned_row(obj)
        if owned is None:
            continue
        table_name, owner, row_id = owned
        subject = owner if isinstance(owner, int) else caller.person_id
        if subject is None or acts_for_someone_else(caller, subject):
            pending.setdefault(("data_changed", subject, table_name), _Access()).add(row_id)


def _write_pending(session: Session) -> None:
    """before_commit: one entry per (read or change, person, table) the transaction noted."""
    if acts_only_for_self(caller_of(session)):
        return
    session.flush()  # changes still in the session are noted by before_flush
    pending = session.info.pop(_PENDING_KEY, None)
    for (action, subject, table_name), access in (pending or {}).items():
        record(session, action, subject_person_id=subject, what=What(table_name, access.ref()))


def _forget_pending(session: Session, *_args: object) -> None:
    session.info.pop(_PENDING_KEY, None)


_HOOKS = (
    ("do_orm_execute", _note_orm_access),
    ("before_flush", _note_flushed_changes),
    ("before_commit", _write_pending),
    ("after_soft_rollback", _forget_pending),
)


def install_access_audit() -> None:
    """Record, on every session, reads and changes of person-owned rows (a `person_id` column) by someone else.

    For the person themself the hooks cost one dictionary read per statement. For another caller a SELECT is
    buffered to see whose rows it returned (streaming reads lose their streaming). Entries are written at commit,
    one per person and table, so a page a practitioner opens adds a few lines, not one per row.
    """
    for name, hook in _HOOKS:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


# --- checking the chain ------------------------------------------------------------------------------------------

Problem = Literal["altered", "deleted", "inserted", "reordered", "relinked"]


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of walking the chain: intact, or the first broken entry and what happened to it."""

    entries: int
    last_seq: int | None = None
    last_at: datetime | None = None
    last_hash: str | None = None
    broken_seq: int | None = None
    problem: Problem | None = None
    message: str = ""

    @property
    def intact(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class _Link:
    seq: int
    entry_hash: str
    prev_hash: str


def _rows_in_order(db: Session) -> Iterator[tuple[Any, ...]]:
    """(the hashed fields in sorted order…, entry_hash) for every entry, by sequence number, as plain tuples.

    The time comes as stored (naive UTC), skipping the column type's conversion: verify reads 100 000s of rows.
    """
    columns = [
        type_coerce(AuditEntry.at, DateTime()) if name == "at" else getattr(AuditEntry, name) for name in _SORTED_FIELDS
    ]
    query = select(*columns, AuditEntry.entry_hash).order_by(AuditEntry.seq)
    yield from db.execute(query.execution_options(yield_per=5000, **{SKIP_ACCESS_AUDIT: True}))


def _seq_with_hash(db: Session, entry_hash: str) -> int | None:
    return db.scalar(select(AuditEntry.seq).where(AuditEntry.entry_hash == entry_hash))


def _broken_link(db: Session, row: _Link, before: _Link | None, two_before: _Link | None) -> VerifyResult:
    """Name what happened when an entry's link does not match the entry before it."""
    owner = _seq_with_hash(db, row.prev_hash) if row.prev_hash != GENESIS else 0
    expected_seq = before.seq + 1 if before else 1
    if owner is not None and owner >= row.seq:
        return VerifyResult(
            0, broken_seq=row.seq, problem="reordered",
            message=f"Entry {row.seq} is out of order: it was written after entry {owner}, so entries were moved.",
        )  # fmt: skip
    skips_one = row.prev_hash == (two_before.entry_hash if two_before else GENESIS)
    if before is not None and skips_one:
        return VerifyResult(
            0, broken_seq=before.seq, problem="inserted",
            message=f"Entry {before.seq} was inserted: the entry after it was written straight after "
            f"{'entry ' + str(owner) if owner else 'the start of the log'}.",
        )  # fmt: skip
    if row.seq > expected_seq:
        missing = (
            f"Entry {expected_seq} is" if row.seq == expected_seq + 1 else f"Entries {expected_seq}–{row.seq - 1} are"
        )
        return VerifyResult(
            0, broken_seq=expected_seq, problem="deleted", message=f"{missing} missing: deleted from the log."
        )
    if owner is not None:
        return VerifyResult(
            0, broken_seq=owner + 1, problem="deleted",
            message=f"Entries after {owner} and before the one now numbered {row.seq} were deleted, and the rest renumbered.",
        )  # fmt: skip
    return VerifyResult(
        0, broken_seq=row.seq, problem="relinked",
        message=f"Entry {row.seq} does not follow entry {expected_seq - 1}: an entry between them was deleted, "
        "or this entry's link to the one before was changed.",
    )  # fmt: skip


def verify(db: Session) -> VerifyResult:
    """Walk the chain from the first entry and name the first broken one (intact: every hash and link checks)."""
    # The entry before and the one before that, as plain values: this loop runs once per entry.
    before_seq, before_hash, two_before_hash = 0, GENESIS, GENESIS
    last_at: datetime | None = None
    count = 0
    for row in _rows_in_order(db):
        seq, prev_hash = row[_SEQ_INDEX], row[_PREV_INDEX]
        if prev_hash != before_hash:
            before = _Link(before_seq, before_hash, "") if count else None
            two_before = _Link(before_seq - 1, two_before_hash, "") if count > 1 else None
            return _with_count(_broken_link(db, _Link(seq, "", prev_hash), before, two_before), count)
        values = list(row)
        entry_hash = values.pop()
        at = values[_AT_INDEX]
        values[_AT_INDEX] = at.isoformat(timespec="microseconds") + "Z"
        canonical = _ENCODE_SORTED(dict(zip(_SORTED_FIELDS, values, strict=True)))
        if hashlib.sha256(canonical.encode("utf-8")).hexdigest() != entry_hash:
            message = f"Entry {seq} was altered: what it says no longer matches its hash."
            return _with_count(VerifyResult(0, broken_seq=seq, problem="altered", message=message), count)
        if seq != before_seq + 1:
            message = f"Entry {seq} was renumbered: it should be entry {before_seq + 1}."
            return _with_count(VerifyResult(0, broken_seq=seq, problem="altered", message=message), count)
        two_before_hash, before_hash, before_seq = before_hash, entry_hash, seq
        last_at = at
        count += 1
    if last_at is not None:
        last_at = last_at.replace(tzinfo=UTC)
    before = _Link(before_seq, before_hash, "") if count else None
    head = db.get(AuditHead, HEAD_ID, populate_existing=True)
    last_seq = before.seq if before else 0
    if head is not None and head.seq > last_seq:
        missing = f"Entry {head.seq} is" if head.seq == last_seq + 1 else f"Entries {last_seq + 1}–{head.seq} are"
        message = f"{missing} missing: the newest entries were deleted from the end of the log."
        return VerifyResult(count, last_seq, last_at, None, last_seq + 1, "deleted", message)
    if head is not None and head.seq == last_seq and head.entry_hash != (before.entry_hash if before else GENESIS):
        message = f"Entry {last_seq} was replaced: it is not the entry the log last wrote."
        return VerifyResult(count, last_seq, last_at, None, last_seq, "altered", message)
    last_hash = before.entry_hash if before else None
    when = f", the last at {local_time(last_at, '%d %B %Y, %H:%M')}" if last_at else ""
    message = f"The audit log is intact: {count} entries{when}."
    return VerifyResult(count, before.seq if before else None, last_at, last_hash, message=message)


def _with_count(result: VerifyResult, count: int) -> VerifyResult:
    return VerifyResult(count, result.last_seq, result.last_at, None, result.broken_seq, result.problem, result.message)


# --- reading it back ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryPage:
    """One page of a person's entries, newest first."""

    entries: list[AuditEntry]
    page: int
    pages: int
    total: int


def entries_for(db: Session, person_id: int, *, page: int = 1, per_page: int = 50) -> EntryPage:
    """The entries about this person's data (and their sign-ins and devices), newest first, one page."""
    where = AuditEntry.subject_person_id == person_id
    total = db.scalar(select(func.count()).select_from(AuditEntry).where(where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    query = select(AuditEntry).where(where).order_by(AuditEntry.seq.desc())
    rows = db.scalars(query.offset((page - 1) * per_page).limit(per_page))
    return EntryPage(list(rows), page, pages, total)


def recent_entries(db: Session, *, limit: int = 50, person_id: int | None = None) -> list[AuditEntry]:
    """The newest entries (all people's, or one person's), newest first."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if person_id is not None:
        query = query.where(AuditEntry.subject_person_id == person_id)
    return list(db.scalars(query))


def all_entries(db: Session, *, person_id: int | None = None) -> Iterator[AuditEntry]:
    """Every entry (or one person's), oldest first, streamed."""
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if person_id is not None:
        query = query.where(AuditEntry.subject_person_id == person_id)
    yield from db.scalars(query.execution_options(yield_per=2000))


# --- in plain words ----------------------------------------------------------------------------------------------

# What each action says, about the person whose log it is ("{thing}": the entry's resource in words).
_SENTENCES = {
    "login": "Signed in",
    "login_failed": "Tried to sign in",
    "login_locked": "Tried to sign in while the account was locked",
    "login_rate_limited": "Tried to sign in, refused after too many tries from one address",
    "account_locked": "Locked the account for a quarter of an hour after repeated wrong passwords",
    "second_factor_failed": "Typed a wrong two-step sign-in code",
    "logout": "Signed out",
    "totp_enabled": "Turned on two-step sign-in (an authenticator app)",
    "totp_disabled": "Turned off two-step sign-in",
    "recovery_code_used": "Used a recovery code to sign in",
    "password_changed": "Changed the password",
    "password_reset": "Reset the password with a link from an administrator",
    "reset_issued": "Made a password reset link for {thing}",
    "invitation_made": "Made an invitation",
    "invitation_accepted": "Accepted an invitation and made {thing}",
    "device_paired": "Paired {thing}",
    "device_revoked": "Unpaired {thing}: it can no longer open your diary",
    "pairing_link_made": "Made a link to pair a phone (it works once, for 10 minutes)",
    "export": "Exported {thing}",
    "data_read": "Read {thing}",
    "data_changed": "Changed {thing}",
    "account_deleted": "Deleted {thing}",
    "person_deleted": "Deleted {thing}",
    "consent_changed": "Chose what {thing} may see",
    "consent_revoked": "Stopped sharing with {thing}",
}

# Exports by resource: what left the app.
_EXPORTS = {
    "report-pdf": "a report (PDF)",
    "report-fhir": "the diary as a FHIR file",
    "diary-csv": "the whole diary as CSV files",
    "audit-fhir": "this access log (FHIR)",
    "all-data": "all your data (CSV files, a FHIR file and the list of audio and EMG files)",
    "consent-fhir": "your consent history (FHIR)",
}

_PERIOD = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def _day(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def _thing(entry: AuditEntry) -> str:
    """The entry's resource in words: "your phone “Pixel 8”", "a report (PDF) for 1 May 2026 – 17 June 2026"."""
    resource, ref, label = entry.resource, entry.resource_ref, entry.resource_label
    if resource == "device":
        return f"the phone “{label}”" if label else "a phone"
    if entry.action == "person_deleted":
        return "the account and all its data" if resource == "account" else "all the data kept here"
    if entry.action == "export" and resource in _EXPORTS:
        period = _PERIOD.match(ref)
        words = _EXPORTS[resource] + (f", {label.lower()} only," if label else "")
        return f"{words} for {_day(period[1])} – {_day(period[2])}" if period else words
    if resource == "roster":
        return f"a summary of what you share ({ref}) on their list of clients"
    name = resource.replace("_", " ")
    if label:
        return f"your {name} “{label}”"
    return f"your {name} data ({ref})" if ref else f"your {name} data"


def _who(entry: AuditEntry) -> str:
    if entry.actor_kind == "local":
        return "You, on this computer"
    if entry.actor_kind == "device":
        return "Your paired phone" + (f" (device {entry.actor_device_id})" if entry.actor_device_id else "")
    if entry.actor_kind == "account":
        account = f" (account {entry.actor_account_id})" if entry.actor_account_id else ""
        if entry.actor_role == "practitioner":
            return f"A practitioner{account}"
        if entry.actor_role == "admin":
            return f"An administrator{account}"
        if entry.actor_person_id is not None and entry.actor_person_id == entry.subject_person_id:
            return "You, signed in"
        return f"Another account{account}"
    return "Someone not signed in"


_BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS", "a Mac"),
    ("Linux", "Linux"),
)


def browser_words(user_agent: str) -> str:
    """A User-Agent header in a few words ("Chrome on Android"), or "" when it names nothing known."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system


def _where(entry: AuditEntry) -> str:
    if entry.actor_kind == "local" and entry.address in ("", "local", "127.0.0.1", "::1"):
        return "This computer"
    parts = [entry.address or "an unknown address"]
    if browser := browser_words(entry.user_agent):
        parts.append(browser)
    return ", ".join(parts)


_OUTCOME_WORDS = {"success": "Done", "denied": "Refused", "failed": "Failed"}


@dataclass(frozen=True)
class EntryWords:
    """One entry as the person's page shows it."""

    seq: int
    at: datetime
    who: str
    what: str
    where: str
    outcome: str
    outcome_code: str


def describe(entry: AuditEntry) -> EntryWords:
    """Who did what, from where, and how it ended, in plain words."""
    sentence = _SENTENCES.get(entry.action, entry.action.replace("_", " ").capitalize() + " {thing}")
    what = sentence.format(thing=_thing(entry)).strip()
    outcome = _OUTCOME_WORDS.get(entry.outcome, entry.outcome)
    return EntryWords(entry.seq, entry.at, _who(entry), what, _where(entry), outcome, entry.outcome)


# --- FHIR --------------------------------------------------------------------------------------------------------

FHIR_BASE = "https://unclench.app/fhir"
ACTION_SYSTEM = f"{FHIR_BASE}/CodeSystem/audit-action"
HASH_SYSTEM = f"{FHIR_BASE}/CodeSystem/audit-chain"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
_DICOM_TYPES = {
    "authentication": ("110114", "User Authentication"),
    "security": ("110137", "User Security Attributes Changed"),
    "export": ("110106", "Export"),
    "record": ("110110", "Patient Record"),
}
# action → (DICOM event type, FHIR action code: Create Read Update Delete Execute)
_FHIR_ACTIONS = {
    "login": ("authentication", "E"),
    "login_failed": ("authentication", "E"),
    "logout": ("authentication", "E"),
    "recovery_code_used": ("authentication", "E"),
    "login_locked": ("authentication", "E"),
    "login_rate_limited": ("authentication", "E"),
    "second_factor_failed": ("authentication", "E"),
    "export": ("export", "R"),
    "data_read": ("record", "R"),
    "data_changed": ("record", "U"),
    "account_deleted": ("security", "D"),
    "person_deleted": ("security", "D"),
}
_DICOM_SUBTYPES = {"login": ("110122", "Login"), "login_failed": ("110122", "Login"), "logout": ("110123", "Logout")}
# FHIR's outcome codes: 0 success, 4 minor failure (a refusal, a wrong password), 8 serious failure.
_FHIR_OUTCOMES = {"success": "0", "denied": "4", "failed": "4"}


def audit_event(entry: AuditEntry) -> dict[str, Any]:
    """One entry as a FHIR R4 AuditEvent (dict), with its place in the chain kept in `entity.detail`."""
    words = describe(entry)
    kind, crud = _FHIR_ACTIONS.get(entry.action, ("security", "E"))
    type_code, type_display = _DICOM_TYPES[kind]
    subtype = [{"system": ACTION_SYSTEM, "code": entry.action}]
    if entry.action in _DICOM_SUBTYPES:
        code, display = _DICOM_SUBTYPES[entry.action]
        subtype.insert(0, {"system": DICOM, "code": code, "display": display})
    agent: dict[str, Any] = {"requestor": True, "name": words.who, "who": {"display": words.who}}
    if entry.actor_account_id is not None:
        agent["altId"] = f"account {entry.actor_account_id}"
    elif entry.actor_device_id is not None:
        agent["altId"] = f"device {entry.actor_device_id}"
    if entry.address and entry.address != "local":
        agent["network"] = {"address": entry.address, "type": "2"}  # 2: an IP address
    entity: dict[str, Any] = {
        "type": {"system": ACTION_SYSTEM, "code": entry.resource or "none"},
        "description": words.what,
        "detail": [
            {"type": "seq", "valueString": str(entry.seq)},
            {"type": "prev_hash", "valueString": entry.prev_hash},
            {"type": "entry_hash", "valueString": entry.entry_hash},
        ],
    }
    if entry.resource_ref:
        entity["name"] = f"{entry.resource} {entry.resource_ref}"
    if entry.subject_person_id is not None:
        entity["what"] = {"identifier": {"system": f"{FHIR_BASE}/person", "value": str(entry.subject_person_id)}}
    event_dict: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": f"audit-{entry.seq}",
        "type": {"system": DICOM, "code": type_code, "display": type_display},
        "subtype": subtype,
        "action": crud,
        "recorded": _instant(entry.at),
        "outcome": _FHIR_OUTCOMES.get(entry.outcome, "8"),
        "agent": [agent],
        "source": {
            "observer": {"display": "unclench"},
            "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4"}],
        },
        "entity": [entity],
    }
    if entry.outcome != "success":
        event_dict["outcomeDesc"] = words.outcome
    return event_dict


def as_fhir_audit_events(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    """The entries as FHIR R4 AuditEvents, each checked by constructing fhir.resources' model."""
    from fhir.resources.R4B.auditevent import AuditEvent  # R4B's AuditEvent is R4's, as the reports use

    events = [audit_event(entry) for entry in entries]
    for one in events:
        AuditEvent.model_validate(one)
    return events


def fhir_bundle(entries: Iterable[AuditEntry]) -> dict[str, Any]:
    """A FHIR collection Bundle of the entries' AuditEvents, validated."""
    from fhir.resources.R4B.bundle import Bundle

    events = as_fhir_audit_events(entries)
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(clock.now()),
        "entry": [{"fullUrl": f"{FHIR_BASE}/AuditEvent/{e['id']}", "resource": e} for e in events],
    }
    Bundle.model_validate(bundle)
    return bundle


def entry_with_fingerprint(db: Session, fingerprint: str) -> int | None:
    """The sequence number of the entry whose hash starts with this fingerprint (spaces ignored), if any."""
    prefix = "".join(fingerprint.split()).lower()
    if not re.fullmatch(r"[0-9a-f]{16,64}", prefix):
        raise UserInputError.single("fingerprint", "a fingerprint is 16 to 64 hexadecimal digits, as verify shows it")
    query = select(AuditEntry.seq).where(AuditEntry.entry_hash.startswith(prefix, autoescape=True)).limit(2)
    found = db.scalars(query).all()
    return found[0] if len(found) == 1 else None


def chain_fingerprint(result: VerifyResult) -> str:
    """The head's hash in short groups, for a person to note down and compare later (an anchor kept elsewhere)."""
    if not result.last_hash:
        return ""
    return " ".join(result.last_hash[i : i + 4] for i in range(0, 16, 4))
