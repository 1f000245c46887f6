"""What the trigger analysis hands back: findings, pairs of factors that move together, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["clear", "uncertain", "not_enough_data", "one_value", "no_data", "not_estimable"]
Verdict = Literal["holds", "shrinks", "unclear"]


@dataclass
class Adjusted:
    """A rate finding's estimate once the other candidate factors are allowed for (see `triggers.adjusted`)."""

    estimate: float
    low: float
    high: float
    p_value: float
    adjusted_for: list[str]
    """Names of the other factors in the model."""
    days: int
    """Days on which every factor in the model was recorded."""
    model: str
    verdict: Verdict
    """holds: the adjusted range excludes no difference; shrinks: the link moved at least a third of the way to none and
    its range includes no difference; unclear: neither."""
    moves_with: str | None
    """For 'shrinks': the other factor's days that lend this one most of its link."""
    sentence: str

    def as_dict(self) -> dict[str, object]:
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "p_value": self.p_value,
            "adjusted_for": list(self.adjusted_for),
            "days": self.days,
            "model": self.model,
            "verdict": self.verdict,
            "moves_with": self.moves_with,
            "sentence": self.sentence,
        }


@dataclass
class Finding:
    """One test: a factor at one timing against one outcome (episode rate or mean intensity)."""

    factor_key: str
    factor_name: str
    timing: str
    outcome: Literal["rate", "intensity"]
    phrase: str
    status: Status
    sentence: str
    days_with: int = 0
    days_without: int = 0
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    q_value: float | None = None
    model: str = ""
    warnings: list[str] = field(default_factory=list)
    opening: str = ""
    per_unit: str = ""
    """For number and scale factors: the rate ratio per one unit more (descriptive, not part of the FDR family)."""
    adjusted: Adjusted | None = None
    """Rate findings that look like a link: the estimate allowing for the other candidate factors."""

    @property
    def estimable(self) -> bool:
        return self.p_value is not None

    def as_dict(self) -> dict[str, object]:
        return {
            "factor": self.factor_key,
            "factor_name": self.factor_name,
            "timing": self.timing,
            "outcome": self.outcome,
            "exposure": self.phrase,
            "status": self.status,
            "sentence": self.sentence,
            "days_with": self.days_with,
            "days_without": self.days_without,
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "p_value": self.p_value,
            "q_value": self.q_value,
            "model": self.model,
            "warnings": list(self.warnings),
            "per_unit": self.per_unit,
            "adjusted": self.adjusted.as_dict() if self.adjusted else None,
        }


@dataclass(frozen=True)
class Collinearity:
    """Two factors whose days with and without overlap (φ between their yes/no days, same day / night before)."""

    first: str
    second: str
    r: float
    days: int
    level: Literal["cannot_tell_apart", "often_together"]
    """cannot_tell_apart: |r| ≥ 0.8; often_together: |r| ≥ 0.3 (see `triggers.adjusted.PARTNER_R`)."""
    sentence: str

    def as_dict(self) -> dict[str, object]:
        return {
            "first": self.first,
            "second": self.second,
            "r": self.r,
            "days": self.days,
            "level": self.level,
            "sentence": self.sentence,
        }


@dataclass
class TriggerReport:
    findings: list[Finding]
    """Tests that could be made, ranked: clear links first, then by size."""
    missing: list[Finding]
    """Factor timings that could not be tested, each saying what is missing."""
    collinear: list[Collinearity]
    notes: list[str]
    days: int
    episodes: int
    fdr_level: float
    tests: int

    @property
    def clear(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "clear"]

    def as_dict(self) -> dict[str, object]:
        return {
            "days": self.days,
            "episodes": self.episodes,
            "fdr_level": self.fdr_level,
            "tests": self.tests,
            "notes": list(self.notes),
            "findings": [f.as_dict() for f in self.findings],
            "missing": [f.as_dict() for f in self.missing],
            "collinear": [c.as_dict() for c in self.collinear],
        }
