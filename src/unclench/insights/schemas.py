"""The shape of the insights JSON (`unclench insights --json`, `GET /api/insights`), as Pydantic models.

`docs/insights.schema.json` is generated from :class:`InsightsOut` (``write_json_schema``) and a test
checks that the file, the models and the real output agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdjustedOut(_Strict):
    """A rate finding's estimate allowing for the other candidate factors (one multivariable count model)."""

    estimate: float = Field(description="Adjusted rate ratio (days with ÷ days without).")
    low: float = Field(description="Lower end of the 95 % likely range.")
    high: float = Field(description="Upper end of the 95 % likely range.")
    p_value: float = Field(description="Wald p-value of the adjusted rate ratio (not part of the FDR family).")
    adjusted_for: list[str] = Field(description="Names of the other factors in the model.")
    days: int = Field(description="Days on which every factor in the model was recorded.")
    model: str = Field(description="Poisson or negative binomial, with the weak prior on each rate ratio.")
    verdict: Literal["holds", "shrinks", "unclear"] = Field(
        description="holds: the adjusted range excludes no difference; shrinks: the link moved at least a third of "
        "the way to none and its range includes no difference (the finding moves with another factor); unclear: "
        "neither."
    )
    moves_with: str | None = Field(description="For 'shrinks': the other factor's days that lend it most of its link.")
    sentence: str = Field(description="The same in plain words (already appended to the finding's sentence).")


class FindingOut(_Strict):
    """One comparison, or (under `missing`) one that could not be made."""

    factor: str = Field(description="Factor key: a check-in field, or 'custom:<id>' for the person's own factor.")
    factor_name: str
    timing: str = Field(description="'same day', 'day before', 'night before', 'two nights before'; '' if untested.")
    outcome: Literal["rate", "intensity"] = Field(
        description="rate: daily number of episodes; intensity: mean intensity (0–10) on days with episodes."
    )
    exposure: str = Field(description="What 'days with' means, e.g. 'less than 6 h of sleep'.")
    status: Literal["clear", "uncertain", "not_enough_data", "one_value", "no_data", "not_estimable"]
    sentence: str = Field(description="The finding in plain words; never causal.")
    days_with: int
    days_without: int
    estimate: float | None = Field(description="Rate ratio (rate) or difference in points on 0–10 (intensity).")
    low: float | None
    high: float | None
    p_value: float | None
    q_value: float | None = Field(description="Benjamini–Hochberg adjusted p-value over all comparisons.")
    model: str
    warnings: list[str] = Field(description="Sentences about factors that move with this one.")
    per_unit: str = Field(description="For number and scale factors: the rate ratio per one unit more, in words.")
    adjusted: AdjustedOut | None = Field(
        description="For rate findings that look like a link (clear, or their own range excludes no difference) "
        "and have another factor to allow for; otherwise null."
    )


class CollinearOut(_Strict):
    """Two factors whose days overlap (φ between their yes/no days, same day / night before)."""

    first: str
    second: str
    r: float = Field(description="φ, the correlation of the two factors' yes/no days.")
    days: int = Field(description="Days on which both were recorded.")
    level: Literal["cannot_tell_apart", "often_together"] = Field(
        description="cannot_tell_apart: |r| ≥ 0.8; often_together: |r| ≥ 0.3."
    )
    sentence: str


class TriggersOut(_Strict):
    days: int
    episodes: int
    fdr_level: float = Field(description="False-discovery rate held by Benjamini–Hochberg.")
    tests: int = Field(description="Comparisons made (the FDR family).")
    notes: list[str]
    findings: list[FindingOut] = Field(description="Ranked: clear first (those that shrink last among them).")
    missing: list[FindingOut]
    collinear: list[CollinearOut]


class PracticeWeeksOut(_Strict):
    weeks_regular: int
    weeks_without: int
    rate_regular: float | None = Field(description="Episodes per week in weeks with regular listening.")
    rate_without: float | None
    ratio: float | None
    low: float | None
    high: float | None
    p_value: float | None
    intensity_regular: float | None
    intensity_without: float | None
    sentence: str


class TechniqueOut(_Strict):
    technique: str
    sessions: int
    mean_drop: float | None = Field(description="Mean fall in tension (0–10) from before to after a session.")
    low: float | None
    high: float | None
    p_value: float | None
    sentence: str


class ToneOut(_Strict):
    recordings: int
    first_uv: float | None
    last_uv: float | None
    slope_per_week: float | None = Field(description="Change in resting tone per week (µV RMS).")
    low: float | None
    high: float | None
    percent_per_month: float | None
    sentence: str


class ChapterToneOut(_Strict):
    technique: str
    technique_label: str
    kind: str
    label: str
    listens: int
    mean_pct: float | None = Field(description="Mean change of EMG resting tone from the session's start, %.")
    low: float | None
    high: float | None
    sentence: str


class ToneByChapterOut(_Strict):
    listens: int = Field(description="Listens with an EMG recording that gave at least one number.")
    needed: int = Field(description="How many such listens the comparison needs before it is shown.")
    rows: list[ChapterToneOut]
    sentence: str


class PracticeOut(_Strict):
    weeks: PracticeWeeksOut | None
    techniques: list[TechniqueOut]
    tone: ToneOut | None
    chapters: ToneByChapterOut | None = Field(
        default=None, description="EMG resting tone per technique and part of a session."
    )
    notes: list[str]


class PlainOut(_Strict):
    """The insights in plain words: what the page says first (see `insights.plain`)."""

    sentences: list[str] = Field(
        description="Clear findings in plain words, strongest first (at most 3), or one line saying nothing stands out."
    )
    practice: str = Field(description="Practice in one sentence, or empty.")
    needs: str = Field(description="What to log for patterns to show when nothing could be compared yet, or empty.")


class InsightsOut(_Strict):
    """`unclench insights --json` and `GET /api/insights`: trigger statistics and practice effect for a period."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    first: str = Field(alias="from", description="First diary day (YYYY-MM-DD).")
    last: str = Field(alias="to", description="Last diary day (YYYY-MM-DD).")
    day_starts_at: int = Field(ge=0, le=12, description="Hour a diary day starts (0–12).")
    kind: str | None = Field(description="Only this kind of episode, or null for all.")
    triggers: TriggersOut
    practice: PracticeOut
    plain: PlainOut


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the insights JSON."""
    schema = InsightsOut.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def write_json_schema(path: Path) -> None:
    path.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
