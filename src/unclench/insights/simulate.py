"""Synthetic diaries with known ground truth, for tests, examples and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from unclench.insights.daytable import CheckInRecord, EpisodeRecord
from unclench.insights.triggers import Factor, custom_factor


@dataclass
class SyntheticDiary:
    first: date
    last: date
    episodes: list[EpisodeRecord]
    checkins: list[CheckInRecord]
    factors: list[Factor]


def simulate_diary(
    *,
    days: int = 365,
    base_rate: float = 1.0,
    noise_factors: int = 5,
    planted_ratio: float | None = 2.0,
    planted_lag: int = 1,
    planted_share: float = 0.35,
    dispersion: float = 0.0,
    seed: int = 0,
    first: date = date(2024, 1, 1),
    timezone: str = "UTC",
) -> SyntheticDiary:
    """A diary where the yes/no factor ``planted`` multiplies the episode rate `planted_lag` days later.

    `noise_factors` yes/no factors (``noise_1`` …) have no link to episodes. With `dispersion` > 0 the daily
    counts are negative binomial (gamma-mixed Poisson with that variance parameter) instead of Poisson.
    """
    rng = np.random.default_rng(seed)
    factors: list[Factor] = []
    values: dict[str, np.ndarray] = {}
    if planted_ratio is not None:
        factors.append(custom_factor("planted", "planted", "yesno"))
        values["planted"] = (rng.random(days) < planted_share).astype(float)
    for i in range(1, noise_factors + 1):
        key = f"noise_{i}"
        factors.append(custom_factor(key, key, "yesno"))
        values[key] = (rng.random(days) < rng.uniform(0.2, 0.6)).astype(float)
    rate = np.full(days, base_rate)
    if planted_ratio is not None:
        exposed = np.zeros(days)
        exposed[planted_lag:] = values["planted"][: days - planted_lag] if planted_lag else values["planted"]
        rate = rate * np.where(exposed == 1, planted_ratio, 1.0)
    if dispersion > 0:
        rate = rate * rng.gamma(1 / dispersion, dispersion, size=days)
    counts = rng.poisson(rate)
    episodes: list[EpisodeRecord] = []
    checkins: list[CheckInRecord] = []
    for i in range(days):
        day = first + timedelta(days=i)
        checkins.append(CheckInRecord(day, {key: float(column[i]) for key, column in values.items()}))
        for _ in range(int(counts[i])):
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=int(rng.integers(0, 1440)))
            episodes.append(EpisodeRecord(moment, timezone, "spasm", int(rng.integers(1, 9))))
    return SyntheticDiary(first, first + timedelta(days=days - 1), episodes, checkins, factors)


def simulate_confounded_diary(
    *,
    days: int = 240,
    base_rate: float = 1.0,
    sleep_ratio: float = 1.8,
    short_sleep_share: float = 0.3,
    caffeine_after_short_sleep: float = 0.6,
    caffeine_otherwise: float = 0.25,
    noise_factors: int = 3,
    dispersion: float = 0.0,
    seed: int = 0,
    first: date = date(2024, 1, 1),
) -> SyntheticDiary:
    """A diary where only short sleep (under 6 h, the night before) multiplies the episode rate by `sleep_ratio`.

    Caffeine (3 or more drinks) has no link of its own: it is just more common after a short night
    (`caffeine_after_short_sleep` against `caffeine_otherwise`), so on its own it seems to go with more
    episodes. The defaults give φ ≈ 0.34 between the two kinds of day. `noise_factors` yes/no factors
    (``noise_1`` …) have no link to anything.
    """
    from unclench.insights.triggers import BUILTIN_FACTORS

    rng = np.random.default_rng(seed)
    short = rng.random(days) < short_sleep_share
    sleep = np.round(np.where(short, rng.uniform(4.0, 5.9, days), rng.uniform(6.0, 8.5, days)), 1)
    heavy = rng.random(days) < np.where(short, caffeine_after_short_sleep, caffeine_otherwise)
    caffeine = np.where(heavy, rng.integers(3, 6, days), rng.integers(0, 3, days)).astype(float)
    values: dict[str, np.ndarray] = {"sleep_hours": sleep, "caffeine_drinks": caffeine}
    factors = [f for f in BUILTIN_FACTORS if f.key in values]
    for i in range(1, noise_factors + 1):
        key = f"noise_{i}"
        factors.append(custom_factor(key, key, "yesno"))
        values[key] = (rng.random(days) < rng.uniform(0.2, 0.6)).astype(float)
    # A check-in's sleep is the night before its diary day, so the rate of the same row moves with it.
    rate = base_rate * np.where(short, sleep_ratio, 1.0)
    if dispersion > 0:
        rate = rate * rng.gamma(1 / dispersion, dispersion, size=days)
    counts = rng.poisson(rate)
    episodes: list[EpisodeRecord] = []
    checkins: list[CheckInRecord] = []
    for i in range(days):
        day = first + timedelta(days=i)
        checkins.append(CheckInRecord(day, {key: float(column[i]) for key, column in values.items()}))
        for _ in range(int(counts[i])):
            moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(
                minutes=int(rng.integers(0, 600))
            )
            episodes.append(EpisodeRecord(moment, "UTC", "spasm", int(rng.integers(1, 9))))
    return SyntheticDiary(first, first + timedelta(days=days - 1), episodes, checkins, factors)
