"""The sentences a person reads: plain, sized, honest about uncertainty, never causal."""

from __future__ import annotations

from unclench.insights.triggers.factors import Exposure
from unclench.insights.triggers.regression import MeanDifference, RateRatio
from unclench.insights.triggers.report import Adjusted


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


def _names(names: list[str]) -> str:
    if len(names) <= 3:
        return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
    return f"{', '.join(names[:2])} and {len(names) - 2} other factors"


def adjusted_sentence(factor_name: str, adjusted: Adjusted, noun: str) -> str:
    """What is left of a link once the other candidate factors are allowed for; never causal."""
    others = _names(adjusted.adjusted_for)
    size = f"{_fmt(adjusted.estimate)}× (likely range {_fmt(adjusted.low)}–{_fmt(adjusted.high)}×)"
    if adjusted.verdict == "shrinks":
        lead = factor_name.capitalize()
        if adjusted.moves_with:
            lead += f" moves with {adjusted.moves_with}"
        else:
            lead += f" moves with {others}"
        return f"{lead}; on its own it shows no clear link: allowing for {others}, {size}."
    if adjusted.verdict == "holds":
        return f"Allowing for {others}, still {size}."
    return f"Allowing for {others}: {size}, a range that includes no difference, so this is less sure than it looks."


def collinearity_sentence(first: str, second: str, r: float, days: int, apart: bool) -> str:
    """Why two factors that move together matter, in plain words."""
    if apart:
        direction = "together" if r > 0 else "in opposite directions"
        return (
            f"{first} and {second} moved {direction} on most days (r = {r:.2f}, {days} days): "
            "the diary cannot tell their links apart."
        )
    how = "often come together" if r > 0 else "seldom come together"
    return (
        f"{first.capitalize()} and {second} {how} (r = {r:.2f}, {days} days): a link of one can then show up as "
        "a link of the other, so where one seems linked it is also shown with the other allowed for."
    )
