"""Sessions tables: a person's audio sessions (settings + rendered artefact) and the listening log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from unclench.core import clock
from unclench.core.db import Base, PersonOwned, SoftDelete, UTCDateTime, id_column_type, new_id


class AudioSession(PersonOwned, SoftDelete, Base):
    """One personalised session: its options (seed included) and, once rendered, its artefact hash.

    The audio lives in ``settings.artefact_dir("audio") / artefact_key``; the key is the content
    hash of the options, so the same settings always point at the same files.
    """

    __tablename__ = "audio_session"
    consent_category = "sessions"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(120))
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    artefact_key: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    job_id: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str] = mapped_column(Text, default="")
    duration_s: Mapped[float | None] = mapped_column(Float)
    loudness_lufs: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ready_minutes: Mapped[int | None] = mapped_column(Integer)
    """Set on the ready-made "Right now" sessions (3 or 5): one row per length, kept up to date at start-up."""

    listens: Mapped[list[Listen]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Listen.started_at"
    )


LISTEN_STARTED = "started"
LISTEN_LISTENED = "listened"
"""A listen's status: 'listened' once enough was heard (see `service.listen_minimum_s`), else 'started'."""


class Listen(PersonOwned, Base):
    """One time the person listened: when, how much was heard, and tension before/after (0–10).

    Only a listen with status 'listened' counts (streaks, reminders, insights); a short play stays 'started'.
    """

    __tablename__ = "session_listen"
    consent_category = "sessions"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(ForeignKey("audio_session.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heard_s: Mapped[float] = mapped_column(Float, default=0.0)
    position_s: Mapped[float] = mapped_column(Float, default=0.0)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=LISTEN_STARTED)
    tension_before: Mapped[int | None] = mapped_column(Integer)
    tension_after: Mapped[int | None] = mapped_column(Integer)

    session: Mapped[AudioSession] = relationship(back_populates="listens")


class PracticePreference(PersonOwned, Base):
    """The person's practice settings (one row per person): show the streak or not, and an optional daily reminder."""

    __tablename__ = "practice_preference"
    consent_category = "sessions"
    __table_args__ = (
        CheckConstraint("reminder_minute IS NULL OR reminder_minute BETWEEN 0 AND 1439", name="reminder_minute_range"),
        UniqueConstraint("person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    streaks_on: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_minute: Mapped[int | None] = mapped_column(Integer)  # minutes after local midnight; None = off
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)


class Programme(PersonOwned, SoftDelete, Base):
    """A home programme: which sessions to listen to how often, and check-ins, questionnaires and EMG recordings.

    `person_id` is the client who follows it; `prescribed_by_account_id` the practitioner's account that made it
    (None: the person made it themselves). No foreign key: the programme stays with the client when that account
    goes.
    """

    __tablename__ = "programme"
    __table_args__ = (
        CheckConstraint("ends_on > starts_on", name="ends_after_start"),
        CheckConstraint("checkin_every_days IS NULL OR checkin_every_days IN (1, 7)", name="checkin_every_days"),
        CheckConstraint("emg_per_week IS NULL OR emg_per_week BETWEEN 1 AND 7", name="emg_per_week_range"),
    )
    consent_category: ClassVar[str] = "programme"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    prescribed_by_account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    checkin_every_days: Mapped[int | None] = mapped_column(Integer)
    questionnaire: Mapped[str | None] = mapped_column(String(16))
    questionnaire_every_days: Mapped[int | None] = mapped_column(Integer)
    emg_per_week: Mapped[int | None] = mapped_column(Integer)
    emg_region: Mapped[str | None] = mapped_column(String(48))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)

    items: Mapped[list[ProgrammeItem]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="ProgrammeItem.position"
    )


class ProgrammeItem(PersonOwned, Base):
    """One session of a programme and how often to listen to it (times a week: 7 is daily, 14 twice a day)."""

    __tablename__ = "programme_item"
    __table_args__ = (CheckConstraint("per_week BETWEEN 1 AND 14", name="per_week_range"),)
    consent_category: ClassVar[str] = "programme"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    programme_id: Mapped[str] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("audio_session.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    per_week: Mapped[int] = mapped_column(Integer)

    programme: Mapped[Programme] = relationship(back_populates="items")
    session: Mapped[AudioSession] = relationship()


DECISION_CHOICES = ("release_cue", "silence", "move_on")
"""What an adaptive session's player did at a decision point (docs/ADAPTIVE.md)."""


class SessionDecision(PersonOwned, Base):
    """One choice an adaptive session's player made at a decision point, with the tone ratio before and 10 s after.

    ``tone_*`` are the live tone / resting baseline ratios (None when the signal was bad or missing);
    ``stream_t`` is the live stream's time when the decision was logged, so ``tone_after`` is read 10 s later.
    """

    __tablename__ = "session_decision"
    # The tone before and after are EMG measurements: shared only with the "emg" category.
    consent_category: ClassVar[str] = "emg"
    __table_args__ = (
        CheckConstraint("choice IN ('release_cue', 'silence', 'move_on')", name="choice"),
        CheckConstraint("at_s >= 0", name="at_s_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listen_id: Mapped[str] = mapped_column(ForeignKey("session_listen.id", ondelete="CASCADE"), index=True)
    point: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(32), index=True)  # taxonomy region id (the side is not kept)
    choice: Mapped[str] = mapped_column(String(16))
    cue_id: Mapped[str | None] = mapped_column(String(128))
    at_s: Mapped[float] = mapped_column(Float)
    tone_before: Mapped[float | None] = mapped_column(Float)
    tone_after: Mapped[float | None] = mapped_column(Float)
    tone_after_source: Mapped[str | None] = mapped_column(String(16))  # "live" or "recording"
    stream_t: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
