"""Input shapes for EMG pages: the upload form, a channel's region, the live session's options (no database import)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from unclench.body.taxonomy import get_region, split_region_side
from unclench.core.errors import UserInputError


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class RegionChoiceIn(BaseModel):
    """Where a sensor sat: a taxonomy region id and, for a two-sided region, the side ('' = not said)."""

    model_config = ConfigDict(extra="ignore")

    region: str
    side: str | None = None

    _blank_side = field_validator("side", mode="before")(_blank_is_none)

    @field_validator("region", mode="before")
    @classmethod
    def chosen(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("choose where the sensor sat")
        return value


def _seconds(value: Any) -> Any:
    """A typed number of seconds ("" = not given); a comma as the decimal mark is accepted."""
    if not isinstance(value, str) or not value.strip():
        return _blank_is_none(value)
    try:
        return float(value.strip().replace(",", ".").replace("−", "-"))
    except ValueError:
        raise ValueError(f"{value!r} is not a number of seconds") from None


class ListenTieForm(BaseModel):
    """Tie a recording to a listen: the listen ('' = untie) and, optionally, where in the recording it began."""

    model_config = ConfigDict(extra="ignore")

    listen: str | None = None
    offset_s: float | None = Field(
        default=None,
        description="Seconds into the recording at which the session began; empty: from the two start times.",
        ge=-7 * 86400,
        le=7 * 86400,
    )

    _blank_listen = field_validator("listen", mode="before")(_blank_is_none)
    _number = field_validator("offset_s", mode="before")(_seconds)


class ListenRecordingForm(ListenTieForm):
    """From a listen's page: which of the person's recordings was made during it."""

    recording: str

    @field_validator("recording", mode="before")
    @classmethod
    def chosen(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("choose the recording made during this listen")
        return value


class UploadForm(BaseModel):
    """The fields posted with an uploaded recording (the file itself is read apart, a chunk at a time)."""

    model_config = ConfigDict(extra="ignore")

    fs: float | None = Field(default=None, description="Sample rate in Hz, for a CSV without a time column.")
    unit: str | None = Field(default=None, description="uV, mV or V; None: from the file or detected.")
    region: str = ""
    side: str | None = None
    listen: str | None = Field(default=None, description="The session listen this recording was made during.")
    offset_s: float | None = Field(default=None, ge=-7 * 86400, le=7 * 86400)

    _blank_unit_side = field_validator("unit", "side", "listen", mode="before")(_blank_is_none)
    _number = field_validator("offset_s", mode="before")(_seconds)

    @field_validator("fs", mode="before")
    @classmethod
    def hertz(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            return _blank_is_none(value)
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number of Hz") from None

    @property
    def region_choice(self) -> RegionChoiceIn | None:
        return RegionChoiceIn(region=self.region, side=self.side) if self.region else None


class LiveOptions(BaseModel):
    """A live session's query: the board (and its port or playback file), calibration, length, target, channels."""

    model_config = ConfigDict(extra="ignore")

    board: str = "synthetic"
    serial_port: str | None = None
    file: str | None = None
    master_board: str | None = None
    calibration: float = Field(default=10.0, description="Seconds of calm measured before the gauge starts.")
    minutes: float = Field(default=30.0, description="The session stops by itself after this long.")
    target: float | None = Field(default=None, description="Tone target in µV; a tone sounds above it.")
    channels: list[int] = Field(default=[1], description="Board channels, 1-based, given as '1,2'.")
    # an adaptive session's player (docs/ADAPTIVE.md): tone frames besides the usual ones
    adaptive: bool = Field(default=False, description="Send tone frames for an adaptive session.")
    region: str | None = Field(default=None, description="The sensor's body region, e.g. 'jaw' or 'calf:left'.")
    listen: str | None = Field(default=None, max_length=64, description="The listen this stream belongs to.")
    baseline_s: float = Field(default=60.0, ge=5.0, le=600.0, description="Seconds the resting baseline is measured.")
    baseline: Literal["auto", "measure", "earlier"] = Field(
        default="auto", description="auto: earlier recordings of the region if any, else measure the first minute."
    )

    _blank_optional = field_validator(
        "serial_port", "file", "master_board", "target", "region", "listen", mode="before"
    )(_blank_is_none)

    @field_validator("region")
    @classmethod
    def known_region(cls, value: str | None) -> str | None:
        if value is None:
            return None
        region_id, _side = split_region_side(value)
        try:
            return get_region(region_id).id
        except UserInputError as exc:
            raise ValueError(exc.problems[0].message) from None

    @model_validator(mode="after")
    def adaptive_names_its_region(self) -> LiveOptions:
        if self.adaptive and self.region is None:
            raise ValueError("an adaptive session names the sensor's body region (region=jaw, for example)")
        return self

    @field_validator("channels", mode="before")
    @classmethod
    def comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
