"""The audit log: a hash chain that verifies, names the entry someone tampered with, and survives two writers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Integer, String, create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from tests.conftest import FrozenClock
from unclench.accounts import audit
from unclench.accounts.models import AuditEntry
from unclench.core import db as core_db
from unclench.core.identity import LOCAL_CALLER, LOCAL_PERSON_ID, Caller, set_caller

PRACTITIONER = Caller(kind="account", role="practitioner", person_id=None, account_id=7, address="192.0.2.7")
PHONE = Caller(
    kind="device",
    role="person",
    person_id=LOCAL_PERSON_ID,
    device_id=3,
    address="192.168.1.23",
    user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
)


def _fill(db: Session, clock: FrozenClock, count: int) -> None:
    actions = ["login", "export", "device_paired", "data_read", "login_failed"]
    for i in range(count):
        clock.shift(timedelta(seconds=7))
        outcome: audit.Outcome = "failed" if actions[i % 5] == "login_failed" else "success"
        what = audit.What("device", str(i), "Pixel 8") if i % 5 == 2 else f"episode {i:032x}"
        audit.record(db, actions[i % 5], subject_person_id=LOCAL_PERSON_ID, what=what, outcome=outcome)


def _tamper(db: Session, *statements: str) -> None:
    """Change the table behind the app's back, as someone with the database file (or its owner) could."""
    postgres = db.get_bind().dialect.name == "postgresql"
    if postgres:
        db.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
    for statement in statements:
        db.execute(text(statement))
    if postgres:
        db.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
    db.expire_all()


def test_the_chain_verifies_after_many_entries(db: Session, frozen_clock: FrozenClock) -> None:
    assert audit.verify(db).intact and audit.verify(db).entries == 0
    _fill(db, frozen_clock, 250)
    result = audit.verify(db)
    assert result.intact, result.message
    assert result.entries == 250 and result.last_seq == 250
    assert result.message.startswith("The audit log is intact: 250 entries")
    last = db.get(AuditEntry, 250)
    assert last is not None and result.last_hash == last.entry_hash
    first = db.get(AuditEntry, 1)
    assert first is not None and first.prev_hash == audit.GENESIS


def test_each_entry_hashes_its_fields_and_the_one_before(db: Session) -> None:
    one = audit.record(db, "login", subject_person_id=1, what="account 1")
    two = audit.record(db, "logout", subject_person_id=1, what="account 1")
    assert two.prev_hash == one.entry_hash
    assert two.entry_hash == audit.compute_hash(audit.hashed_fields(two))
    fields = audit.hashed_fields(two)
    fields["outcome"] = "denied"
    assert audit.compute_hash(fields) != two.entry_hash


def test_an_altered_field_is_named(db: Session, frozen_clock: FrozenClock) -> None:
    _fill(db, frozen_clock, 40)
    _tamper(db, "UPDATE audit_entry SET address = '203.0.113.9' WHERE seq = 17")
    result = audit.verify(db)
    assert not result.intact
    assert (result.broken_seq, result.problem) == (17, "altered")
    assert result.message == "Entry 17 was altered: what it says no longer matches its hash."
    assert result.entries == 16


def test_a_deleted_entry_is_named(db: Session, frozen_clock: FrozenClock) -> None:
    _fill(db, frozen_clock, 40)
    _tamper(db, "DELETE FROM audit_entry WHERE seq = 23")
    result = audit.verify(db)
    assert (result.broken_seq, result.problem) == (23, "deleted")
    assert result.message == "Entry 23 is missing: deleted from the log."


def test_deleting_the_newest_entries_is_noticed_by_the_head(db: Session, frozen_clock: FrozenClock) -> None:
    _fill(db, frozen_clock, 40)
    _tamper(db, "DELETE FROM audit_entry WHERE seq >= 39")
    result = audit.verify(db)
    assert (result.broken_seq, result.problem) == (39, "deleted")
    assert "Entries 39–40 are missing" in result.message


def test_an_inserted_entry_is_named(db: Session, frozen_clock: FrozenClock) -> None:
    _fill(db, frozen_clock, 40)
    # A forger makes room after entry 12 and writes an entry that links correctly to it, with a correct hash.
    _tamper(
        db,
        "UPDATE audit_entry SET seq = -seq WHERE seq > 12",
        "UPDATE audit_entry SET seq = 1 - seq WHERE seq < 0",
    )
    twelve = db.get(AuditEntry, 12)
    assert twelve is not None
    forged = AuditEntry(
        seq=13,
        at=twelve.at + timedelta(seconds=1),
        actor_kind="local",
        actor_role="person",
        actor_person_id=1,
        actor_account_id=None,
        actor_device_id=None,
        subject_person_id=1,
        action="login",
        resource="account",
        resource_ref="1",
        resource_label="",
        address="local",
        user_agent="",
        outcome="success",
        prev_hash=twelve.entry_hash,
    )
    forged.entry_hash = audit.compute_hash(audit.hashed_fields(forged))
    values = {name: getattr(forged, name) for name in (*audit.HASHED_FIELDS, "entry_hash")}
    db.execute(AuditEntry.__table__.insert().values(**values))  # type: ignore[attr-defined]
    result = audit.verify(db)
    assert (result.broken_seq, result.problem) == (13, "inserted")
    assert result.message.startswith("Entry 13 was inserted")


def test_two_swapped_entries_are_named(db: Session, frozen_clock: FrozenClock) -> None:
    _fill(db, frozen_clock, 40)
    _tamper(
        db,
        "UPDATE audit_entry SET seq = -1 WHERE seq = 8",
        "UPDATE audit_entry SET seq = 8 WHERE seq = 30",
        "UPDATE audit_entry SET seq = 30 WHERE seq = -1",
    )
    result = audit.verify(db)
    assert (result.broken_seq, result.problem) == (8, "reordered")
    assert result.message == "Entry 8 is out of order: it was written after entry 29, so entries were moved."


def test_postgresql_refuses_to_change_or_delete_an_entry(db: Session) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the chain alone")
    audit.record(db, "login", subject_person_id=1, what="account 1")
    db.commit()
    for statement in ("UPDATE audit_entry SET outcome = 'denied'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(statement))
        db.rollback()
    assert db.scalar(select(AuditEntry.outcome)) == "success"


def test_two_writers_appending_at_once_keep_one_chain(db: Session, database_url: str) -> None:
    per_writer = 40
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        factory = core_db.session_factory()
        try:
            start.wait()
            for i in range(per_writer):
                with factory() as session:
                    audit.record(session, "data_read", subject_person_id=1, what=f"{name} {i}")
                    session.commit()
        except BaseException as exc:  # reported below; a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("first", "second", "third")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    result = audit.verify(db)
    assert result.intact, result.message
    assert result.entries == 3 * per_writer
    refs = db.scalars(select(AuditEntry.resource_ref).where(AuditEntry.resource == "second")).all()
    assert sorted(refs, key=int) == [str(i) for i in range(per_writer)]


# --- who reads whose data ----------------------------------------------------------------------------------------


def test_the_person_reading_their_own_data_is_not_logged(db: Session) -> None:
    assert audit.read_person_data(db, LOCAL_PERSON_ID, "episode abc") is None
    set_caller(db, PHONE)
    assert audit.changed_person_data(db, LOCAL_PERSON_ID, "episode abc") is None
    assert audit.verify(db).entries == 0


def test_a_practitioner_reading_a_persons_data_is_logged(db: Session) -> None:
    set_caller(db, PRACTITIONER)
    entry = audit.read_person_data(db, LOCAL_PERSON_ID, audit.What("episode", "3f2a"))
    assert entry is not None
    assert (entry.action, entry.subject_person_id, entry.actor_account_id) == ("data_read", 1, 7)
    assert (entry.actor_role, entry.address, entry.resource, entry.resource_ref) == (
        "practitioner",
        "192.0.2.7",
        "episode",
        "3f2a",
    )
    words = audit.describe(entry)
    assert (words.who, words.what, words.where) == (
        "A practitioner (account 7)",
        "Read your episode data (3f2a)",
        "192.0.2.7",
    )
    # Scoped to a client (person_id set), a practitioner is still not that person.
    assert audit.acts_for_someone_else(Caller(kind="account", role="practitioner", person_id=1), 1)
    assert not audit.acts_for_someone_else(Caller(kind="account", role="person", person_id=1), 1)


class _TestBase(DeclarativeBase):
    pass


class _OwnedNote(_TestBase):
    """A person-owned table as the central scoping will make them (a `person_id` column)."""

    __tablename__ = "audit_test_owned_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    person_id: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(String(40))


@pytest.fixture
def owned_notes(database_url: str, db: Session) -> Iterator[Any]:
    engine = create_engine(database_url)
    _TestBase.metadata.create_all(engine)
    with Session(engine) as setup:
        setup.add_all(_OwnedNote(id=i, person_id=1 if i <= 5 else 2, body=f"note {i}") for i in range(1, 9))
        setup.commit()
    audit.install_access_audit()
    yield engine
    _TestBase.metadata.drop_all(engine)
    engine.dispose()


def test_orm_reads_and_changes_by_someone_else_are_logged_per_person(owned_notes: Any, db: Session) -> None:
    with Session(owned_notes) as own:
        assert len(own.scalars(select(_OwnedNote)).all()) == 8
        own.commit()  # the person's own reads: nothing written, and no audit table needed on this engine
    with Session(owned_notes) as practitioner:
        set_caller(practitioner, PRACTITIONER)
        notes = practitioner.scalars(select(_OwnedNote).order_by(_OwnedNote.id)).all()
        assert [n.id for n in notes] == list(range(1, 9))  # the rows still reach the caller
        first = practitioner.get(_OwnedNote, 1)
        assert first is not None
        first.body = "changed"
        practitioner.commit()
    db.expire_all()
    entries = sorted(
        ((e.action, e.subject_person_id, e.resource, e.resource_ref) for e in audit.recent_entries(db)),
        key=str,
    )
    assert entries == [
        ("data_changed", 1, "audit_test_owned_note", "1"),
        ("data_read", 1, "audit_test_owned_note", "5 rows"),
        ("data_read", 2, "audit_test_owned_note", "6, 7, 8"),
    ]
    assert audit.verify(db).intact


# --- FHIR and words ----------------------------------------------------------------------------------------------


def test_the_log_exports_as_valid_fhir_audit_events(db: Session, frozen_clock: FrozenClock) -> None:
    _fill(db, frozen_clock, 10)
    set_caller(db, PRACTITIONER)
    audit.read_person_data(db, LOCAL_PERSON_ID, "episode 3f2a")
    bundle = audit.fhir_bundle(audit.all_entries(db))  # validated by fhir.resources' Bundle and AuditEvent
    events = [e["resource"] for e in bundle["entry"]]
    assert len(events) == 11 and {e["resourceType"] for e in events} == {"AuditEvent"}
    failed = events[4]
    assert failed["subtype"][0]["code"] == "110122" and failed["outcome"] == "4"
    assert failed["outcomeDesc"] == "Failed"
    read = events[-1]
    assert read["type"]["code"] == "110110" and read["action"] == "R"
    assert read["agent"][0]["altId"] == "account 7"
    assert read["agent"][0]["network"] == {"address": "192.0.2.7", "type": "2"}
    details = {d["type"]: d["valueString"] for d in read["entity"][0]["detail"]}
    assert details["prev_hash"] == events[-2]["entity"][0]["detail"][2]["valueString"]


def test_entries_read_in_plain_words(db: Session) -> None:
    set_caller(db, PHONE)
    paired = audit.record(db, "device_paired", subject_person_id=1, what=audit.What("device", "3", "Pixel 8"))
    words = audit.describe(paired)
    assert words.what == "Paired the phone “Pixel 8”"
    assert words.who == "Your paired phone (device 3)"
    assert words.where == "192.168.1.23, Chrome on Android"
    set_caller(db, LOCAL_CALLER)
    report = audit.record_export(db, audit.What("report-pdf", "2026-05-01..2026-06-17"))
    assert audit.describe(report).what == "Exported a report (PDF) for 1 May 2026 – 17 June 2026"
    assert audit.describe(report).who == "You, on this computer"
    refused = audit.record(db, "login_failed", subject_person_id=1, what="account 1", outcome="failed")
    assert (audit.describe(refused).what, audit.describe(refused).outcome) == ("Tried to sign in", "Failed")


def test_a_persons_page_of_entries_is_theirs_newest_first(db: Session) -> None:
    for i in range(7):
        audit.record(db, "export", subject_person_id=1, what=f"diary-csv {i}")
    audit.record(db, "login", subject_person_id=2, what="account 2")
    page = audit.entries_for(db, 1, page=2, per_page=3)
    assert (page.total, page.pages, page.page) == (7, 3, 2)
    assert [e.resource_ref for e in page.entries] == ["3", "2", "1"]
    assert audit.entries_for(db, 1, page=99, per_page=3).page == 3


def test_an_unknown_outcome_is_refused(db: Session) -> None:
    with pytest.raises(ValueError, match="outcome"):
        audit.record(db, "login", subject_person_id=1, what="account 1", outcome="maybe")  # type: ignore[arg-type]
    assert audit.verify(db).entries == 0


def test_what_a_browser_sends_is_cut_to_fit_and_still_verifies(db: Session) -> None:
    odd = Caller(
        kind="device", role="person", person_id=1, device_id=3, address="192.168.1.23", user_agent="A\x00" * 300
    )
    entry = audit.record(
        db, "data_read", subject_person_id=1, what=audit.What("episode", "x" * 500, "y\x00z"), caller=odd
    )
    db.commit()
    db.expire_all()
    stored = db.get(AuditEntry, entry.seq)
    assert stored is not None
    assert stored.user_agent == "A" * 200 and stored.resource_ref == "x" * 120 and stored.resource_label == "yz"
    assert audit.verify(db).intact
