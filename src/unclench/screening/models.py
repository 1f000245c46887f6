"""Screening tables: triage results, the person's medicines, the doctor's all clear, red flags on diary episodes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unclench.core import clock
from unclench.core.db import Base, PersonOwned, UTCDateTime, id_column_type, new_id


class TriageResult(PersonOwned, Base):
    """One completed triage: which questions were answered yes, and the outcome level at that time."""

    __tablename__ = "triage_result"
    consent_category = "safety"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    answers: Mapped[list[str]] = mapped_column(JSON, default=list)
    level: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)


class Medication(PersonOwned, Base):
    """A medicine the person takes: the name we recognised (or, kept on purpose, a name we do not know), and what
    they typed; matching against the knowledge base happens on read."""

    __tablename__ = "medication"
    consent_category = "safety"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    typed: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    started_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # "taking it since", if the person said


class PhysicalAllClear(PersonOwned, Base):
    """The person's record that a doctor has checked them (date, optional note)."""

    __tablename__ = "physical_all_clear"
    consent_category = "safety"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    checked_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class EpisodeRedFlag(PersonOwned, Base):
    """A red-flag feature ticked on a diary episode (kept here, keyed by episode id, not in the diary tables)."""

    __tablename__ = "episode_red_flag"
    consent_category = "safety"
    __table_args__ = (UniqueConstraint("episode_id", "feature_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"), index=True)
    feature_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class DoctorContact(PersonOwned, Base):
    """The person's own doctor's phone number (one row per person), a tap-to-call link on the 'today' outcome."""

    __tablename__ = "doctor_contact"
    consent_category = "safety"
    __table_args__ = (UniqueConstraint("person_id", name="uq_doctor_contact_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)
