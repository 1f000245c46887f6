"""A small seeded diary (through the diary, stress and screening services) for the report tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.validation import parse_input
from unclench.diary import service as diary
from unclench.diary.schemas import CheckInIn, EpisodeIn
from unclench.screening import service as screening
from unclench.stress import service as stress_service

REGIONS = [("calf", "left"), ("eyelid", "right"), ("neck_back", "both"), ("jaw", "left")]


def seed_small_diary(db: Session, days: int = 60, seed: int = 5) -> date:
    rng = np.random.default_rng(seed)
    tz = ZoneInfo("Europe/Berlin")
    last = clock.local_now().date() - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    for i in range(days):
        day = first + timedelta(days=i)
        stress = int(rng.integers(1, 10))
        meds = ["atorvastatin"] if i >= days // 3 else []
        diary.upsert_checkin(
            db, parse_input(CheckInIn, {"day": day, "stress": stress, "sleep_hours": 6.5, "medications": meds})
        )
        for _ in range(int(rng.poisson(2.5 if stress >= 7 else 1.0))):
            start = datetime(day.year, day.month, day.day, 8, tzinfo=tz) + timedelta(minutes=int(rng.integers(0, 800)))
            region, side = REGIONS[int(rng.integers(0, len(REGIONS)))]
            diary.create_episode(
                db,
                parse_input(
                    EpisodeIn,
                    {
                        "started_at": start.astimezone(UTC),
                        "timezone": "Europe/Berlin",
                        "kind": str(rng.choice(["cramp", "twitch", "tension"])),
                        "intensity": int(rng.integers(2, 9)),
                        "pain": int(rng.integers(0, 7)),
                        "duration_s": int(rng.integers(5, 1200)),
                        "regions": [{"region": region, "side": side}],
                        "notes": "after a long meeting" if rng.random() < 0.1 else "",
                    },
                ),
            )
    taken = clock.now() - timedelta(days=10)
    stress_service.record_questionnaire(db, "pss10", [2, 3, 1, 2, 2, 3, 1, 2, 3, 2], taken_at=taken)
    screening.add_medication(db, "salbutamol")
    screening.record_triage(db, [], taken_at=clock.now() - timedelta(days=3))
    screening.record_all_clear(db, last - timedelta(days=2), "bloods normal")
    db.flush()
    return first


@pytest.fixture
def small_diary(db: Session) -> date:
    first = seed_small_diary(db)
    db.commit()
    return first
