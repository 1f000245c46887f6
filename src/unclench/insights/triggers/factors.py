"""Factors and exposures: what the diary records, and how each factor becomes days with and days without.

Pure: no database access, no model fitting.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

FactorKind = Literal["yesno", "number", "scale"]
Timing = Literal["day", "night_before"]

MIN_DAYS = 14

_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Cut:
    """A yes/no exposure made from a factor: `value op threshold`, described by `phrase`."""

    op: Literal["<", "<=", ">", ">=", "=="]
    threshold: float
    phrase: str

    def apply(self, values: np.ndarray) -> np.ndarray:
        """1.0 where the exposure holds, 0.0 where not, NaN where the value is missing."""
        out = np.where(_OPS[self.op](values, self.threshold), 1.0, 0.0)
        out[np.isnan(values)] = np.nan
        return out


@dataclass(frozen=True)
class Factor:
    """A factor the diary records: a column of the day table and how to talk about it."""

    key: str
    name: str
    kind: FactorKind
    cut: Cut
    unit: str = ""
    timing: Timing = "day"
    median_phrase: str = ""
    """Phrase for a median split, with `{v}` for the value; empty means no median fallback."""


BUILTIN_FACTORS: tuple[Factor, ...] = (
    Factor(
        "stress", "stress", "scale", Cut(">=", 7, "stress of 7 or more"), median_phrase="stress above {v} (your middle)"
    ),
    Factor(
        "sleep_hours",
        "sleep",
        "number",
        Cut("<", 6, "less than 6 h of sleep"),
        unit="h",
        timing="night_before",
        median_phrase="less than {v} h of sleep (your middle)",
    ),
    Factor(
        "sleep_quality",
        "sleep quality",
        "scale",
        Cut("<=", 4, "poor sleep (quality 4 or lower)"),
        timing="night_before",
        median_phrase="sleep quality below {v} (your middle)",
    ),
    Factor(
        "caffeine_drinks",
        "caffeine",
        "number",
        Cut(">=", 3, "3 or more caffeinated drinks"),
        median_phrase="more than {v} caffeinated drinks (your middle)",
    ),
    Factor(
        "alcohol_units",
        "alcohol",
        "number",
        Cut(">", 0, "any alcohol"),
        unit="units",
        median_phrase="more than {v} units of alcohol (your middle)",
    ),
    Factor(
        "exercise_minutes",
        "exercise",
        "number",
        Cut(">=", 30, "30 min or more of exercise"),
        unit="min",
        median_phrase="more than {v} min of exercise (your middle)",
    ),
    Factor(
        "sitting_hours",
        "sitting",
        "number",
        Cut(">=", 8, "8 h or more of sitting"),
        unit="h",
        median_phrase="more than {v} h of sitting (your middle)",
    ),
    Factor(
        "fluids_litres",
        "fluids",
        "number",
        Cut("<", 1.5, "less than 1.5 litres of fluids"),
        unit="litres",
        median_phrase="less than {v} litres of fluids (your middle)",
    ),
    Factor(
        "mood", "mood", "scale", Cut("<=", 4, "low mood (4 or lower)"), median_phrase="mood below {v} (your middle)"
    ),
)


def custom_factor(key: str, name: str, kind: FactorKind, unit: str = "") -> Factor:
    """A factor of the person's own: yes/no is 'days with X'; numbers and scales split at the median."""
    if kind == "yesno":
        return Factor(key, name, kind, Cut("==", 1, f"“{name}”"), unit=unit)
    unit_words = f" {unit}" if unit else ""
    # The threshold of a number/scale factor is the person's median, filled in by `exposures_for`.
    return Factor(
        key,
        name,
        kind,
        Cut(">", math.nan, f"more “{name}” than usual"),
        unit=unit,
        median_phrase=f"“{name}” above {{v}}{unit_words} (your middle)",
    )


@dataclass(frozen=True)
class Exposure:
    factor: Factor
    timing_label: str
    """"same day", "day before", "night before", "two nights before"."""
    lag: int
    average_nights: int
    cut: Cut

    @property
    def opening(self) -> str:
        """The start of the sentence: 'On days after a night with less than 6 h of sleep'."""
        if self.timing_label == "night before":
            return f"On days after a night with {self.cut.phrase}"
        if self.timing_label == "two nights before":
            return f"On days after two nights averaging {self.cut.phrase}"
        if self.timing_label == "day before":
            return f"On days after a day with {self.cut.phrase}"
        return f"On days with {self.cut.phrase}"


def timings(factor: Factor) -> list[tuple[str, int, int]]:
    """(label, lag in days, nights averaged) for a factor."""
    if factor.timing == "night_before":
        # A check-in's sleep is last night's: lag 0 is the night before the diary day.
        return [("night before", 0, 1), ("two nights before", 0, 2)]
    return [("same day", 0, 1), ("day before", 1, 1)]


def shifted(values: np.ndarray, lag: int, average_nights: int) -> np.ndarray:
    series = pd.Series(values)
    if average_nights > 1:
        series = series.rolling(average_nights, min_periods=average_nights).mean()
    return series.shift(lag).to_numpy(dtype=float)


def choose_cut(factor: Factor, values: np.ndarray, min_days: int) -> Cut | None:
    """The fixed cut if it leaves enough days each side, else a median split, else None (not enough)."""
    present = values[~np.isnan(values)]
    candidates: list[Cut] = []
    if not math.isnan(factor.cut.threshold):
        candidates.append(factor.cut)
    if factor.median_phrase and present.size:
        median = float(np.median(present))
        op = factor.cut.op if factor.cut.op in ("<", ">") else ("<" if factor.cut.op == "<=" else ">")
        candidates.append(Cut(op, median, factor.median_phrase.format(v=value_words(median))))
    for cut in candidates:
        exposed = cut.apply(present)
        if exposed.sum() >= min_days and (exposed.size - exposed.sum()) >= min_days:
            return cut
    return candidates[0] if candidates else None


def exposures_for(factor: Factor, values: np.ndarray, min_days: int = MIN_DAYS) -> list[Exposure] | str:
    """The exposures to test for a factor, or a sentence saying why it cannot be tested at all."""
    present = values[~np.isnan(values)]
    if present.size == 0:
        return f"{factor.name.capitalize()}: no check-in in this period recorded it."
    distinct = np.unique(present)
    if distinct.size == 1:
        return (
            f"{factor.name.capitalize()}: every one of the {present.size} recorded days has the same value "
            f"({value_words(float(distinct[0]))}{' ' + factor.unit if factor.unit else ''}), so there is nothing to compare."
        )
    cut = choose_cut(factor, values, min_days)
    if cut is None:
        return f"{factor.name.capitalize()}: cannot be split into days with and without."
    return [Exposure(factor, label, lag, nights, cut) for label, lag, nights in timings(factor)]


def value_words(value: float) -> str:
    """A factor value as a person would write it: 6, 6.5."""
    return f"{value:g}" if value == round(value) else f"{value:.1f}"
