"""The sample person's safety screen: a first triage, an inhaler on the medicines list, a doctor's all clear."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.screening import service


def extend_demo(db: Session, *, seed: int, first_day: date, last_day: date) -> None:
    """Called by `unclench demo` after the diary is filled (seed is unused: nothing here is random)."""
    tz = clock.zone()
    taken = datetime.combine(first_day, time(21, 0), tz)
    service.record_triage(db, ["brief_cramps", "short_twitch"], taken_at=taken)
    service.add_medication(db, "Salbutamol inhaler", note="for hay-fever asthma, as needed")
    checked = min(first_day + timedelta(days=30), last_day)
    service.record_all_clear(db, checked, "GP: bloods normal (salts, calcium, magnesium, thyroid, glucose).")
