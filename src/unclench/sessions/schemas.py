"""Input shapes for sessions: the session builder form and the practice settings (no database import)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from unclench.body.taxonomy import get_region, normalise_side, split_region_side
from unclench.core.errors import UserInputError
from unclench.core.validation import PlainText
from unclench.sessions.options import FIRST_VARIATION, SessionOptions, TargetRegion

SEED_RULE = "The seed is a whole number from 0 to 2147483647."


def _ticked(value: Any) -> bool:
    """A checkbox as posted ("on"), or a JSON boolean."""
    return value is True or value in ("on", "true", "1")


class SessionForm(BaseModel):
    """The session builder as typed: numbers still text, regions as 'region:side'. `options()` makes SessionOptions.

    Only the reading of text happens here; what is allowed (lengths, choices, regions) is checked once, by
    `options.validate_options`, on the options this form makes.
    """

    model_config = ConfigDict(extra="ignore")

    title: str = ""
    minutes: float = 10.0
    technique: str = "pmr"
    pmr_groups: float = 7.0
    pmr_style: str = "tense_release"
    cramp_prone: bool = False
    region_mode: str = "auto"
    regions: list[str] = []
    voice: str = "joe"
    pace: str = "calm"
    background: str = "pink"
    binaural: str = "none"
    ending: str = "wake"
    name: str = ""
    seed: int = FIRST_VARIATION
    adaptive: bool = False

    @field_validator("minutes", "pmr_groups", "seed", mode="before")
    @classmethod
    def blank_is_the_default(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[info.field_name or ""].default
        return value.strip() if isinstance(value, str) else value

    @field_validator("seed", mode="before")
    @classmethod
    def whole_seed(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip():  # a blank seed is the default (above)
            try:
                return int(value)
            except ValueError:
                raise ValueError(SEED_RULE) from None
        return value

    @field_validator("cramp_prone", "adaptive", mode="before")
    @classmethod
    def ticked(cls, value: Any) -> bool:
        return _ticked(value)

    @property
    def auto_regions(self) -> bool:
        """Regions come from the diary unless the person chose them."""
        return self.region_mode == "auto"

    def options(self) -> SessionOptions:
        """The options this form asks for (not yet checked; a region id that is not known is refused here)."""
        targets = []
        for value in self.regions:
            region_id, _, side = value.partition(":")
            region = get_region(region_id, field="regions")
            targets.append(TargetRegion(region.id, side or ("both" if region.lateral else "centre")))
        return SessionOptions(
            minutes=self.minutes,
            technique=self.technique,
            pmr_groups=int(self.pmr_groups) if self.pmr_groups.is_integer() else -1,  # -1: "not a known pmr groups"
            pmr_style=self.pmr_style,
            cramp_prone=self.cramp_prone,
            regions=tuple(targets),
            voice=self.voice,
            pace=self.pace,
            background=self.background,
            binaural=self.binaural,
            ending=self.ending,
            name=self.name,
            seed=self.seed,
            adaptive=self.adaptive,
        )


class PracticeForm(BaseModel):
    """Streaks on or off, and the daily reminder time as typed ('' for none; the service reads the time)."""

    model_config = ConfigDict(extra="ignore")

    streaks: bool = False
    reminder: str = ""

    @field_validator("streaks", mode="before")
    @classmethod
    def ticked(cls, value: Any) -> bool:
        return _ticked(value)


class ProgrammeItemForm(SessionForm):
    """One session of a programme: the session builder's fields, and how many times a week to listen."""

    per_week: int = 7

    @field_validator("per_week", mode="before")
    @classmethod
    def blank_per_week(cls, value: Any) -> Any:
        return 7 if isinstance(value, str) and not value.strip() else value


class ProgrammeForm(BaseModel):
    """A home programme as typed; `programmes.save_programme` checks what is allowed and says every problem."""

    model_config = ConfigDict(extra="ignore")

    title: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    note: str = ""
    checkin: str = "none"
    questionnaire: str = "none"
    questionnaire_every_weeks: int = 4
    emg_per_week: int = 0
    emg_region: str = ""
    items: list[ProgrammeItemForm] = []

    @field_validator("starts_on", "ends_on", "questionnaire_every_weeks", "emg_per_week", mode="before")
    @classmethod
    def blank_is_the_default(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[info.field_name or ""].default
        return value.strip() if isinstance(value, str) else value


class DecisionIn(BaseModel):
    """What an adaptive session's player logs at a decision point (docs/ADAPTIVE.md)."""

    model_config = ConfigDict(extra="forbid")

    point: PlainText = Field(min_length=1, max_length=64, description="The decision point's id in the graph.")
    region: PlainText = Field(
        min_length=1, max_length=40, description="Taxonomy region key, e.g. 'jaw' or 'calf:left'."
    )
    choice: Literal["release_cue", "silence", "move_on"]
    cue_id: PlainText | None = Field(default=None, max_length=128, description="The clip played; null for move_on.")
    at_s: float = Field(ge=0, le=86_400, allow_inf_nan=False, description="Seconds into the listen.")
    tone_before: float | None = Field(
        default=None, gt=0, le=1000, allow_inf_nan=False, description="Tone / resting baseline; null when unknown."
    )

    @field_validator("region")
    @classmethod
    def known_region(cls, value: str) -> str:
        """A taxonomy region, with an optional side ('calf:left'); kept as the region id."""
        region_id, side = split_region_side(value)
        try:
            region = get_region(region_id)
            normalise_side(region, side or None)
        except UserInputError as exc:  # a ValueError, so the other fields' problems are reported alongside
            raise ValueError(exc.problems[0].message) from None
        return region.id

    @model_validator(mode="after")
    def release_cue_names_its_clip(self) -> DecisionIn:
        if self.choice == "release_cue" and not self.cue_id:
            raise ValueError("a release cue needs the id of the clip that was played (cue_id)")
        return self
