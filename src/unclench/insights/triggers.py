"""Which factors go with more (or stronger) episodes: count models, effect sizes, false-discovery control.

Pure statistics: a day table (see :mod:`unclench.insights.daytable`) and factor definitions in,
findings with plain sentences out. No database access.

Method, per factor and timing (same day, day before; for sleep the night before and two nights):

1. The factor is turned into a yes/no exposure with a threshold people understand ("less than 6 h of
   sleep"); when the fixed threshold leaves too few days on one side, the person's own middle value
   (median) is used instead and the sentence says so.
2. Minimum data: at least ``min_days`` days with and ``min_days`` without the exposure, else the finding
   says what is missing.
3. Daily episode counts: Poisson regression; when the counts vary more than Poisson allows, a negative
   binomial regression with the dispersion estimated from the Poisson residuals (Cameron–Trivedi). The
   rate ratio and its 95 % interval come from the exposure coefficient.
4. Mean intensity on days with episodes: weighted least squares (weights = episodes that day); the
   difference in points on the 0–10 scale with its 95 % interval.
5. Benjamini–Hochberg across every test made (all factors, timings and both outcomes).
6. Factors that move together (|r| ≥ 0.8) are flagged: the diary cannot tell them apart.

Wording: a factor "goes with" more episodes; nothing here says it causes them.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm

from unclench.insights.daytable import COUNT, MEAN_INTENSITY

FactorKind = Literal["yesno", "number", "scale"]
Timing = Literal["day", "night_before"]
Status = Literal["clear", "uncertain", "not_enough_data", "one_value", "no_data", "not_estimable"]

MIN_DAYS = 14
FDR_LEVEL = 0.05
COLLINEAR_R = 0.8
Z95 = 1.959963984540054

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


# ---------------------------------------------------------------- building blocks


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


@dataclass(frozen=True)
class RateRatio:
    ratio: float
    low: float
    high: float
    p_value: float
    model: str


def fit_rate_ratio(counts: np.ndarray, exposed: np.ndarray) -> RateRatio:
    """Rate ratio of daily counts on exposed vs unexposed days (Poisson, or negative binomial if overdispersed)."""
    y = np.asarray(counts, dtype=float)
    x = np.asarray(exposed, dtype=float)
    design = np.column_stack([np.ones_like(x), x])
    poisson = sm.GLM(y, design, family=sm.families.Poisson()).fit()
    mu = poisson.mu
    # Cameron–Trivedi: regress ((y-mu)^2 - y)/mu on mu without intercept; the slope estimates NB2 alpha.
    # Negative binomial only when the overdispersion test (one-sided, 5 %) says so.
    aux = ((y - mu) ** 2 - y) / mu
    alpha = float(np.sum(aux * mu) / np.sum(mu**2))
    residual = aux - alpha * mu
    se_alpha = math.sqrt(float(np.sum(residual**2)) / max(y.size - 1, 1) / float(np.sum(mu**2)))
    fitted = poisson
    model = "Poisson regression"
    if alpha > 0 and alpha > 1.645 * se_alpha:
        fitted = sm.GLM(y, design, family=sm.families.NegativeBinomial(alpha=alpha)).fit()
        model = f"negative binomial regression (dispersion {alpha:.2f})"
    coef = float(fitted.params[1])
    se = float(fitted.bse[1])
    return RateRatio(
        ratio=math.exp(coef),
        low=math.exp(coef - Z95 * se),
        high=math.exp(coef + Z95 * se),
        p_value=float(fitted.pvalues[1]),
        model=model,
    )


@dataclass(frozen=True)
class MeanDifference:
    difference: float
    low: float
    high: float
    p_value: float


def fit_intensity_difference(mean_intensity: np.ndarray, counts: np.ndarray, exposed: np.ndarray) -> MeanDifference:
    """Difference in mean intensity (0–10 points) on exposed vs unexposed days with episodes (WLS)."""
    x = np.asarray(exposed, dtype=float)
    design = np.column_stack([np.ones_like(x), x])
    fitted = sm.WLS(np.asarray(mean_intensity, dtype=float), design, weights=np.asarray(counts, dtype=float)).fit()
    low, high = fitted.conf_int()[1]
    return MeanDifference(float(fitted.params[1]), float(low), float(high), float(fitted.pvalues[1]))


def _fmt(value: float) -> str:
    return f"{value:.1f}" if abs(value) < 10 else f"{value:.0f}"


def _value_words(value: float) -> str:
    return f"{value:g}" if value == round(value) else f"{value:.1f}"


def _uncertain_tail(clear: bool, includes_none: bool) -> str:
    if clear:
        return ""
    if includes_none:
        return " That range includes no difference, so it may be chance."
    return " Not clear once all the comparisons made are allowed for, so it may be chance."


def rate_sentence(opening: str, noun: str, rr: RateRatio, clear: bool) -> str:
    if rr.ratio >= 1:
        size = f"{_fmt(rr.ratio)}× as many {noun}"
    else:
        size = f"{_fmt(rr.ratio)}× as many {noun} ({round((1 - rr.ratio) * 100)} % fewer)"
    tail = _uncertain_tail(clear, rr.low <= 1 <= rr.high)
    return f"{opening} you logged {size}; likely range {_fmt(rr.low)}–{_fmt(rr.high)}×.{tail}"


def intensity_sentence(opening: str, noun: str, diff: MeanDifference, clear: bool) -> str:
    direction = "stronger" if diff.difference >= 0 else "milder"
    size = abs(diff.difference)
    tail = _uncertain_tail(clear, diff.low <= 0 <= diff.high)
    return (
        f"{opening} your {noun} were {size:.1f} points {direction} on average (0–10 scale); "
        f"likely range {diff.low:+.1f} to {diff.high:+.1f}.{tail}"
    )


def _missing_sentence(exposure: Exposure, with_days: int, without_days: int, min_days: int) -> str:
    needs = []
    if with_days < min_days:
        needs.append(f"{min_days - with_days} more days with {exposure.cut.phrase}")
    if without_days < min_days:
        needs.append(f"{min_days - without_days} more days without")
    return (
        f"{exposure.factor.name.capitalize()} ({exposure.timing_label}): not enough data yet — "
        f"{with_days} days with {exposure.cut.phrase} and {without_days} without; "
        f"needs at least {min_days} of each ({' and '.join(needs)})."
    )


# ---------------------------------------------------------------- exposures


def _timings(factor: Factor) -> list[tuple[str, int, int]]:
    """(label, lag in days, nights averaged) for a factor."""
    if factor.timing == "night_before":
        # A check-in's sleep is last night's: lag 0 is the night before the diary day.
        return [("night before", 0, 1), ("two nights before", 0, 2)]
    return [("same day", 0, 1), ("day before", 1, 1)]


def _shifted(values: np.ndarray, lag: int, average_nights: int) -> np.ndarray:
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
        candidates.append(Cut(op, median, factor.median_phrase.format(v=_value_words(median))))
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
            f"({_value_words(float(distinct[0]))}{' ' + factor.unit if factor.unit else ''}), so there is nothing to compare."
        )
    cut = choose_cut(factor, values, min_days)
    if cut is None:
        return f"{factor.name.capitalize()}: cannot be split into days with and without."
    return [Exposure(factor, label, lag, nights, cut) for label, lag, nights in _timings(factor)]


# ---------------------------------------------------------------- the analysis


def find_collinear(table: pd.DataFrame, factors: Sequence[Factor], min_days: int = MIN_DAYS) -> list[Collinearity]:
    keys = [f.key for f in factors if f.key in table.columns]
    names = {f.key: f.name for f in factors}
    if len(keys) < 2:
        return []
    frame = table[keys]
    present = frame.notna().to_numpy(dtype=float)
    overlap = present.T @ present
    corr = frame.corr(min_periods=min_days).to_numpy()
    found = []
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            r = corr[i, j]
            if not np.isnan(r) and abs(r) >= COLLINEAR_R:
                found.append(Collinearity(names[keys[i]], names[keys[j]], float(r), int(overlap[i, j])))
    return found


def analyse_triggers(
    table: pd.DataFrame,
    factors: Iterable[Factor],
    *,
    min_days: int = MIN_DAYS,
    fdr_level: float = FDR_LEVEL,
    noun: str = "episodes",
) -> TriggerReport:
    """Test every factor at every timing against the daily episode rate and mean intensity."""
    factor_list = list(factors)
    counts = table[COUNT].to_numpy(dtype=float)
    intensity = table[MEAN_INTENSITY].to_numpy(dtype=float)
    notes: list[str] = []
    findings: list[Finding] = []
    missing: list[Finding] = []
    days = len(table)
    total = int(counts.sum())
    if days == 0:
        notes.append("There are no days in this period, so there is nothing to analyse.")
        return TriggerReport([], [], [], notes, 0, 0, fdr_level, 0)
    if total == 0:
        notes.append(f"No {noun} were logged in these {days} days, so there is nothing to compare factors against.")
    collinear = find_collinear(table, factor_list, min_days)
    pairs_by_name: dict[str, list[str]] = {}
    for pair in collinear:
        pairs_by_name.setdefault(pair.first, []).append(pair.sentence)
        pairs_by_name.setdefault(pair.second, []).append(pair.sentence)

    for factor in factor_list:
        in_table = factor.key in table.columns
        values = table[factor.key].to_numpy(dtype=float) if in_table else np.full(days, np.nan)
        plan = exposures_for(factor, values, min_days)
        if isinstance(plan, str):
            status: Status = "no_data" if "no check-in" in plan else "one_value"
            missing.append(Finding(factor.key, factor.name, "", "rate", "", status, plan))
            continue
        for exposure in plan:
            exposed = exposure.cut.apply(_shifted(values, exposure.lag, exposure.average_nights))
            keep = ~np.isnan(exposed)
            x = exposed[keep]
            n_with = int(x.sum())
            n_without = int(x.size - n_with)
            base = {
                "factor_key": factor.key,
                "factor_name": factor.name,
                "timing": exposure.timing_label,
                "phrase": exposure.cut.phrase,
                "days_with": n_with,
                "days_without": n_without,
                "warnings": list(pairs_by_name.get(factor.name, [])),
            }
            if n_with < min_days or n_without < min_days:
                sentence = _missing_sentence(exposure, n_with, n_without, min_days)
                missing.append(Finding(outcome="rate", status="not_enough_data", sentence=sentence, **base))  # type: ignore[arg-type]
                continue
            if total == 0:
                continue
            y = counts[keep]
            if y[x == 1].sum() == 0 or y[x == 0].sum() == 0:
                side = "with" if y[x == 1].sum() == 0 else "without"
                sentence = (
                    f"{exposure.opening}: no {noun} at all on the {n_with if side == 'with' else n_without} days "
                    f"{side} it, too few to put a size on the difference."
                )
                missing.append(Finding(outcome="rate", status="not_estimable", sentence=sentence, **base))  # type: ignore[arg-type]
            else:
                rr = fit_rate_ratio(y, x)
                findings.append(
                    Finding(
                        outcome="rate",
                        status="uncertain",
                        sentence="",
                        estimate=rr.ratio,
                        low=rr.low,
                        high=rr.high,
                        p_value=rr.p_value,
                        model=rr.model,
                        opening=exposure.opening,
                        per_unit=_per_unit(factor, _shifted(values, exposure.lag, exposure.average_nights), counts),
                        **base,  # type: ignore[arg-type]
                    )
                )
            with_episodes = keep & (counts > 0)
            xi = exposed[with_episodes]
            ni_with = int(xi.sum())
            ni_without = int(xi.size - ni_with)
            if ni_with >= min_days and ni_without >= min_days:
                diff = fit_intensity_difference(intensity[with_episodes], counts[with_episodes], xi)
                finding = Finding(
                    outcome="intensity",
                    status="uncertain",
                    sentence="",
                    opening=exposure.opening,
                    estimate=diff.difference,
                    low=diff.low,
                    high=diff.high,
                    p_value=diff.p_value,
                    model="weighted least squares on daily mean intensity",
                    **{**base, "days_with": ni_with, "days_without": ni_without},  # type: ignore[arg-type]
                )
                findings.append(finding)

    q_values = benjamini_hochberg([f.p_value for f in findings if f.p_value is not None])
    for finding, q in zip(findings, q_values, strict=True):
        finding.q_value = float(q)
        if q <= fdr_level:
            finding.status = "clear"
        clear = finding.status == "clear"
        assert finding.estimate is not None and finding.low is not None and finding.high is not None
        if finding.outcome == "rate":
            rr = RateRatio(finding.estimate, finding.low, finding.high, float(q), finding.model)
            finding.sentence = rate_sentence(finding.opening, noun, rr, clear)
        else:
            diff = MeanDifference(finding.estimate, finding.low, finding.high, float(q))
            finding.sentence = intensity_sentence(finding.opening, noun, diff, clear)
    findings.sort(key=_rank_key)
    if findings:
        notes.append(
            f"{len(findings)} comparisons were made; the ones marked clear stay clear after allowing for that "
            f"(Benjamini–Hochberg, false-discovery rate {fdr_level:.0%}). A factor that goes with more {noun} "
            "does not necessarily cause them."
        )
    return TriggerReport(findings, missing, collinear, notes, days, total, fdr_level, len(findings))


def _per_unit(factor: Factor, raw: np.ndarray, counts: np.ndarray) -> str:
    """'Per 1 h more: 0.85× (0.78–0.93)' from the same count model on the factor's own values."""
    if factor.kind == "yesno":
        return ""
    keep = ~np.isnan(raw)
    x = raw[keep]
    y = counts[keep]
    if x.size < 2 * MIN_DAYS or np.ptp(x) == 0 or y.sum() == 0:
        return ""
    try:
        rr = fit_rate_ratio(y, x)
    except (ValueError, np.linalg.LinAlgError):
        return ""
    unit = f" {factor.unit}" if factor.unit else " point"
    return f"Per 1{unit} more {factor.name}: {rr.ratio:.2f}× (likely range {rr.low:.2f}–{rr.high:.2f}×)"


def _rank_key(finding: Finding) -> tuple[int, float, float]:
    size = finding.estimate or 0.0
    magnitude = abs(math.log(size)) if finding.outcome == "rate" and size > 0 else abs(size) / 3
    return (0 if finding.status == "clear" else 1, finding.q_value if finding.q_value is not None else 1.0, -magnitude)
