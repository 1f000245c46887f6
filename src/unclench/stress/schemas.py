"""Pydantic shapes for the stress JSON API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from unclench.core.validation import PlainText


class AnswersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: list[int | None] = Field(description="One answer per item, in item order; null for unanswered.")


class ResponseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    instrument: str
    taken_at: datetime
    answers: list[int]
    total: int
    band: str
    subscores: dict[str, int]


class RatingIn(BaseModel):
    weight: int | None = None
    leeway: int | None = None


class ReflectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt_id: str
    text: PlainText = Field(max_length=5000)


class ReflectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    region_id: str | None
    prompt_id: str
    prompt_text: str
    text: str
    created_at: datetime
