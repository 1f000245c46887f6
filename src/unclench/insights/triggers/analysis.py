"""The trigger analysis: every factor at every timing against the episode rate and mean intensity."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from unclench.insights.daytable import COUNT, MEAN_INTENSITY
from unclench.insights.triggers.factors import MIN_DAYS, Factor, exposures_for, shifted
from unclench.insights.triggers.regression import (
    MeanDifference,
    RateRatio,
    benjamini_hochberg,
    fit_intensity_difference,
    fit_rate_ratio,
)
from unclench.insights.triggers.report import Collinearity, Finding, Status, TriggerReport
from unclench.insights.triggers.wording import intensity_sentence, missing_sentence, rate_sentence

FDR_LEVEL = 0.05
COLLINEAR_R = 0.8


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
            exposed = exposure.cut.apply(shifted(values, exposure.lag, exposure.average_nights))
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
                sentence = missing_sentence(exposure, n_with, n_without, min_days)
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
                        per_unit=_per_unit(factor, shifted(values, exposure.lag, exposure.average_nights), counts),
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
