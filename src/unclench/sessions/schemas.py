"""Input shapes for sessions: the session builder form and the practice settings (no database import)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from unclench.body.taxonomy import get_region
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
