"""Sessions tables: a person's audio sessions (settings + rendered artefact) and the listening log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from unclench.core import clock
from unclench.core.db import Base, PersonOwned, SoftDelete, UTCDateTime, id_column_type, new_id


class AudioSession(PersonOwned, SoftDelete, Base):
    """One personalised session: its options (seed included) and, once rendered, its artefact hash.

    The audio lives in ``settings.artefact_dir("audio") / artefact_key``; the key is the content
    hash of the options, so the same settings always point at the same files.
    """

    __tablename__ = "audio_session"

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
    __table_args__ = (
        CheckConstraint("reminder_minute IS NULL OR reminder_minute BETWEEN 0 AND 1439", name="reminder_minute_range"),
        UniqueConstraint("person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    streaks_on: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_minute: Mapped[int | None] = mapped_column(Integer)  # minutes after local midnight; None = off
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)


DECISION_CHOICES = ("release_cue", "silence", "move_on")
"""What an adaptive session's player did at a decision point (docs/ADAPTIVE.md)."""


class SessionDecision(PersonOwned, Base):
    """One choice an adaptive session's player made at a decision point, with the tone ratio before and 10 s after.

    ``tone_*`` are the live tone / resting baseline ratios (None when the signal was bad or missing);
    ``stream_t`` is the live stream's time when the decision was logged, so ``tone_after`` is read 10 s later.
    """

    __tablename__ = "session_decision"
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
