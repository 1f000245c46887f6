"""Stress tables: questionnaire responses with history, the stressor inventory, reflection notes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unclench.core import clock
from unclench.core.db import Base, PersonOwned, UTCDateTime, id_column_type, new_id


class QuestionnaireResponse(PersonOwned, Base):
    """One completed questionnaire (PSS-10 or PHQ-4): the raw answers and the score as published."""

    __tablename__ = "questionnaire_response"
    consent_category = "stress"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    instrument: Mapped[str] = mapped_column(String(16), index=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    answers: Mapped[list[int]] = mapped_column(JSON, default=list)
    total: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(16), default="")
    subscores: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class StressorRating(PersonOwned, Base):
    """How much one life stressor weighs (0-4) and how much leeway the person has over it (0-4)."""

    __tablename__ = "stressor_rating"
    consent_category = "stress"
    __table_args__ = (
        CheckConstraint("weight BETWEEN 0 AND 4", name="weight_range"),
        CheckConstraint("leeway BETWEEN 0 AND 4", name="leeway_range"),
        UniqueConstraint("person_id", "stressor_id"),
    )

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    stressor_id: Mapped[str] = mapped_column(String(32))
    weight: Mapped[int] = mapped_column(Integer)
    leeway: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)


class ReflectionNote(PersonOwned, Base):
    """A private answer to a reflection prompt (the prompt's wording is kept with it)."""

    __tablename__ = "reflection_note"
    consent_category = "private"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    region_id: Mapped[str | None] = mapped_column(String(32), index=True)
    prompt_id: Mapped[str] = mapped_column(String(48))
    prompt_text: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
