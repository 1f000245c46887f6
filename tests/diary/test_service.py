"""Diary services on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.errors import NotFoundError, UserInputError
from unclench.core.validation import parse_input
from unclench.diary import service
from unclench.diary.schemas import CheckInIn, EpisodeIn, FactorIn

pytestmark = pytest.mark.hard_dates


def episode_in(**overrides: object) -> EpisodeIn:
    data: dict[str, object] = {
        "started_at": clock.now() - timedelta(hours=2),
        "kind": "cramp",
        "intensity": 6,
        "pain": 4,
        "duration_s": 90,
        "regions": [{"region": "calf", "side": "left"}],
    }
    data.update(overrides)
    return parse_input(EpisodeIn, data)


def test_episode_round_trips_with_regions_and_utc_times(db: Session) -> None:
    naive_local = datetime(2026, 3, 1, 7, 30)  # a wall-clock time with no zone is read in the person's zone
    created = service.create_episode(
        db, episode_in(started_at=naive_local, regions=[{"region": "jaw", "side": "right"}, {"region": "neck_back"}])
    )
    db.commit()
    db.expire_all()
    loaded = service.get_episode(db, created.id)
    assert loaded.started_at == clock.local_moment(date(2026, 3, 1), time(7, 30))
    assert loaded.started_at.tzinfo is not None and loaded.started_at.utcoffset() == timedelta(0)
    assert loaded.timezone == clock.person_timezone_name()
    assert [(r.region_id, r.side) for r in loaded.regions] == [("jaw", "right"), ("neck_back", "both")]


def test_bad_episode_input_names_every_field(db: Session) -> None:
    with pytest.raises(UserInputError) as caught:
        episode_in(intensity=11, regions=[{"region": "elbowz"}], kind="itch")
    fields = {p.field for p in caught.value.problems}
    assert {"intensity", "regions.0", "kind"} <= fields
    assert "elbowz" in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"started_at": timedelta(days=2)}, "future"),  # from now, on the test's frozen clock
        ({"ongoing": True, "duration_s": 60}, "still going"),
        ({"regions": [{"region": "throat", "side": "left"}]}, "no left or right"),
        ({"regions": []}, "at least one"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
    ],
)
def test_episode_rules(db: Session, overrides: dict[str, object], expected: str) -> None:
    if isinstance(overrides.get("started_at"), timedelta):
        overrides = {**overrides, "started_at": clock.now() + overrides["started_at"]}  # type: ignore[operator]
    with pytest.raises(UserInputError, match=expected):
        episode_in(**overrides)


def test_ongoing_episode_is_closed_later_with_its_duration(db: Session) -> None:
    started = clock.now() - timedelta(minutes=30)
    episode = service.create_episode(db, episode_in(started_at=started, ongoing=True, duration_s=None, kind="tension"))
    closed = service.close_episode(db, episode.id, ended_at=started + timedelta(minutes=20))
    assert closed.ongoing is False
    assert closed.duration_s == 20 * 60
    with pytest.raises(UserInputError, match="already over"):
        service.close_episode(db, episode.id)


def test_delete_can_be_undone(db: Session) -> None:
    episode = service.create_episode(db, episode_in())
    service.delete_episode(db, episode.id)
    assert service.list_episodes(db) == []
    with pytest.raises(NotFoundError):
        service.get_episode(db, episode.id)
    service.restore_episode(db, episode.id)
    assert [e.id for e in service.list_episodes(db)] == [episode.id]


def test_filters_counts_and_recent_choices(db: Session) -> None:
    now = clock.now()
    service.create_episode(
        db,
        episode_in(started_at=now - timedelta(days=3), kind="twitch", regions=[{"region": "eyelid", "side": "left"}]),
    )
    service.create_episode(
        db, episode_in(started_at=now - timedelta(days=2), regions=[{"region": "calf", "side": "both"}])
    )
    service.create_episode(db, episode_in(started_at=now - timedelta(days=1)))
    db.commit()
    assert len(service.list_episodes(db, region="calf")) == 2
    assert len(service.list_episodes(db, kind="twitch")) == 1
    assert len(service.list_episodes(db, start=now - timedelta(days=2, hours=1))) == 2
    counts = service.region_side_counts(db)
    assert counts[("calf", "left")] == 1 and counts[("calf", "both")] == 1 and counts[("eyelid", "left")] == 1
    assert service.recent_choices(db)[:2] == [("calf", "left", "cramp"), ("calf", "both", "cramp")]


def test_checkin_upsert_with_custom_factors(db: Session) -> None:
    service.create_factor(db, parse_input(FactorIn, {"name": "Screen after 22:00", "kind": "yesno"}))
    service.create_factor(db, parse_input(FactorIn, {"name": "Neck pain", "kind": "scale"}))
    day = clock.today() - timedelta(days=1)
    service.upsert_checkin(
        db,
        parse_input(
            CheckInIn, {"day": day, "stress": 7, "stress_source": "work", "factors": {"Screen after 22:00": 1}}
        ),
    )
    service.upsert_checkin(
        db,
        parse_input(
            CheckInIn, {"day": day, "stress": 3, "medications": [" ibuprofen ", ""], "factors": {"Neck pain": 4}}
        ),
    )
    db.commit()
    db.expire_all()
    stored = service.get_checkin(db, day)
    assert stored is not None
    out = service.checkin_out(stored)
    assert out.stress == 3 and out.stress_source is None
    assert out.medications == ["ibuprofen"]
    assert out.factors == {"Neck pain": 4.0}
    assert len(service.list_checkins(db)) == 1


def test_checkin_rejects_bad_factor_values_and_writes_nothing(db: Session) -> None:
    service.create_factor(db, parse_input(FactorIn, {"name": "Argument", "kind": "yesno"}))
    db.commit()
    data = parse_input(CheckInIn, {"day": clock.today(), "stress": 5, "factors": {"Argument": 3, "Unknown": 1}})
    with pytest.raises(UserInputError) as caught:
        service.upsert_checkin(db, data)
    assert {p.field for p in caught.value.problems} == {"factors.Argument", "factors.Unknown"}
    db.rollback()
    assert service.list_checkins(db) == []
    with pytest.raises(UserInputError, match="future"):
        parse_input(CheckInIn, {"day": clock.today() + timedelta(days=5)})
    with pytest.raises(UserInputError, match="already track"):
        service.create_factor(db, parse_input(FactorIn, {"name": "Argument", "kind": "number"}))


def test_checkin_values_gives_plain_rows_with_custom_factors(db: Session) -> None:
    factor = service.create_factor(db, parse_input(FactorIn, {"name": "Cold", "kind": "yesno"}))
    day = clock.today() - timedelta(days=2)
    service.upsert_checkin(
        db,
        parse_input(
            CheckInIn,
            {"day": day, "stress": 6, "sleep_hours": 5.5, "medications": ["salbutamol"], "factors": {"Cold": 1}},
        ),
    )
    service.upsert_checkin(db, parse_input(CheckInIn, {"day": day + timedelta(days=1), "mood": 7}))
    db.commit()
    rows = service.checkin_values(db, start=day, end=day + timedelta(days=1))
    assert [r[0] for r in rows] == [day, day + timedelta(days=1)]
    assert rows[0][1]["stress"] == 6 and rows[0][1]["sleep_hours"] == 5.5 and rows[0][1][f"custom:{factor.id}"] == 1
    assert rows[0][2] == ["salbutamol"]
    assert rows[1][1]["mood"] == 7 and rows[1][1]["stress"] is None and f"custom:{factor.id}" not in rows[1][1]
    assert service.checkin_values(db, start=day + timedelta(days=1)) == rows[1:]
