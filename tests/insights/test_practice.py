"""Practice effect: weeks with listening, tension change by technique, EMG resting-tone trend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from unclench.insights.practice import (
    linear_trend,
    resting_tone_trend,
    tension_change_by_technique,
    weekly_practice_effect,
)

pytestmark = pytest.mark.hard_dates


def _diary(
    weeks: int, practice_weeks: set[int], seed: int = 0
) -> tuple[list[date], list[float], list[float], list[date]]:
    rng = np.random.default_rng(seed)
    first = date(2025, 1, 6)  # a Monday
    days, counts, sums, listening = [], [], [], []
    for i in range(weeks * 7):
        day = first + timedelta(days=i)
        practising = i // 7 in practice_weeks
        n = int(rng.poisson(1.0 if practising else 2.0))
        days.append(day)
        counts.append(float(n))
        sums.append(float(n * (4 if practising else 6)))
        if practising and i % 7 in (0, 2, 4, 6):
            listening.append(day)
    return days, counts, sums, listening


def test_weeks_with_regular_listening_show_the_planted_halving() -> None:
    days, counts, sums, listening = _diary(30, set(range(0, 30, 2)))
    result = weekly_practice_effect(days, counts, sums, listening, noun="spasms")
    assert (result.weeks_regular, result.weeks_without) == (15, 15)
    assert result.ratio is not None and 0.35 <= result.ratio <= 0.7
    assert result.high is not None and result.high < 1
    assert result.intensity_regular == 4 and result.intensity_without == 6
    assert "% fewer" in result.sentence and "spasms a week" in result.sentence
    assert result.sentence.endswith("Mean intensity 4.0 in practice weeks against 6.0 (0–10).")


def test_too_few_weeks_says_what_is_missing() -> None:
    days, counts, sums, listening = _diary(6, {0, 1})
    result = weekly_practice_effect(days, counts, sums, listening)
    assert result.ratio is None
    assert "2 whole weeks with 3 or more sessions and 4 without" in result.sentence
    empty = weekly_practice_effect([], [], [], [])
    assert empty.ratio is None and "needs at least 4" in empty.sentence


def test_tension_change_ranks_the_technique_that_helps_most_first() -> None:
    ratings = [("body scan", 6, 5), ("body scan", 7, 6), ("body scan", 5, 5), ("body scan", 6, 4)]
    ratings += [("pmr", 7, 3), ("pmr", 8, 4), ("pmr", 6, 3)]
    ratings += [("hypnosis", 5, 2)]
    out = tension_change_by_technique(ratings)
    assert [t.technique for t in out] == ["pmr", "body scan", "hypnosis"]
    assert out[0].mean_drop is not None and abs(out[0].mean_drop - 11 / 3) < 1e-9
    assert out[0].sentence.startswith("pmr: tension fell by 3.7 points on average over 3 sessions")
    assert out[2].low is None and "needs 3" in out[2].sentence


def test_resting_tone_trend_finds_a_falling_tone() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    times = [start + timedelta(days=7 * i) for i in range(10)]
    tone = [20.0 - 1.0 * i + (0.3 if i % 2 else -0.3) for i in range(10)]
    trend = resting_tone_trend(times, tone)
    assert trend.slope_per_week is not None and -1.2 <= trend.slope_per_week <= -0.8
    assert trend.high is not None and trend.high < 0
    assert "resting tone fell" in trend.sentence
    few = resting_tone_trend(times[:2], tone[:2])
    assert few.slope_per_week is None and "at least 4" in few.sentence


def test_linear_trend() -> None:
    slope = linear_trend([10, 9, 8, 7, float("nan"), 6])
    assert slope is not None and abs(slope[0] + 1) < 1e-9
    assert linear_trend([1, 2]) is None
