"""Pydantic shapes for diary input and output (API, forms, CLI and CSV share them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from unclench.body.taxonomy import get_region, normalise_side
from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.core.validation import PlainText, check_day, check_moment

EpisodeKind = Literal["twitch", "tic", "cramp", "spasm", "tension"]
StressSource = Literal["work", "home", "health", "money", "other"]
FactorKind = Literal["yesno", "number", "scale"]

KIND_LABELS: dict[str, str] = {
    "twitch": "Twitch / fasciculation",
    "tic": "Tic",
    "cramp": "Cramp",
    "spasm": "Spasm",
    "tension": "Persistent tension",
}
STRESS_SOURCE_LABELS: dict[str, str] = {
    "work": "Work",
    "home": "Home",
    "health": "Health",
    "money": "Money",
    "other": "Other",
}
# Clock drift between devices should not reject an entry made "now".
FUTURE_TOLERANCE = timedelta(minutes=10)
MAX_DURATION_S = 14 * 24 * 3600


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{name}' is not a known time zone (use a name like Europe/Berlin)") from None
    return name


class RegionIn(BaseModel):
    region: str
    side: str | None = None

    @model_validator(mode="after")
    def known_region_and_side(self) -> RegionIn:
        try:
            region = get_region(self.region)
            self.side = normalise_side(region, self.side)
        except UserInputError as exc:
            raise ValueError(exc.problems[0].message) from None
        return self


class EpisodeIn(BaseModel):
    """A new or edited episode. A naive start time is read in the person's time zone."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    started_at: datetime
    timezone: str | None = None
    duration_s: int | None = Field(default=None, ge=0, le=MAX_DURATION_S)
    ongoing: bool = False
    kind: EpisodeKind
    intensity: int = Field(ge=0, le=10)
    pain: int = Field(default=0, ge=0, le=10)
    regions: list[RegionIn] = Field(min_length=1)
    helped: PlainText = Field(default="", max_length=2000)
    notes: PlainText = Field(default="", max_length=5000)
    client_key: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="A key the device made for this entry (8-64 letters, digits, - or _): sending it again, as a "
        "phone does when it comes back online, returns the episode already saved instead of adding another",
    )

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str | None) -> str | None:
        return None if value in (None, "") else check_timezone(value)

    @field_validator("started_at")
    @classmethod
    def start_in_range(cls, value: datetime) -> datetime:
        return check_moment(value)

    @model_validator(mode="after")
    def consistent(self) -> EpisodeIn:
        tz_name = self.timezone or clock.person_timezone_name()
        self.timezone = tz_name
        if self.started_at.tzinfo is None:
            self.started_at = self.started_at.replace(tzinfo=ZoneInfo(tz_name))
        self.started_at = self.started_at.astimezone(UTC)
        now = clock.now()
        if self.started_at > now + FUTURE_TOLERANCE:
            raise ValueError("the start time is in the future; an episode can only be logged once it has started")
        if self.ongoing and self.duration_s is not None:
            raise ValueError("an episode that is still going has no duration yet; leave the duration empty")
        if (
            self.duration_s is not None
            and self.started_at + timedelta(seconds=self.duration_s) > now + FUTURE_TOLERANCE
        ):
            raise ValueError("the end (start + duration) is in the future; mark it as still going instead")
        seen = set()
        for item in self.regions:
            key = (item.region, item.side)
            if key in seen:
                raise ValueError(f"the region {item.region} ({item.side}) is listed twice")
            seen.add(key)
        return self


class EpisodeClose(BaseModel):
    ended_at: datetime | None = None

    @field_validator("ended_at")
    @classmethod
    def end_in_range(cls, value: datetime | None) -> datetime | None:
        return None if value is None else check_moment(value)


class RegionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    region_id: str
    side: str


class EpisodeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    started_at: datetime
    timezone: str
    duration_s: int | None
    ongoing: bool
    kind: str
    intensity: int
    pain: int
    helped: str
    notes: str
    regions: list[RegionOut]
    created_at: datetime
    updated_at: datetime


class CheckInIn(BaseModel):
    """The day's context; every field but the day is optional."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    day: date
    stress: int | None = Field(default=None, ge=0, le=10)
    stress_source: StressSource | None = None
    sleep_hours: float | None = Field(default=None, ge=0, le=24)
    sleep_quality: int | None = Field(default=None, ge=0, le=10)
    caffeine_drinks: int | None = Field(default=None, ge=0, le=40)
    alcohol_units: float | None = Field(default=None, ge=0, le=60)
    exercise_minutes: int | None = Field(default=None, ge=0, le=1440)
    exercise_type: PlainText = Field(default="", max_length=80)
    sitting_hours: float | None = Field(default=None, ge=0, le=24)
    fluids_litres: float | None = Field(default=None, ge=0, le=15)
    medications: list[PlainText] = Field(default_factory=list)
    mood: int | None = Field(default=None, ge=0, le=10)
    notes: PlainText = Field(default="", max_length=5000)
    factors: dict[str, float] = Field(default_factory=dict, description="Custom factor values by factor name")

    @field_validator("day")
    @classmethod
    def day_in_range(cls, value: date) -> date:
        return check_day(value)

    @field_validator("medications")
    @classmethod
    def tidy_medications(cls, value: list[str]) -> list[str]:
        cleaned = [item.strip() for item in value if item.strip()]
        if any(len(item) > 120 for item in cleaned):
            raise ValueError("a medicine name is longer than 120 characters")
        return cleaned


class CheckInOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    stress: int | None
    stress_source: str | None
    sleep_hours: float | None
    sleep_quality: int | None
    caffeine_drinks: int | None
    alcohol_units: float | None
    exercise_minutes: int | None
    exercise_type: str
    sitting_hours: float | None
    fluids_litres: float | None
    medications: list[str]
    mood: int | None
    notes: str
    factors: dict[str, float] = Field(default_factory=dict)


class FactorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlainText = Field(min_length=1, max_length=80)
    kind: FactorKind
    unit: PlainText = Field(default="", max_length=24)

    @field_validator("name")
    @classmethod
    def tidy_name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("give the factor a name")
        return value


class FactorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: str
    unit: str
    archived: bool
