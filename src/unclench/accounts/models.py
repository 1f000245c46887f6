"""Accounts tables: the people whose data this is (on a person's own computer, exactly one).

Each part of the access work keeps its tables in its own section below: people, devices, clinic accounts, audit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
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


# --- clinic accounts -------------------------------------------------------------------------------------------
# Only a clinic server (`unclench serve --clinic`, PostgreSQL) has accounts; the local app has none. Secrets are
# kept only as hashes: passwords with Argon2id, tokens and recovery codes (random, high-entropy) with SHA-256.

ACCOUNT_ROLES = ("person", "practitioner", "admin")


class Account(Base):
    """Someone who signs in: a person (their own diary), a practitioner or an admin."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    role: Mapped[str] = mapped_column(String(16))
    # A person account's own data; practitioners and admins own none (their access to a person is by consent).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True, nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The time step of the last code accepted: a code seen once is refused after (no replay within its window).
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # since the last good login
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RecoveryCode(Base):
    """One single-use code that stands in for the second factor when the phone is lost."""

    __tablename__ = "account_recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Invitation(Base):
    """A one-time sign-up link or code: admins invite practitioners (and admins), practitioners invite clients."""

    __tablename__ = "account_invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LoginSession(Base):
    """A signed-in browser: the cookie holds a random id, the server keeps only its hash."""

    __tablename__ = "login_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the absolute end, however active
    # Signed in with the password but the second factor still to give (or to enrol): no data yet.
    second_factor_done: Mapped[bool] = mapped_column(Boolean, default=False)


class PasswordReset(Base):
    """A password reset link an admin issued for an account; works once, for a short while."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LoginAttempt(Base):
    """One try at signing in, kept a while for the rate limit (by address) and the record of failures."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


# --- devices ---------------------------------------------------------------------------------------------------


class PairedDevice(Base):
    """A phone (or any browser on the home network) the person paired from their computer.

    Only a SHA-256 of the device cookie's secret is kept, so a copy of the database cannot sign in as the phone.
    """

    __tablename__ = "paired_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PairingLink(Base):
    """A one-time link shown as a QR code on the computer: it pairs one device within ten minutes, once."""

    __tablename__ = "pairing_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("paired_device.id"), nullable=True)
