"""A realistic sample person, reproducible by seed, so every page has something to show.

The patterns are planted on purpose (and documented here) so insights have something true to find:
eyelid twitches go with caffeine and short sleep, jaw clenching with stress and arguments at home (next day),
neck and shoulder tension with long sitting and work stress, calf cramps at night after long exercise with little fluid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.diary import service
from unclench.diary.models import CheckIn, Episode
from unclench.diary.schemas import CheckInIn, EpisodeIn, FactorIn, RegionIn

SCREEN_LATE = "Screen after 22:00"
ARGUMENT = "Argument at home"


@dataclass
class DemoSummary:
    days: int
    checkins: int
    episodes: int
    first_day: date
    last_day: date


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def create_demo_person(db: Session, *, days: int = 180, seed: int = 7, end: date | None = None) -> DemoSummary:
    """Fill an empty diary with `days` days of check-ins and episodes ending yesterday."""
    if days < 1 or days > 3650:
        raise UserInputError.single("days", "must be between 1 and 3650")
    if db.scalar(select(func.count()).select_from(Episode)) or db.scalar(select(func.count()).select_from(CheckIn)):
        raise UserInputError.single(
            "diary", "already has entries; the demo fills only an empty diary (start with a fresh UNCLENCH_DATA_DIR)"
        )
    rng = np.random.default_rng(seed)
    tz_name = clock.person_timezone_name()
    tz = ZoneInfo(tz_name)
    last_day = end or (clock.today() - timedelta(days=1))
    first_day = last_day - timedelta(days=days - 1)
    for name, kind in ((SCREEN_LATE, "yesno"), (ARGUMENT, "yesno")):
        if name not in {f.name for f in service.list_factors(db, include_archived=True)}:
            service.create_factor(db, FactorIn(name=name, kind=kind))

    episodes = 0
    previous: dict[str, float] = {"exercise": 0, "fluids": 2.0, "argument": 0, "sleep": 7.0}
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        weekday = day.weekday() < 5
        work_stress = rng.normal(6.2, 1.6) if weekday else rng.normal(2.8, 1.2)
        stress = round(_clip(work_stress + rng.normal(0, 0.6), 0, 10))
        sleep = round(_clip(rng.normal(7.3 - 0.25 * max(0, stress - 5), 0.9), 3.5, 10) * 4) / 4
        caffeine = int(
            _clip(round(rng.normal(2.2 + (1.4 if sleep < 6.25 else 0) + (0.5 if weekday else -0.5), 0.9)), 0, 9)
        )
        sitting = round(_clip(rng.normal(8.5 if weekday else 3.0, 1.3), 0, 16) * 2) / 2
        exercise = int(_clip(rng.normal(55, 20), 10, 120)) if rng.random() < 0.4 else 0
        fluids = round(_clip(rng.normal(1.9, 0.45), 0.6, 4), 1)
        alcohol = float(round(_clip(rng.normal(2.5, 1.5), 0, 8))) if (not weekday and rng.random() < 0.6) else 0.0
        screen_late = 1.0 if rng.random() < (0.65 if stress >= 6 else 0.3) else 0.0
        argument = 1.0 if rng.random() < 0.08 else 0.0
        medications = ["cetirizine"] if 120 <= day.timetuple().tm_yday <= 180 else []
        service.upsert_checkin(
            db,
            CheckInIn(
                day=day,
                stress=stress,
                stress_source=("work" if weekday else "home") if stress >= 4 else None,
                sleep_hours=sleep,
                sleep_quality=int(_clip(round(sleep - 1 + rng.normal(0, 1)), 0, 10)),
                caffeine_drinks=caffeine,
                alcohol_units=alcohol,
                exercise_minutes=exercise,
                exercise_type=str(rng.choice(["walk", "running", "cycling", "yoga"])) if exercise else "",
                sitting_hours=sitting,
                fluids_litres=fluids,
                medications=medications,
                mood=int(_clip(round(8 - 0.5 * stress + rng.normal(0, 1)), 0, 10)),
                factors={SCREEN_LATE: screen_late, ARGUMENT: argument},
            ),
        )

        rates = {
            ("eyelid", "twitch"): 0.18 * math.exp(0.35 * (caffeine - 2) + (0.7 if sleep < 6.25 else 0)),
            ("jaw", "tension"): 0.10 * math.exp(0.28 * (stress - 5) + (0.9 if previous["argument"] else 0)),
            ("neck_back", "tension"): 0.16 * math.exp(0.12 * (sitting - 6) + 0.12 * (stress - 5)),
            ("shoulder", "tension"): 0.12 * math.exp(0.12 * (sitting - 6) + 0.10 * (stress - 5)),
            ("calf", "cramp"): 0.06 + (0.55 if previous["exercise"] >= 60 and previous["fluids"] < 1.8 else 0.0),
            ("lower_back", "spasm"): 0.025 * math.exp(0.1 * (sitting - 6)),
            ("suboccipitals", "tension"): 0.05 * math.exp(0.2 * (stress - 5) + (0.5 if screen_late else 0)),
        }
        for (region, kind), rate in rates.items():
            for _ in range(int(rng.poisson(rate))):
                hour, duration, intensity = _timing(rng, region, kind, stress)
                side = (
                    "centre"
                    if region in ("throat",)
                    else str(rng.choice(["left", "right", "both"], p=[0.4, 0.35, 0.25]))
                )
                if region == "eyelid":
                    side = str(rng.choice(["left", "right"], p=[0.7, 0.3]))
                local_start = datetime.combine(day, time(0, 0), tzinfo=tz) + timedelta(hours=hour)
                if local_start >= clock.now() - timedelta(hours=1):
                    continue
                service.create_episode(
                    db,
                    EpisodeIn(
                        started_at=local_start,
                        timezone=tz_name,
                        duration_s=duration,
                        kind=kind,
                        intensity=intensity,
                        pain=int(_clip(intensity - 2 + int(rng.integers(-1, 2)), 0, 10))
                        if kind in ("cramp", "spasm")
                        else int(_clip(intensity // 3, 0, 10)),
                        regions=[RegionIn(region=region, side=side)],
                        helped=_helped(rng, kind),
                    ),
                )
                episodes += 1
        previous = {"exercise": exercise, "fluids": fluids, "argument": argument, "sleep": sleep}
    db.flush()
    return DemoSummary(days=days, checkins=days, episodes=episodes, first_day=first_day, last_day=last_day)


def _timing(rng: np.random.Generator, region: str, kind: str, stress: int) -> tuple[float, int, int]:
    """Hour of day (local), duration in seconds and intensity for a planted episode."""
    if kind == "cramp":
        return float(rng.uniform(1, 5.5)), int(rng.integers(30, 300)), int(_clip(rng.normal(7, 1.3), 3, 10))
    if kind == "twitch":
        return float(rng.uniform(9, 21)), int(rng.integers(5, 240)), int(_clip(rng.normal(3, 1.2), 1, 7))
    if kind == "spasm":
        return float(rng.uniform(8, 20)), int(rng.integers(60, 1800)), int(_clip(rng.normal(6.5, 1.5), 3, 10))
    start = float(rng.uniform(6.5, 9)) if region == "jaw" and rng.random() < 0.5 else float(rng.uniform(13, 21))
    return start, int(rng.integers(20, 240)) * 60, int(_clip(rng.normal(3 + 0.35 * stress, 1.2), 1, 10))


def _helped(rng: np.random.Generator, kind: str) -> str:
    options = {
        "cramp": ["stretching the calf", "standing on the cold floor", "massage", ""],
        "twitch": ["", "", "a break from the screen"],
        "tension": ["warm shower", "a walk", "the relaxation session", "", "shoulder rolls"],
        "spasm": ["heat pad", "lying down", ""],
    }
    return str(rng.choice(options.get(kind, [""])))
