"""Count and intensity models: rate ratios, mean differences, Benjamini–Hochberg. Pure NumPy/statsmodels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm

Z95 = 1.959963984540054


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
