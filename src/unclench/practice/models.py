"""Practice tables: who cares for whom (care links), what a client consented to share (versioned), and notes.

A care link and its consents are about two accounts at once, so they are not scoped to one person: the practice
service reads them by the practitioner's account and the client's person, and the request guard (web/clinic_auth)
turns them into the practitioner's caller on every request. A note is the client's data (`PersonOwned`, category
"notes"): a practitioner acting for the client writes it within the client's scope.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unclench.core import clock
from unclench.core.db import Base, PersonOwned, UTCDateTime


class CareLink(Base):
    """A practitioner looks after a client from `started_at` until `ended_at` (the client revoked, or it closed)."""

    __tablename__ = "care_link"
    __table_args__ = (Index("ix_care_link_practitioner_client", "practitioner_account_id", "client_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    practitioner_account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    # Not named person_id: the link is not the client's diary data (the audit hooks read person_id as that).
    client_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Consent(Base):
    """One version of what a client lets one practitioner see, never deleted: a change or a revocation is a new
    version, and the one before gets `superseded_at`. No categories: nothing shared (a revocation, or a refusal)."""

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_link_current", "link_id", "superseded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("care_link.id", ondelete="CASCADE"))
    client_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class PractitionerNote(PersonOwned, Base):
    """A session note about a client, written by a practitioner: private to its author, or shared with the client."""

    __tablename__ = "practitioner_note"
    consent_category = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    author_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"), index=True)
    author_label: Mapped[str] = mapped_column(String(254), default="")
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    text: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
