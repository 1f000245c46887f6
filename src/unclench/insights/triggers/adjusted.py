"""Adjusted findings: does a factor's link hold up once the other candidate factors are allowed for?

Each factor is first tested alone (see :mod:`unclench.insights.triggers.analysis`). A factor that merely
moves with another one that does go with more episodes then shows a link of its own: with short sleep at
1.8× and caffeine more common after short nights (φ = 0.36), caffeine alone shows about 1.3×.

For every rate finding a reader could take for a link (clear after the false-discovery control, or its own
interval excluding no difference) one multivariable count model is fitted
(:func:`~unclench.insights.triggers.regression.fit_adjusted_rate_ratios`) with, besides the finding's own
exposure, one exposure per other factor (its timing with the smallest p-value) when that factor is

* a *candidate*: it too goes with the episode rate on its own (p < 0.05 before any adjustment), or
* a *partner*: its days overlap the finding's days with |φ| ≥ :data:`PARTNER_R` (at either factor's
  first timing, as reported in the collinearity list, or at the timings compared).

The finding's status (clear or not) stays that of the test alone, so the false-discovery control is
unchanged; the adjusted estimate is reported beside it and the finding is flagged when its link shrinks
toward 1 (at least a third of the way on the log scale, and the adjusted range includes no difference).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from unclench.insights.triggers.factors import Exposure
from unclench.insights.triggers.regression import fit_adjusted_rate_ratios
from unclench.insights.triggers.report import Adjusted, Finding, Verdict
from unclench.insights.triggers.wording import adjusted_sentence

CANDIDATE_P = 0.05
PARTNER_R = 0.3
"""|φ| from which two factors' days count as overlapping. With a partner at rate ratio R, a factor with no
link of its own shows roughly R^φ·(sd ratio): 1.8× at φ = 0.3 already lends it about 1.2×, which a year of
diary can call real. Below 0.3 the borrowed link is under 1.1× for partners up to 1.4×."""
SHRINK_SHARE = 2 / 3
"""The adjusted log rate ratio must be at most this share of the unadjusted one (moved at least a third of
the way to no difference) for 'moves with' to be said. Adjusting for one partner at φ = 0.36 widens the
range only by about 7 %, so a move this large is the partner's share of the link, not lost precision."""


@dataclass(frozen=True)
class ExposureColumn:
    """The days with (1) and without (0) one exposure over the whole period; NaN where unknown."""

    exposure: Exposure
    values: np.ndarray
    raw: np.ndarray
    """The factor's own values at this timing (lagged or averaged like the exposure)."""


def phi(first: np.ndarray, second: np.ndarray) -> float:
    """Correlation of two yes/no day series over the days both are known (NaN when one does not vary)."""
    both = ~(np.isnan(first) | np.isnan(second))
    a, b = first[both], second[both]
    if a.size < 3 or a.std() == 0 or b.std() == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def adjust_findings(
    findings: Sequence[Finding],
    columns: Mapping[tuple[str, str], ExposureColumn],
    counts: np.ndarray,
    partners: Mapping[str, set[str]],
    *,
    min_days: int,
    noun: str,
) -> None:
    """Fill in `finding.adjusted` for every rate finding that looks like a link (see the module docstring)."""
    rate = [f for f in findings if f.outcome == "rate" and f.p_value is not None]
    leading: dict[str, Finding] = {}
    for finding in rate:
        best = leading.get(finding.factor_key)
        if best is None or (finding.p_value or 1.0) < (best.p_value or 1.0):
            leading[finding.factor_key] = finding
    candidates = {key for key, f in leading.items() if (f.p_value or 1.0) < CANDIDATE_P}
    for finding in rate:
        looks_linked = finding.status == "clear" or (finding.p_value or 1.0) < CANDIDATE_P
        if not looks_linked:
            continue
        target = columns[(finding.factor_key, finding.timing)]
        others: list[ExposureColumn] = []
        for key, lead in leading.items():
            if key == finding.factor_key:
                continue
            column = columns[(key, lead.timing)]
            r = phi(target.values, column.values)
            paired = key in partners.get(finding.factor_key, set())
            if key in candidates or paired or (not math.isnan(r) and abs(r) >= PARTNER_R):
                others.append(column)
        finding.adjusted = _adjusted(finding, target, others, counts, min_days=min_days, noun=noun)


def _adjusted(
    finding: Finding,
    target: ExposureColumn,
    others: list[ExposureColumn],
    counts: np.ndarray,
    *,
    min_days: int,
    noun: str,
) -> Adjusted | None:
    if not others:
        return None
    matrix = np.column_stack([target.values, *(c.values for c in others)])
    keep = ~np.isnan(matrix).any(axis=1)
    x = matrix[keep]
    y = counts[keep]
    # A covariate that does not vary on the days every factor is known cannot be allowed for.
    varies = np.r_[True, x[:, 1:].std(axis=0) > 0]
    x = x[:, varies]
    others = [c for c, v in zip(others, varies[1:], strict=True) if v]
    with_days = int(x[:, 0].sum())
    if not others or with_days < min_days or x.shape[0] - with_days < min_days:
        return None
    fit = fit_adjusted_rate_ratios(y, x)
    ratio, low, high = float(fit.ratios[0]), float(fit.lows[0]), float(fit.highs[0])
    alone = math.log(finding.estimate or 1.0)
    adjusted = math.log(ratio)
    includes_none = low <= 1 <= high
    verdict: Verdict
    if includes_none and (adjusted * alone <= 0 or abs(adjusted) <= SHRINK_SHARE * abs(alone)):
        verdict = "shrinks"
    elif not includes_none and adjusted * alone > 0:
        verdict = "holds"
    else:
        verdict = "unclear"
    moves_with = _moves_with(x, np.log(fit.ratios), others, alone) if verdict == "shrinks" else None
    names = [c.exposure.factor.name for c in others]
    result = Adjusted(
        estimate=ratio,
        low=low,
        high=high,
        p_value=float(fit.p_values[0]),
        adjusted_for=names,
        days=fit.days,
        model=fit.model,
        verdict=verdict,
        moves_with=moves_with,
        sentence="",
    )
    result.sentence = adjusted_sentence(finding.factor_name, result, noun)
    return result


def _moves_with(x: np.ndarray, log_ratios: np.ndarray, others: list[ExposureColumn], alone: float) -> str | None:
    """The other exposure that lends the finding most of its link: adjusted effect × overlap (omitted-variable bias)."""
    target = x[:, 0]
    variance = float(target.var())
    best, best_share = None, 0.0
    for j, column in enumerate(others, start=1):
        lent = float(log_ratios[j]) * float(np.cov(target, x[:, j], bias=True)[0, 1]) / variance
        if lent * alone > 0 and abs(lent) > best_share:
            best, best_share = column, abs(lent)
    if best is None:
        return None
    return f"{best.exposure.cut.phrase} ({best.exposure.timing_label})"
