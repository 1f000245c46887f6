"""The sample person's stress history: monthly PSS-10 easing as practice settles in, PHQ-4, stressors, a note."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.stress import service

REVERSED = {4, 5, 7, 8}


def pss_answers_for(target: int, rng: np.random.Generator) -> list[int]:
    """Ten PSS-10 answers whose published score is exactly `target` (0-40)."""
    target = max(0, min(40, target))
    contributions = [2] * 10  # each item's contribution to the total after reversal
    order = list(rng.permutation(10))
    step = 1 if target > 20 else -1
    while sum(contributions) != target:
        for i in order:
            if sum(contributions) == target:
                break
            if 0 <= contributions[i] + step <= 4:
                contributions[i] += step
    return [4 - c if n in REVERSED else c for n, c in enumerate(contributions, start=1)]


def extend_demo(db: Session, *, seed: int, first_day: date, last_day: date) -> None:
    """Called by `unclench demo` after the diary is filled."""
    rng = np.random.default_rng(seed + 303)
    tz = clock.zone()
    months = max(1, (last_day - first_day).days // 30 + 1)
    for month in range(months):
        day = min(first_day + timedelta(days=30 * month + 2), last_day)
        target = round(24 - 8 * month / max(1, months - 1) + rng.normal(0, 1.2))
        service.record_questionnaire(
            db, "pss10", pss_answers_for(target, rng), taken_at=datetime.combine(day, time(20, 30), tz)
        )
    service.record_questionnaire(db, "phq4", [2, 1, 1, 0], taken_at=datetime.combine(first_day, time(20, 40), tz))
    service.record_questionnaire(db, "phq4", [1, 1, 0, 0], taken_at=datetime.combine(last_day, time(20, 40), tz))
    service.save_ratings(
        db,
        {
            "deadlines": {"weight": 4, "leeway": 1},
            "message_flood": {"weight": 3, "leeway": 3},
            "job_insecurity": {"weight": 2, "leeway": 0},
            "relationships": {"weight": 2, "leeway": 2},
            "money": {"weight": 1, "leeway": 0},
        },
    )
    service.add_reflection_note(db, "jaw_grit", "The quarterly report. I clench every time I open it.")
