"""Seed a diary with a planted link through the diary services (shared by the insights tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.validation import parse_input
from unclench.diary import service as diary
from unclench.diary.schemas import CheckInIn, EpisodeIn, FactorIn

SEED_DAYS = 90


def seed_diary(db: Session, days: int = SEED_DAYS, seed: int = 11) -> date:
    """`days` days ending yesterday: on days after 'late screen' the rate of cramps triples. Returns the first day."""
    rng = np.random.default_rng(seed)
    tz = clock.zone()  # the person's zone: "yesterday" and the episodes' times are on their calendar
    last = clock.local_now().date() - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    diary.create_factor(db, parse_input(FactorIn, {"name": "late screen", "kind": "yesno"}))
    late = rng.random(days) < 0.5
    for i in range(days):
        day = first + timedelta(days=i)
        factors = {"late screen": 1.0 if late[i] else 0.0}
        data = {"day": day, "stress": int(rng.integers(2, 9)), "sleep_hours": 7.0, "factors": factors}
        if i == days // 2:
            data["medications"] = ["ibuprofen"]
        diary.upsert_checkin(db, parse_input(CheckInIn, data))
        rate = 3.0 if i > 0 and late[i - 1] else 1.0
        for _ in range(int(rng.poisson(rate))):
            start = datetime(day.year, day.month, day.day, 9, tzinfo=tz) + timedelta(minutes=int(rng.integers(0, 600)))
            episode = {
                "started_at": start.astimezone(UTC),
                "timezone": clock.person_timezone_name(),
                "kind": "cramp" if rng.random() < 0.7 else "twitch",
                "intensity": int(rng.integers(2, 9)),
                "pain": int(rng.integers(0, 6)),
                "duration_s": int(rng.integers(10, 900)),
                "regions": [{"region": "calf", "side": "left"}]
                if rng.random() < 0.6
                else [{"region": "eyelid", "side": "right"}],
            }
            diary.create_episode(db, parse_input(EpisodeIn, episode))
    db.flush()
    return first
