"""What the trigger analysis hands back: findings, pairs of factors that move together, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["clear", "uncertain", "not_enough_data", "one_value", "no_data", "not_estimable"]


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
        }


@dataclass(frozen=True)
class Collinearity:
    first: str
    second: str
    r: float
    days: int

    @property
    def sentence(self) -> str:
        direction = "together" if self.r > 0 else "in opposite directions"
        return (
            f"{self.first} and {self.second} moved {direction} on most days (r = {self.r:.2f}, {self.days} days): "
            "the diary cannot tell their links apart."
        )


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
            "collinear": [{"first": c.first, "second": c.second, "r": c.r, "days": c.days} for c in self.collinear],
        }
