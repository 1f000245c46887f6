"""The sentences a person reads: plain, sized, honest about uncertainty, never causal."""

from __future__ import annotations

from unclench.insights.triggers.factors import Exposure
from unclench.insights.triggers.regression import MeanDifference, RateRatio


def _fmt(value: float) -> str:
    return f"{value:.1f}" if abs(value) < 10 else f"{value:.0f}"


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


def missing_sentence(exposure: Exposure, with_days: int, without_days: int, min_days: int) -> str:
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
