"""The app's one clock: local days, clock changes, far-off zones, a clock started at a chosen moment."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import FrozenClock
from unclench.cli import app
from unclench.core import clock
from unclench.diary import service as diary

SRC = Path(__file__).resolve().parents[2] / "src" / "unclench"


def test_a_skipped_wall_time_means_the_hour_after_and_a_repeated_one_its_first_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    berlin = "Europe/Berlin"
    # 02:30 does not exist on 29 March 2026 in Berlin (02:00 → 03:00): it is 03:30 summer time.
    assert clock.local_moment(date(2026, 3, 29), time(2, 30), berlin) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 02:30 happens twice on 25 October 2026: the first, still in summer time.
    assert clock.local_moment(date(2026, 10, 25), time(2, 30), berlin) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "tz_name", "hours"),
    [
        (date(2026, 3, 29), "Europe/Berlin", 23),
        (date(2026, 10, 25), "Europe/Berlin", 25),
        (date(2026, 3, 8), "America/New_York", 23),
        (date(2026, 11, 1), "America/New_York", 25),
        (date(2028, 2, 29), "Europe/Berlin", 24),
    ],
)
def test_day_bounds_follow_the_local_day_across_clock_changes(day: date, tz_name: str, hours: int) -> None:
    start, end = clock.day_bounds(day, day, tz_name)
    assert end - start == timedelta(hours=hours)
    assert clock.local_day(start, tz_name) == day and clock.local_day(end - timedelta(seconds=1), tz_name) == day
    assert clock.local_day(end, tz_name) == day + timedelta(days=1)


def test_today_is_the_persons_date_not_utcs(frozen_clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    frozen_clock.move_to(datetime(2026, 6, 16, 10, 30, tzinfo=UTC))
    assert clock.today("Pacific/Kiritimati") == date(2026, 6, 17)  # UTC+14: already tomorrow
    assert clock.today("Pacific/Pago_Pago") == date(2026, 6, 15)  # UTC−11: still yesterday
    monkeypatch.setenv("UNCLENCH_TIMEZONE", "Pacific/Kiritimati")
    from unclench.core.settings import reset_settings_cache

    reset_settings_cache()
    assert clock.today() == date(2026, 6, 17) and clock.person_timezone_name() == "Pacific/Kiritimati"


def test_weeks_start_on_monday_across_the_year_boundary() -> None:
    assert clock.week_start(date(2027, 1, 1)) == date(2026, 12, 28)  # ISO week 53 of 2026
    assert clock.week_start(date(2026, 11, 29)) == date(2026, 11, 23)  # a Sunday
    assert clock.week_start(date(2026, 11, 23)) == date(2026, 11, 23)  # a Monday


def test_unclench_now_starts_the_clock_at_that_moment_and_lets_it_run(
    frozen_clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNCLENCH_NOW", "2026-03-29T02:30")  # in the person's zone (Europe/Berlin here)
    assert clock.now() == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    frozen_clock.shift(timedelta(minutes=5))
    assert clock.now() == datetime(2026, 3, 29, 1, 35, tzinfo=UTC)
    assert clock.today() == date(2026, 3, 29)


def test_the_cli_logs_on_the_moment_unclench_now_names(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNCLENCH_NOW", "2026-12-31T23:59:00+01:00")
    result = CliRunner().invoke(app, ["log", "calf:left", "--kind", "cramp", "--intensity", "5"])
    assert result.exit_code == 0, result.output
    from unclench.core.db import session_scope

    with session_scope() as db:
        [episode] = diary.list_episodes(db)
        assert episode.started_at == datetime(2026, 12, 31, 22, 59, tzinfo=UTC)
        assert clock.local_day(episode.started_at) == date(2026, 12, 31)


def test_no_module_reads_the_wall_clock_on_its_own() -> None:
    """Only core/clock.py asks the system for the date and time."""
    wall_clock = re.compile(
        r"datetime\.(now|today|utcnow|fromtimestamp)\(|date\.today\(|time\.(time|time_ns|localtime|gmtime|strftime|ctime)\("
    )
    readers = []
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if wall_clock.search(line) and relative != "core/clock.py":
                readers.append(f"{relative}:{number}: {line.strip()}")
    assert readers == []
