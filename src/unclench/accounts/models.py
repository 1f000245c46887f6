"""Accounts tables: the people whose data this is (on a person's own computer, exactly one).

Each part of the access work keeps its tables in its own section below: people, devices, clinic accounts, audit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from unclench.core import clock
from unclench.core.db import Base, UTCDateTime

# --- people ----------------------------------------------------------------------------------------------------


class Person(Base):
    """Someone whose diary, sessions and recordings these are; every person-owned row names one.

    On a person's own computer there is one, `core.identity.LOCAL_PERSON_ID`, made by the first migration so that
    data from before accounts existed belongs to them.
    """

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


# --- audit -----------------------------------------------------------------------------------------------------


class AuditEntry(Base):
    """One line of the append-only, hash-chained audit log: who did what to whose data, when, from where.

    `entry_hash` is SHA-256 over the entry's fields and `prev_hash` (the entry before's hash), so an entry that is
    altered, deleted, inserted or moved breaks the chain (`accounts.audit.verify`). Nothing updates or deletes a
    row; on PostgreSQL a trigger refuses it.
    """

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    actor_person_id: Mapped[int | None] = mapped_column(Integer)
    actor_account_id: Mapped[int | None] = mapped_column(Integer)
    actor_device_id: Mapped[int | None] = mapped_column(Integer)
    # Whose data: not a foreign key, so that the log outlives a deleted person (their deletion is itself logged).
    subject_person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(40))
    resource: Mapped[str] = mapped_column(String(40), default="")
    resource_ref: Mapped[str] = mapped_column(String(120), default="")
    resource_label: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="success")
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's last sequence number and hash, one row: appends lock it, and verify spots a cut-off tail."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))
