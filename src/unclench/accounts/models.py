"""Accounts tables: the people whose data this is (on a person's own computer, exactly one).

Each part of the access work keeps its tables in its own section below: people, devices, clinic accounts, audit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
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
