"""The per-day table that every insight is computed from (pure: plain records in, a DataFrame out).

A *diary day* runs from the hour the person chooses (``day_starts_at``, e.g. 6 for 06:00) to the same
hour next morning, in the episode's own time zone, so a cramp at 03:00 belongs to the night before.
Check-ins are already stored per calendar day and are joined to the diary day with the same date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from unclench.core.errors import UserInputError

COUNT = "count"
MEAN_INTENSITY = "mean_intensity"


@dataclass(frozen=True)
class EpisodeRecord:
    """What the statistics need from one episode."""

    started_at: datetime
    timezone: str
    kind: str
    intensity: int
    duration_s: int | None = None
    regions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CheckInRecord:
    """One day's check-in: built-in fields and custom factors, by column name (None = not answered)."""

    day: date
    values: Mapping[str, float | None] = field(default_factory=dict)


def diary_day(moment: datetime, tz_name: str, day_starts_at: int = 0) -> date:
    """The diary day a moment belongs to when days start at `day_starts_at` o'clock local time."""
    if moment.tzinfo is None:
        raise ValueError("diary_day needs an aware datetime")
    local = moment.astimezone(ZoneInfo(tz_name))
    return (local - timedelta(hours=day_starts_at)).date()


def check_day_start(day_starts_at: int) -> int:
    if not 0 <= day_starts_at <= 12:
        raise UserInputError.single("day_starts_at", "a diary day can start between 0 (midnight) and 12 (noon) o'clock")
    return day_starts_at


def build_day_table(
    episodes: Iterable[EpisodeRecord],
    checkins: Iterable[CheckInRecord],
    *,
    first: date,
    last: date,
    day_starts_at: int = 0,
    kinds: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per diary day in [first, last]: episode count, mean intensity and every factor column.

    Days with no episode have count 0 and mean intensity NaN; factors not answered are NaN.
    Episodes outside the period, or of a kind not in `kinds` (when given), are left out.
    """
    check_day_start(day_starts_at)
    if last < first:
        raise UserInputError.single("period", "the end of the period is before its start")
    index = pd.date_range(first, last, freq="D")
    n_days = len(index)
    counts = np.zeros(n_days, dtype=np.int64)
    intensity_sum = np.zeros(n_days, dtype=np.float64)
    wanted = set(kinds) if kinds else None
    tz_cache: dict[str, ZoneInfo] = {}
    shift = timedelta(hours=day_starts_at)
    for episode in episodes:
        if wanted is not None and episode.kind not in wanted:
            continue
        tz = tz_cache.get(episode.timezone)
        if tz is None:
            tz = tz_cache[episode.timezone] = ZoneInfo(episode.timezone)
        offset = ((episode.started_at.astimezone(tz) - shift).date() - first).days
        if 0 <= offset < n_days:
            counts[offset] += 1
            intensity_sum[offset] += episode.intensity
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_intensity = np.where(counts > 0, intensity_sum / np.maximum(counts, 1), np.nan)
    columns: dict[str, np.ndarray] = {}
    for checkin in checkins:
        offset = (checkin.day - first).days
        if not 0 <= offset < n_days:
            continue
        for name, value in checkin.values.items():
            if value is None:
                continue
            column = columns.get(name)
            if column is None:
                column = columns[name] = np.full(n_days, np.nan)
            column[offset] = float(value)
    table = pd.DataFrame({COUNT: counts, MEAN_INTENSITY: mean_intensity, **columns}, index=index)
    table.index.name = "day"
    return table
