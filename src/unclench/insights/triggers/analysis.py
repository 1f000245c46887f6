"""The trigger analysis: every factor at every timing against the episode rate and mean intensity."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from unclench.insights.daytable import COUNT, MEAN_INTENSITY
from unclench.insights.triggers.adjusted import PARTNER_R, ExposureColumn, adjust_findings
from unclench.insights.triggers.factors import MIN_DAYS, Factor, exposures_for, shifted
from unclench.insights.triggers.regression import (
    MeanDifference,
    RateRatio,
    benjamini_hochberg,
    fit_intensity_difference,
    fit_rate_ratio,
)
from unclench.insights.triggers.report import Collinearity, Finding, Status, TriggerReport
from unclench.insights.triggers.wording import (
    collinearity_sentence,
    intensity_sentence,
    missing_sentence,
    rate_sentence,
)

FDR_LEVEL = 0.05
COLLINEAR_R = 0.8


def exposure_columns(
    table: pd.DataFrame, factors: Sequence[Factor], min_days: int = MIN_DAYS
) -> dict[str, list[ExposureColumn] | str]:
    """Per factor key: its exposures (one per timing) as day series, or the sentence saying why there are none."""
    days = len(table)
    out: dict[str, list[ExposureColumn] | str] = {}
    for factor in factors:
        values = table[factor.key].to_numpy(dtype=float) if factor.key in table.columns else np.full(days, np.nan)
        plan = exposures_for(factor, values, min_days)
        if isinstance(plan, str):
            out[factor.key] = plan
            continue
        raws = [shifted(values, e.lag, e.average_nights) for e in plan]
        out[factor.key] = [ExposureColumn(e, e.cut.apply(raw), raw) for e, raw in zip(plan, raws, strict=True)]
    return out


def find_collinear(columns: Mapping[str, list[ExposureColumn] | str], min_days: int = MIN_DAYS) -> list[Collinearity]:
    """Pairs of factors whose days overlap: φ between their first-timing yes/no days (same day, night before).

    |φ| ≥ 0.8: the diary cannot tell them apart. |φ| ≥ 0.3 (:data:`PARTNER_R`): a link of one can show up as
    a link of the other, so each is adjusted for the other.
    """
    first = [plan[0] for plan in columns.values() if not isinstance(plan, str)]
    if len(first) < 2:
        return []
    frame = pd.DataFrame({i: column.values for i, column in enumerate(first)})
    present = frame.notna().to_numpy(dtype=float)
    overlap = present.T @ present
    corr = frame.corr(min_periods=2 * min_days).to_numpy()
    found = []
    for i, j in zip(*np.nonzero(np.triu(np.abs(np.nan_to_num(corr)) >= PARTNER_R, k=1)), strict=True):
        r, both = float(corr[i, j]), int(overlap[i, j])
        apart = abs(r) >= COLLINEAR_R
        names = (first[i].exposure.factor.name, first[j].exposure.factor.name)
        found.append(
            Collinearity(
                *names,
                r=r,
                days=both,
                level="cannot_tell_apart" if apart else "often_together",
                sentence=collinearity_sentence(*names, r, both, apart),
            )
        )
    return found


def analyse_triggers(
    table: pd.DataFrame,
    factors: Iterable[Factor],
    *,
    min_days: int = MIN_DAYS,
    fdr_level: float = FDR_LEVEL,
    noun: str = "episodes",
) -> TriggerReport:
    """Test every factor at every timing against the daily episode rate and mean intensity; adjust what looks linked."""
    factor_list = list(factors)
    counts = table[COUNT].to_numpy(dtype=float)
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
    plans = exposure_columns(table, factor_list, min_days)
    collinear = find_collinear(plans, min_days)
    pairs_by_name: dict[str, list[str]] = {}
    partners: dict[str, set[str]] = {}
    keys = {f.name: f.key for f in factor_list}
    for pair in collinear:
        for one, other in ((pair.first, pair.second), (pair.second, pair.first)):
            pairs_by_name.setdefault(one, []).append(pair.sentence)
            partners.setdefault(keys[one], set()).add(keys[other])

    tested: dict[tuple[str, str], ExposureColumn] = {}
    for factor in factor_list:
        plan = plans[factor.key]
        if isinstance(plan, str):
            status: Status = "no_data" if "no check-in" in plan else "one_value"
            missing.append(Finding(factor.key, factor.name, "", "rate", "", status, plan))
            continue
        for column in plan:
            tested[(factor.key, column.exposure.timing_label)] = column
            found, lacking = _test_exposure(
                column,
                counts,
                table[MEAN_INTENSITY].to_numpy(dtype=float),
                pairs_by_name.get(factor.name, []),
                min_days=min_days,
                noun=noun,
                any_episodes=total > 0,
            )
            findings += found
            missing += lacking

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
    adjust_findings(findings, tested, counts, partners, min_days=min_days, noun=noun)
    for finding in findings:
        if finding.adjusted is not None:
            finding.sentence += " " + finding.adjusted.sentence
    findings.sort(key=_rank_key)
    if findings:
        notes.append(
            f"{len(findings)} comparisons were made; the ones marked clear stay clear after allowing for that "
            f"(Benjamini–Hochberg, false-discovery rate {fdr_level:.0%}). A factor that goes with more {noun} "
            "does not necessarily cause them."
        )
    if any(f.adjusted is not None for f in findings):
        notes.append(
            "Each factor is first compared on its own. Where one seems linked, it is also shown allowing for the "
            f"other factors that seem linked or that come with it, because a factor that merely comes with another "
            f"can seem to go with more {noun} itself."
        )
    return TriggerReport(findings, missing, collinear, notes, days, total, fdr_level, len(findings))


def _test_exposure(
    column: ExposureColumn,
    counts: np.ndarray,
    intensity: np.ndarray,
    warnings: list[str],
    *,
    min_days: int,
    noun: str,
    any_episodes: bool,
) -> tuple[list[Finding], list[Finding]]:
    """The rate and intensity findings for one exposure, or what is missing to make them."""
    exposure, exposed = column.exposure, column.values
    factor = exposure.factor
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
        "warnings": list(warnings),
    }
    if n_with < min_days or n_without < min_days:
        sentence = missing_sentence(exposure, n_with, n_without, min_days)
        return [], [Finding(outcome="rate", status="not_enough_data", sentence=sentence, **base)]  # type: ignore[arg-type]
    if not any_episodes:
        return [], []
    found: list[Finding] = []
    lacking: list[Finding] = []
    y = counts[keep]
    if y[x == 1].sum() == 0 or y[x == 0].sum() == 0:
        side = "with" if y[x == 1].sum() == 0 else "without"
        sentence = (
            f"{exposure.opening}: no {noun} at all on the {n_with if side == 'with' else n_without} days "
            f"{side} it, too few to put a size on the difference."
        )
        lacking.append(Finding(outcome="rate", status="not_estimable", sentence=sentence, **base))  # type: ignore[arg-type]
    else:
        rr = fit_rate_ratio(y, x)
        found.append(
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
                per_unit=_per_unit(factor, column.raw, counts),
                **base,  # type: ignore[arg-type]
            )
        )
    with_episodes = keep & (counts > 0)
    xi = exposed[with_episodes]
    ni_with = int(xi.sum())
    ni_without = int(xi.size - ni_with)
    if ni_with >= min_days and ni_without >= min_days:
        diff = fit_intensity_difference(intensity[with_episodes], counts[with_episodes], xi)
        found.append(
            Finding(
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
        )
    return found, lacking


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


def _rank_key(finding: Finding) -> tuple[bool, bool, float, float]:
    """Clear links first, those that shrink once other factors are allowed for after them; then by q and size."""
    size = finding.estimate or 0.0
    magnitude = abs(math.log(size)) if finding.outcome == "rate" and size > 0 else abs(size) / 3
    shrinks = finding.adjusted is not None and finding.adjusted.verdict == "shrinks"
    q = finding.q_value if finding.q_value is not None else 1.0
    return (finding.status != "clear", shrinks, q, -magnitude)
