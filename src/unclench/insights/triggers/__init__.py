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
6. Factors whose days overlap are flagged (φ between their yes/no days): |φ| ≥ 0.8, the diary cannot tell
   them apart; |φ| ≥ 0.3, a link of one can show up as a link of the other.
7. Every rate finding that looks like a link (clear, or its own range excludes no difference) is also
   estimated allowing for the other candidate factors and its partners, in one multivariable count model
   with a weak prior (:mod:`.adjusted`); a finding that shrinks toward no difference is said to move with
   the other factor. The clear/uncertain status stays that of step 5.

Modules: :mod:`.factors` (factors → exposures), :mod:`.regression` (count and intensity models),
:mod:`.adjusted`, :mod:`.wording`, :mod:`.report` (what is handed back), :mod:`.analysis` (the whole run).

Wording: a factor "goes with" more episodes; nothing here says it causes them.
"""

from unclench.insights.triggers.analysis import COLLINEAR_R, FDR_LEVEL, analyse_triggers, find_collinear
from unclench.insights.triggers.factors import (
    BUILTIN_FACTORS,
    MIN_DAYS,
    Cut,
    Exposure,
    Factor,
    FactorKind,
    Timing,
    choose_cut,
    custom_factor,
    exposures_for,
)
from unclench.insights.triggers.regression import (
    Z95,
    MeanDifference,
    RateRatio,
    benjamini_hochberg,
    fit_intensity_difference,
    fit_rate_ratio,
)
from unclench.insights.triggers.report import Collinearity, Finding, Status, TriggerReport
from unclench.insights.triggers.wording import intensity_sentence, rate_sentence

__all__ = [
    "BUILTIN_FACTORS",
    "COLLINEAR_R",
    "FDR_LEVEL",
    "MIN_DAYS",
    "Z95",
    "Collinearity",
    "Cut",
    "Exposure",
    "Factor",
    "FactorKind",
    "Finding",
    "MeanDifference",
    "RateRatio",
    "Status",
    "Timing",
    "TriggerReport",
    "analyse_triggers",
    "benjamini_hochberg",
    "choose_cut",
    "custom_factor",
    "exposures_for",
    "find_collinear",
    "fit_intensity_difference",
    "fit_rate_ratio",
    "intensity_sentence",
    "rate_sentence",
]
