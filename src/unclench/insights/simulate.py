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
