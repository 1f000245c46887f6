"""The app's one clock: "now", the person's time zone, their local today, day bounds and weeks.

Every module asks this one for the time, so a test (time-machine), the demo and the CLI can set it in one place.
`UNCLENCH_NOW` (an ISO moment, e.g. `2026-03-29T02:30` in the person's zone or `…Z`) starts the clock at that
moment and lets it run on from there, for demos, screenshots and reproducing a bug on a given day.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from unclench.core.settings import get_settings


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=8)
def _offset_for(start: str, tz_name: str) -> timedelta:
    """How far the `UNCLENCH_NOW` clock runs ahead of (or behind) the wall clock; fixed once per process."""
    moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(tz_name))
    return moment.astimezone(UTC) - datetime.now(UTC)


def reset() -> None:
    """Forget where the `UNCLENCH_NOW` clock was started (tests move between moments)."""
    _offset_for.cache_clear()


def now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    real = datetime.now(UTC)
    start = os.environ.get("UNCLENCH_NOW")
    if start:
        return real + _offset_for(start, person_timezone_name())
    return real


def person_timezone_name() -> str:
    """The IANA name of the person's time zone (`UNCLENCH_TIMEZONE`, else the system's)."""
    return get_settings().timezone


def zone(tz_name: str | None = None) -> ZoneInfo:
    """The named zone, or the person's."""
    return _zone(tz_name or person_timezone_name())


def local_now(tz_name: str | None = None) -> datetime:
    """Now on the person's wall clock (or in the named zone)."""
    return now().astimezone(zone(tz_name))


def today(tz_name: str | None = None) -> date:
    """The person's local date right now: what "today" means everywhere in the app."""
    return local_now(tz_name).date()


def local_day(moment: datetime, tz_name: str | None = None) -> date:
    """The local date on which an aware instant falls."""
    return moment.astimezone(zone(tz_name)).date()


def local_moment(day: date, at: time, tz_name: str | None = None) -> datetime:
    """The UTC instant of a wall-clock time on a local day.

    A time skipped by a spring-forward change (02:30 in Berlin on the last Sunday of March) means the same
    instant an hour later on the new clock; a repeated one (fall-back) means its first occurrence.
    """
    # zoneinfo reads a skipped or repeated wall time with the offset in force before the change (fold=0),
    # which is the instant a person means in both cases.
    return datetime.combine(day, at, tzinfo=zone(tz_name)).astimezone(UTC)


def day_start(day: date, tz_name: str | None = None) -> datetime:
    """The UTC instant at which a local day begins (local midnight, or the first instant after it)."""
    return local_moment(day, time.min, tz_name)


def day_bounds(first: date, last: date, tz_name: str | None = None) -> tuple[datetime, datetime]:
    """UTC instants covering local days first..last inclusive (half-open: [start, end))."""
    return day_start(first, tz_name), day_start(last + timedelta(days=1), tz_name)


def week_start(day: date) -> date:
    """The Monday of the ISO week that holds `day`."""
    return day - timedelta(days=day.weekday())
