"""The per-day table: the person's day boundary, kinds, missing values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from unclench.core.errors import UserInputError
from unclench.insights.daytable import CheckInRecord, EpisodeRecord, build_day_table, diary_day

pytestmark = pytest.mark.hard_dates


def _episode(iso: str, intensity: int = 5, kind: str = "cramp", tz: str = "Europe/Berlin") -> EpisodeRecord:
    return EpisodeRecord(datetime.fromisoformat(iso).astimezone(UTC), tz, kind, intensity)


def test_night_cramps_belong_to_the_night_with_a_six_oclock_boundary() -> None:
    # 23:30 and 03:00 local the same night; 07:00 next morning starts a new diary day.
    episodes = [
        _episode("2025-03-03T23:30:00+01:00", 4),
        _episode("2025-03-04T03:00:00+01:00", 8),
        _episode("2025-03-04T07:00:00+01:00", 2),
    ]
    table = build_day_table(episodes, [], first=date(2025, 3, 3), last=date(2025, 3, 4), day_starts_at=6)
    assert table["count"].tolist() == [2, 1]
    assert table["mean_intensity"].tolist() == [6.0, 2.0]
    midnight = build_day_table(episodes, [], first=date(2025, 3, 3), last=date(2025, 3, 4), day_starts_at=0)
    assert midnight["count"].tolist() == [1, 2]


def test_diary_day_uses_the_episode_time_zone() -> None:
    moment = datetime(2025, 6, 1, 3, 30, tzinfo=UTC)  # 05:30 in Berlin (summer), 23:30 the day before in New York
    assert diary_day(moment, "Europe/Berlin", 6) == date(2025, 5, 31)
    assert diary_day(moment, "Europe/Berlin", 0) == date(2025, 6, 1)
    assert diary_day(moment, "America/New_York", 0) == date(2025, 5, 31)


def test_checkins_kinds_and_gaps() -> None:
    checkins = [
        CheckInRecord(date(2025, 1, 1), {"stress": 7, "sleep_hours": None}),
        CheckInRecord(date(2025, 1, 3), {"sleep_hours": 5.5}),
        CheckInRecord(date(2024, 12, 1), {"stress": 1}),  # outside the period: ignored
    ]
    episodes = [_episode("2025-01-02T12:00:00+01:00", kind="twitch"), _episode("2025-01-02T13:00:00+01:00")]
    table = build_day_table(episodes, checkins, first=date(2025, 1, 1), last=date(2025, 1, 3), kinds=["cramp"])
    assert table["count"].tolist() == [0, 1, 0]
    assert np.isnan(table["mean_intensity"].iloc[0])
    assert table["stress"].iloc[0] == 7 and np.isnan(table["stress"].iloc[1])
    assert table["sleep_hours"].iloc[2] == 5.5 and np.isnan(table["sleep_hours"].iloc[0])


def test_bad_period_and_boundary_are_refused() -> None:
    with pytest.raises(UserInputError, match="before its start"):
        build_day_table([], [], first=date(2025, 2, 1), last=date(2025, 1, 1))
    with pytest.raises(UserInputError, match="between 0"):
        build_day_table([], [], first=date(2025, 1, 1), last=date(2025, 1, 2), day_starts_at=14)
