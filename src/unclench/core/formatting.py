"""Showing stored values to a person: times in their zone, durations in words (pages and commands alike)."""

from __future__ import annotations

from datetime import datetime

from unclench.core import clock


def local_time(value: datetime | None, fmt: str = "%a %d %b, %H:%M", tz: str | None = None) -> str:
    """Show a stored UTC time in the person's time zone."""
    if value is None:
        return ""
    return value.astimezone(clock.zone(tz)).strftime(fmt)


def duration_words(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min" + (f" {secs} s" if secs else "")
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


_CLAUSE_END = ".;:,!? \t\n"


def clause(text: object) -> str:
    """`text` without its closing full stop (or other closing punctuation), for placing inside a sentence that
    ends itself: "all clear ({{ note | clause }})." never reads "…glucose).).". An ellipsis is kept."""
    words = str(text if text is not None else "").rstrip()
    if words.endswith(("...", "…")):
        return words
    return words.rstrip(_CLAUSE_END)
