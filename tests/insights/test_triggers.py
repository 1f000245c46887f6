"""Trigger statistics on synthetic diaries with known truth, pure noise, and bad input."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from unclench.insights.daytable import CheckInRecord, build_day_table
from unclench.insights.simulate import simulate_diary
from unclench.insights.triggers import (
    BUILTIN_FACTORS,
    analyse_triggers,
    benjamini_hochberg,
    custom_factor,
    fit_rate_ratio,
)


def _analyse(diary, **kwargs):  # type: ignore[no-untyped-def]
    table = build_day_table(diary.episodes, diary.checkins, first=diary.first, last=diary.last)
    return analyse_triggers(table, diary.factors, **kwargs)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_next_day_doubling_is_found_with_right_direction_and_size(seed: int) -> None:
    diary = simulate_diary(days=365, planted_ratio=2.0, planted_lag=1, noise_factors=4, dispersion=0.3, seed=seed)
    report = _analyse(diary)
    planted = next(
        f for f in report.findings if f.factor_key == "planted" and f.timing == "day before" and f.outcome == "rate"
    )
    assert planted.status == "clear"
    assert planted.estimate is not None and 1.5 <= planted.estimate <= 2.7
    assert planted.low is not None and planted.high is not None and planted.low < 2.0 < planted.high
    assert report.findings[0] is planted  # ranked first
    assert planted.sentence.startswith("On days after a day with “planted” you logged ")
    assert "× as many episodes; likely range" in planted.sentence
    same_day = next(f for f in report.findings if f.factor_key == "planted" and f.timing == "same day")
    assert same_day.status != "clear"
    noise_clear = [f for f in report.clear if f.factor_key.startswith("noise")]
    assert len(noise_clear) <= 1


def test_a_protective_factor_comes_out_below_one_and_says_fewer() -> None:
    diary = simulate_diary(days=400, base_rate=2.0, planted_ratio=0.5, planted_lag=0, noise_factors=0, seed=7)
    report = _analyse(diary, noun="spasms")
    planted = next(f for f in report.findings if f.timing == "same day" and f.outcome == "rate")
    assert planted.status == "clear"
    assert planted.estimate is not None and 0.4 <= planted.estimate <= 0.65
    assert "% fewer" in planted.sentence and "spasms" in planted.sentence


def test_pure_noise_keeps_false_discoveries_near_the_fdr_level() -> None:
    people = 100
    with_discovery = 0
    p_values: list[float] = []
    for seed in range(people):
        diary = simulate_diary(days=365, planted_ratio=None, noise_factors=8, dispersion=0.5, seed=1000 + seed)
        report = _analyse(diary, fdr_level=0.05)
        with_discovery += bool(report.clear)
        p_values += [f.p_value for f in report.findings if f.p_value is not None]
    # Under the complete null the FDR equals the chance of any discovery: BH keeps it at or below 5 %.
    assert with_discovery / people <= 0.10
    # Single tests are calibrated (about 5 % below p = 0.05), overdispersion included.
    share = float(np.mean(np.array(p_values) < 0.05))
    assert 0.03 <= share <= 0.08, share


def test_sleep_uses_night_before_and_two_nights_and_fixed_threshold() -> None:
    rng = np.random.default_rng(4)
    first = date(2025, 1, 1)
    n = 200
    sleep = np.where(rng.random(n) < 0.4, 5.0, 7.5)
    checkins = [CheckInRecord(first + timedelta(days=i), {"sleep_hours": float(sleep[i])}) for i in range(n)]
    table = build_day_table([], checkins, first=first, last=first + timedelta(days=n - 1))
    table["count"] = rng.poisson(np.where(sleep < 6, 2.0, 1.0))
    table["mean_intensity"] = np.where(table["count"] > 0, 5.0, np.nan)
    report = analyse_triggers(table, [f for f in BUILTIN_FACTORS if f.key == "sleep_hours"])
    timings = {f.timing for f in report.findings}
    assert timings == {"night before", "two nights before"}
    night = next(f for f in report.findings if f.timing == "night before" and f.outcome == "rate")
    assert night.sentence.startswith("On days after a night with less than 6 h of sleep you logged")
    assert night.status == "clear"


def test_no_data_in_the_period_gives_a_clear_message() -> None:
    first = date(2025, 1, 1)
    table = build_day_table([], [], first=first, last=first + timedelta(days=29))
    report = analyse_triggers(table, BUILTIN_FACTORS)
    assert report.findings == []
    assert report.episodes == 0
    assert any("No episodes were logged in these 30 days" in note for note in report.notes)
    assert all(m.status == "no_data" for m in report.missing)
    assert "Stress: no check-in in this period recorded it." in [m.sentence for m in report.missing]


def test_a_factor_with_one_value_and_a_rare_factor_say_what_is_missing() -> None:
    first = date(2025, 1, 1)
    n = 120
    checkins = [
        CheckInRecord(first + timedelta(days=i), {"coffee_free": 1.0, "massage": 1.0 if i % 20 == 0 else 0.0})
        for i in range(n)
    ]
    diary_table = build_day_table([], checkins, first=first, last=first + timedelta(days=n - 1))
    diary_table["count"] = 1
    diary_table["mean_intensity"] = 4.0
    factors = [custom_factor("coffee_free", "coffee free", "yesno"), custom_factor("massage", "massage", "yesno")]
    report = analyse_triggers(diary_table, factors)
    assert report.findings == []
    messages = {m.factor_key: m.sentence for m in report.missing}
    assert "same value (1)" in messages["coffee_free"] and "nothing to compare" in messages["coffee_free"]
    rare = [m for m in report.missing if m.factor_key == "massage"]
    assert {m.status for m in rare} == {"not_enough_data"}
    assert "6 days with “massage” and 114 without" in rare[0].sentence
    assert "8 more days with “massage”" in rare[0].sentence


def test_factors_that_move_together_are_flagged() -> None:
    diary = simulate_diary(days=200, planted_ratio=None, noise_factors=2, seed=3)
    table = build_day_table(diary.episodes, diary.checkins, first=diary.first, last=diary.last)
    table["twin"] = table["noise_1"]
    factors = [*diary.factors, custom_factor("twin", "twin", "yesno")]
    report = analyse_triggers(table, factors)
    assert [(c.first, c.second) for c in report.collinear] == [("noise_1", "twin")]
    assert "cannot tell their links apart" in report.collinear[0].sentence
    flagged = [f for f in report.findings if f.factor_key in ("noise_1", "twin")]
    assert flagged and all(f.warnings for f in flagged)


def test_numbers_fall_back_to_the_median_split_when_the_fixed_threshold_is_one_sided() -> None:
    first = date(2025, 1, 1)
    n = 100
    values = [float(x) for x in np.tile([1, 2, 3, 4], n // 4)]  # caffeine: never 5+, fixed cut is 3+: 50/50 ok
    rng = np.random.default_rng(0)
    stress = [float(x) for x in rng.integers(1, 6, n)]  # stress never reaches 7: median split instead
    checkins = [
        CheckInRecord(first + timedelta(days=i), {"caffeine_drinks": values[i], "stress": stress[i]}) for i in range(n)
    ]
    table = build_day_table([], checkins, first=first, last=first + timedelta(days=n - 1))
    table["count"] = rng.poisson(1.0, n)
    table["mean_intensity"] = np.where(table["count"] > 0, 5.0, np.nan)
    report = analyse_triggers(table, [f for f in BUILTIN_FACTORS if f.key in ("stress", "caffeine_drinks")])
    phrases = {f.factor_key: f.phrase for f in report.findings}
    assert phrases["caffeine_drinks"] == "3 or more caffeinated drinks"
    assert phrases["stress"] == "stress above 3 (your middle)"


def test_benjamini_hochberg_matches_the_textbook_example() -> None:
    p = [0.01, 0.04, 0.03, 0.005, 0.5]
    q = benjamini_hochberg(p)
    assert np.allclose(q, [0.025, 0.05, 0.05, 0.025, 0.5])
    assert benjamini_hochberg([]).size == 0


def test_rate_ratio_uses_negative_binomial_when_counts_are_overdispersed() -> None:
    rng = np.random.default_rng(2)
    x = (rng.random(1000) < 0.5).astype(float)
    y = rng.poisson(rng.gamma(1.0, 1.0, 1000) * np.where(x == 1, 2.0, 1.0))
    rr = fit_rate_ratio(y, x)
    assert rr.model.startswith("negative binomial")
    assert 1.6 <= rr.ratio <= 2.5
    plain = fit_rate_ratio(rng.poisson(np.where(x == 1, 2.0, 1.0)), x)
    assert plain.model == "Poisson regression"


def test_report_serialises_to_plain_json_types() -> None:
    diary = simulate_diary(days=120, seed=5, noise_factors=1)
    data = _analyse(diary).as_dict()
    assert isinstance(pd.Series(data["findings"]).iloc[0]["sentence"], str)
    assert data["days"] == 120


def test_number_factors_also_get_a_per_unit_rate_ratio() -> None:
    rng = np.random.default_rng(8)
    first = date(2025, 1, 1)
    n = 300
    sleep = np.round(rng.uniform(4, 9, n), 1)
    checkins = [CheckInRecord(first + timedelta(days=i), {"sleep_hours": float(sleep[i])}) for i in range(n)]
    table = build_day_table([], checkins, first=first, last=first + timedelta(days=n - 1))
    table["count"] = rng.poisson(2.0 * 0.8 ** (sleep - 6.5))
    table["mean_intensity"] = np.where(table["count"] > 0, 5.0, np.nan)
    report = analyse_triggers(table, [f for f in BUILTIN_FACTORS if f.key == "sleep_hours"])
    night = next(f for f in report.findings if f.timing == "night before" and f.outcome == "rate")
    assert night.per_unit.startswith("Per 1 h more sleep: 0.")
    ratio = float(night.per_unit.split(": ")[1].split("×")[0])
    assert 0.72 <= ratio <= 0.88
