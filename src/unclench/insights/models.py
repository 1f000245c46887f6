"""Insights settings the person chooses (one row per person)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unclench.core import clock
from unclench.core.db import Base, PersonOwned, UTCDateTime


class InsightsPreference(PersonOwned, Base):
    """When the person's diary day starts (0–12 o'clock), so night cramps belong to one night."""

    __tablename__ = "insights_preference"
    consent_category = "diary"
    __table_args__ = (
        CheckConstraint("day_starts_at BETWEEN 0 AND 12", name="day_starts_at_range"),
        UniqueConstraint("person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day_starts_at: Mapped[int] = mapped_column(Integer, default=6)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)
