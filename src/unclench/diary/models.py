"""Diary tables: episodes on the body map, daily check-ins, the person's own factors."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from unclench.core import clock
from unclench.core.db import Base, PersonOwned, SoftDelete, UTCDateTime, id_column_type, new_id

EPISODE_KINDS = ("twitch", "tic", "cramp", "spasm", "tension")
STRESS_SOURCES = ("work", "home", "health", "money", "other")
FACTOR_KINDS = ("yesno", "number", "scale")


class Episode(PersonOwned, SoftDelete, Base):
    """One episode of a muscle twitching, cramping, spasming or not letting go."""

    __tablename__ = "episode"
    consent_category = "diary"
    __table_args__ = (
        CheckConstraint("intensity BETWEEN 0 AND 10", name="intensity_range"),
        CheckConstraint("pain BETWEEN 0 AND 10", name="pain_range"),
        CheckConstraint("duration_s IS NULL OR duration_s >= 0", name="duration_positive"),
        UniqueConstraint("person_id", "client_key", name="uq_episode_person_client_key"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    duration_s: Mapped[int | None] = mapped_column(Integer)
    ongoing: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    intensity: Mapped[int] = mapped_column(Integer)
    pain: Mapped[int] = mapped_column(Integer, default=0)
    helped: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # The key the person's device made when it queued this entry offline: a replay finds it instead of adding it twice.
    client_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)

    regions: Mapped[list[EpisodeRegion]] = relationship(
        back_populates="episode", cascade="all, delete-orphan", lazy="selectin", order_by="EpisodeRegion.position"
    )


class EpisodeRegion(PersonOwned, Base):
    """A body region (and side) an episode was felt in; an episode may span several."""

    __tablename__ = "episode_region"
    consent_category = "diary"
    __table_args__ = (UniqueConstraint("episode_id", "region_id", "side"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[str] = mapped_column(String(32), index=True)
    side: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(Integer, default=0)

    episode: Mapped[Episode] = relationship(back_populates="regions")


class CustomFactor(PersonOwned, Base):
    """A factor the person tracks themselves: yes/no, a number, or a 0–10 scale."""

    __tablename__ = "custom_factor"
    consent_category = "diary"
    __table_args__ = (UniqueConstraint("person_id", "name"),)  # each person names their factors

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(24), default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class CheckIn(PersonOwned, Base):
    """The day's context, one per calendar day (the person's local date) for each person."""

    __tablename__ = "checkin"
    consent_category = "checkins"
    __table_args__ = (UniqueConstraint("person_id", "day"),)

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    day: Mapped[date] = mapped_column(Date, index=True)
    stress: Mapped[int | None] = mapped_column(Integer)
    stress_source: Mapped[str | None] = mapped_column(String(16))
    sleep_hours: Mapped[float | None] = mapped_column(Float)
    sleep_quality: Mapped[int | None] = mapped_column(Integer)
    caffeine_drinks: Mapped[int | None] = mapped_column(Integer)
    alcohol_units: Mapped[float | None] = mapped_column(Float)
    exercise_minutes: Mapped[int | None] = mapped_column(Integer)
    exercise_type: Mapped[str] = mapped_column(String(80), default="")
    sitting_hours: Mapped[float | None] = mapped_column(Float)
    fluids_litres: Mapped[float | None] = mapped_column(Float)
    medications: Mapped[list[str]] = mapped_column(JSON, default=list)
    mood: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)

    factor_values: Mapped[list[CustomFactorValue]] = relationship(
        back_populates="checkin", cascade="all, delete-orphan", lazy="selectin"
    )


class CustomFactorValue(PersonOwned, Base):
    __tablename__ = "custom_factor_value"
    consent_category = "diary"
    __table_args__ = (UniqueConstraint("checkin_id", "factor_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checkin_id: Mapped[str] = mapped_column(ForeignKey("checkin.id", ondelete="CASCADE"), index=True)
    factor_id: Mapped[str] = mapped_column(ForeignKey("custom_factor.id", ondelete="CASCADE"), index=True)
    value: Mapped[float] = mapped_column(Float)

    checkin: Mapped[CheckIn] = relationship(back_populates="factor_values")
    factor: Mapped[CustomFactor] = relationship(lazy="joined")
