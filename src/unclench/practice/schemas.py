"""Input for the practice pages: a consent (which categories) and a note."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from unclench.core.validation import PlainText

# What a client can share, in the order the consent page asks, each with the words it uses. "programme" and
# "notes" are not asked: they are what the practitioner makes for the client, visible to them with any consent.
SHAREABLE: dict[str, tuple[str, str]] = {
    "diary": ("Diary", "your episodes (when, where in the body, how strong), your own factors and body map"),
    "checkins": ("Check-ins", "your daily check-ins: sleep, stress, caffeine, alcohol, exercise, mood, notes"),
    "stress": ("Stress scores", "your PSS-10 and PHQ-4 answers and scores, and how much each life stressor weighs"),
    "safety": ("Safety results", "your safety check answers and results, medicines, warning signs, your doctor"),
    "sessions": ("Sessions and listens", "your relaxation sessions, when you listened, tension before and after"),
    "emg": ("EMG", "your EMG recordings and what was measured in them (resting tone, bursts)"),
    "reports": ("Reports", "the doctor's report (PDF) built from whatever else you share here"),
}
# Always with a practitioner's access: what they write for the client.
PRACTITIONER_OWN = frozenset({"programme", "notes"})
PRACTITIONER_WRITES = frozenset({"programme", "notes", "sessions"})


class ConsentIn(BaseModel):
    """The categories a client ticks (none: share nothing)."""

    model_config = ConfigDict(extra="ignore")

    categories: list[str] = Field(default_factory=list, max_length=len(SHAREABLE))

    @field_validator("categories", mode="before")
    @classmethod
    def _as_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("categories")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in SHAREABLE]
        if unknown:
            raise ValueError(f"Choose only from the categories listed ({', '.join(SHAREABLE)}).")
        return [c for c in SHAREABLE if c in value]  # in the page's order, each once


class NoteIn(BaseModel):
    """A session note: its text, and whether the client sees it."""

    model_config = ConfigDict(extra="ignore")

    text: Annotated[PlainText, Field(min_length=1, max_length=10_000)]
    shared: bool = False

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Write something in the note.")
        return value.strip()

    @field_validator("shared", mode="before")
    @classmethod
    def _checkbox(cls, value: object) -> object:
        return value in (True, "on", "true", "1", "yes") if isinstance(value, str | bool) else value
