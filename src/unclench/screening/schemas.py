"""Pydantic shapes for screening input (JSON API and forms) and output."""

from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from unclench.core.validation import PlainText, check_day


class SourceOut(BaseModel):
    title: str
    url: str


class TriageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yes: list[str] = Field(default_factory=list, description="Ids of the questions answered yes; all others are no.")


class TriageOut(BaseModel):
    id: str | None = None
    taken_at: datetime | None = None
    level: str
    title: str
    action: str
    answers: list[str]
    reasons: list[str]
    sources: list[SourceOut]


class MedicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(max_length=120)
    note: PlainText = Field(default="", max_length=2000)
    keep_unknown: bool = Field(default=False, description="Keep a name that is not in the knowledge base.")
    since: date | None = Field(default=None, description="The day the person started taking it (optional).")

    @field_validator("since", mode="before")
    @classmethod
    def read_since(cls, value: object) -> object:
        """Blank is "not said"; a date as typed in the form or sent as JSON; anything else in plain words."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError("use a date like 2026-03-01") from None
        return check_day(value) if isinstance(value, date) else value


class AllClearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checked_on: date
    note: PlainText = Field(default="", max_length=2000)

    @field_validator("checked_on", mode="before")
    @classmethod
    def read_day(cls, value: object) -> object:
        """A date as typed in the form or sent as JSON; anything else is explained in plain words."""
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError("use a date like 2026-03-01") from None
        return value


class AllClearOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    checked_on: date
    note: str
    recorded_at: datetime


PHONE_RULE = (
    "Use a phone number like 020 7946 0000 or +44 20 7946 0000: 3 to 15 digits, spaces or dashes, a + at the start."
)
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()./-]*$")


def tel_href(phone: str) -> str:
    """A tap-to-call link for a checked number: the digits, with the + of an international number."""
    return "tel:" + ("+" if phone.startswith("+") else "") + "".join(c for c in phone if c.isdigit())


class DoctorContactIn(BaseModel):
    """The person's own doctor's phone number ('' removes it) and an optional name for it."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(default="", max_length=32)
    name: PlainText = Field(default="", max_length=80)

    @field_validator("phone", mode="after")
    @classmethod
    def dialable(cls, value: str) -> str:
        phone = " ".join(value.split())
        digits = sum(c.isdigit() for c in phone)
        if phone and (not _PHONE_RE.match(phone) or not 3 <= digits <= 15):
            raise ValueError(PHONE_RULE)
        return phone


class DoctorContactOut(BaseModel):
    name: str
    phone: str
    href: str


class RedFlagsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    features: list[str] = Field(default_factory=list)
