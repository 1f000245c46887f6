"""Session services on real SQLite and PostgreSQL: diary-driven defaults, rendering, listening log."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import FrozenClock
from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.core.settings import get_settings
from unclench.diary import service as diary
from unclench.diary.schemas import EpisodeIn, RegionIn
from unclench.sessions import service
from unclench.sessions.models import AudioSession, Listen
from unclench.sessions.options import SessionOptions, TargetRegion

SHORT = SessionOptions(minutes=5, technique="breathing", background="pink", seed=5)


def _episode(db: Session, region: str, side: str | None, kind: str, intensity: int, days_ago: int = 1) -> None:
    diary.create_episode(
        db,
        EpisodeIn(
            started_at=clock.now() - timedelta(days=days_ago),
            kind=kind,  # type: ignore[arg-type]
            intensity=intensity,
            regions=[RegionIn(region=region, side=side)],
        ),
    )


def test_regions_come_from_the_diarys_most_frequent_and_intense(db: Session) -> None:
    for _ in range(3):
        _episode(db, "suboccipitals", "both", "tension", 7)
    _episode(db, "jaw", "left", "tension", 9)
    _episode(db, "jaw", "left", "tension", 8)
    _episode(db, "eyelid", "right", "twitch", 2)
    _episode(db, "calf", "left", "cramp", 6, days_ago=200)  # too old to count
    db.flush()
    assert service.suggest_regions(db) == [
        TargetRegion("suboccipitals", "both"),
        TargetRegion("jaw", "left"),
        TargetRegion("eyelid", "right"),
    ]
    assert not service.has_leg_cramps(db, days=100)
    options = service.personal_options(db, SHORT, auto_regions=True)
    assert options.regions[0] == TargetRegion("suboccipitals", "both")


def test_leg_cramps_make_tensing_gentle(db: Session) -> None:
    _episode(db, "calf", "right", "cramp", 6)
    db.flush()
    assert service.personal_options(db, SHORT, auto_regions=False).cramp_prone


def test_bad_options_write_nothing(db: Session) -> None:
    for bad in (
        SessionOptions(minutes=0),
        SessionOptions(minutes=600),
        SessionOptions(voice="alice"),
        SessionOptions(regions=(TargetRegion("wing"),)),
    ):
        with pytest.raises(UserInputError):
            service.create_session(db, bad)
    assert db.scalar(select(func.count()).select_from(AudioSession)) == 0


def test_render_stores_artefact_by_hash_and_logs_listening(db: Session, phrase_cache: Path) -> None:
    session = service.create_session(db, SHORT, title="Evening breath")
    db.commit()
    stages: list[str] = []
    result = service.render_now(session.id, lambda stage, _f: stages.append(stage))
    assert "speaking" in stages and stages[-1] == "done"
    db.expire_all()
    stored = service.get_session(db, session.id)
    assert stored.status == "ready" and stored.artefact_key == result.key
    assert result.folder == get_settings().artefact_dir("audio") / result.key
    assert (result.folder / "session.wav").exists()
    assert stored.duration_s == pytest.approx(300, rel=0.03)

    listen = service.start_listen(db, session.id, tension_before=6)
    service.update_listen(db, listen.id, heard_s=120, position_s=120)
    service.update_listen(db, listen.id, heard_s=60)  # heard time never shrinks
    assert listen.heard_s == 120
    service.update_listen(db, listen.id, heard_s=295, finished=True, tension_after=3)
    assert listen.completed and listen.finished_at is not None
    assert (listen.tension_before, listen.tension_after) == (6, 3)
    with pytest.raises(UserInputError):
        service.update_listen(db, listen.id, tension_after=11)
    with pytest.raises(UserInputError):
        service.update_listen(db, listen.id, heard_s=10_000)
    db.commit()
    assert service.streak_days(db) == 1
    assert db.scalar(select(func.count()).select_from(Listen)) == 1


def test_new_variation_takes_the_next_unused_number(db: Session) -> None:
    first = service.create_session(db, SHORT)
    assert service.options_of(first).seed == 5
    assert service.next_variation(db, replace(SHORT, seed=1)) == 1  # 5 is taken, 1 is not
    service.create_session(db, replace(SHORT, seed=1))
    service.create_session(db, replace(SHORT, seed=2))
    assert service.next_variation(db, SHORT) == 3
    # Other settings (another region) start their own numbering.
    assert service.next_variation(db, replace(SHORT, regions=(TargetRegion("jaw", "both"),))) == 1


def _listen_at(db: Session, frozen_clock: FrozenClock, session_id: str, instant: datetime, heard_s: float) -> None:
    frozen_clock.move_to(instant)
    listen = service.start_listen(db, session_id)
    service.update_listen(db, listen.id, heard_s=heard_s)


@pytest.mark.hard_dates
def test_practice_reminder_appears_after_its_time_until_practised(db: Session, frozen_clock: FrozenClock) -> None:
    today = clock.today()

    def at(hour: int, minute: int = 0) -> datetime:
        return clock.local_moment(today, time(hour, minute))

    frozen_clock.move_to(at(21))
    assert service.practice_notices(db) == []  # no reminder set: nothing
    service.set_practice_preference(db, reminder="20:30")
    frozen_clock.move_to(at(7))
    assert service.practice_notices(db) == []
    frozen_clock.move_to(at(20, 29))
    assert service.practice_notices(db) == []  # a minute early
    frozen_clock.move_to(at(20, 30))
    [notice] = service.practice_notices(db)
    assert "20:30" in notice["text"] and notice["level"] == "calm"

    session = service.create_session(db, SHORT)
    session.duration_s = 300.0  # as a render would set it
    _listen_at(db, frozen_clock, session.id, clock.local_moment(today - timedelta(days=1), time(23, 50)), 200)
    frozen_clock.move_to(at(21))
    assert len(service.practice_notices(db)) == 1  # late last night is not today
    _listen_at(db, frozen_clock, session.id, at(0, 5), 170)
    frozen_clock.move_to(at(21))
    assert len(service.practice_notices(db)) == 1  # under three minutes is not practice
    _listen_at(db, frozen_clock, session.id, at(8), 200)
    frozen_clock.move_to(at(21))
    assert service.practice_notices(db) == []  # practised today
    frozen_clock.move_to(clock.local_moment(today + timedelta(days=1), time(20, 30)))
    assert len(service.practice_notices(db)) == 1  # a new day asks again
    service.set_practice_preference(db, reminder="off", streaks_on=False)
    preference = service.practice_preference(db)
    assert preference.reminder_minute is None and preference.streaks_on is False


@pytest.mark.parametrize(
    ("length_s", "heard_s", "status"),
    [
        (600.0, 6.0, "started"),  # a 6-second play
        (600.0, 179.5, "started"),  # just under 3 minutes (less than 60 % of 10 minutes)
        (600.0, 180.5, "listened"),  # just over
        (200.0, 119.5, "started"),  # a session shorter than 5 minutes: 60 % of it, 120 s, is the bar
        (200.0, 120.5, "listened"),
    ],
)
def test_a_listen_counts_once_sixty_percent_or_three_minutes_were_heard(
    db: Session, frozen_clock: FrozenClock, length_s: float, heard_s: float, status: str
) -> None:
    from unclench.insights.service import listening_records

    session = service.create_session(db, SHORT)
    session.duration_s = length_s
    listen = service.start_listen(db, session.id, tension_before=6)
    started_at = clock.now()
    frozen_clock.shift(timedelta(seconds=heard_s))
    service.update_listen(db, listen.id, heard_s=heard_s, position_s=heard_s, finished=True, tension_after=3)
    db.commit()
    assert listen.status == status and listen.heard_s == heard_s
    counted = status == "listened"
    assert [x.id for x in service.counted_listens(db)] == ([listen.id] if counted else [])
    assert service.streak_days(db) == int(counted)
    assert service.practised_today(db) is counted
    records = listening_records(db, started_at - timedelta(hours=1), started_at + timedelta(hours=1))
    assert len(records) == int(counted)  # the practice statistics and insights see only counted listens
    assert [x.id for x in service.recent_listens(db)] == [listen.id]  # kept in the log either way


def test_a_started_listen_becomes_listened_as_more_is_heard(db: Session) -> None:
    session = service.create_session(db, SHORT)
    session.duration_s = 300.0
    listen = service.start_listen(db, session.id)
    assert listen.status == "started"
    service.update_listen(db, listen.id, heard_s=6)
    assert listen.status == "started"
    service.update_listen(db, listen.id, heard_s=181)
    assert listen.status == "listened"
    service.update_listen(db, listen.id, heard_s=20)  # heard time never shrinks, nor does the status
    assert listen.status == "listened"


@pytest.mark.hard_dates
def test_streak_counts_the_persons_calendar_days(db: Session, frozen_clock: FrozenClock) -> None:
    """Listens late at night and just after midnight land on the local day they happened, across any clock change."""
    today = clock.today()
    session = service.create_session(db, SHORT)
    session.duration_s = 300.0
    assert service.streak_days(db) == 0
    for days_ago, at in ((3, time(23, 55)), (2, time(0, 5)), (1, time(23, 59)), (0, time(0, 1))):
        _listen_at(db, frozen_clock, session.id, clock.local_moment(today - timedelta(days=days_ago), at), 200)
    frozen_clock.move_to(clock.local_moment(today, time(12)))
    assert service.streak_days(db) == 4
    frozen_clock.move_to(clock.local_moment(today + timedelta(days=1), time(9)))
    assert service.streak_days(db) == 4  # not yet broken: today's listen may still come
    frozen_clock.move_to(clock.local_moment(today + timedelta(days=2), time(0, 0)))
    assert service.streak_days(db) == 0  # a whole day without practice


@pytest.mark.parametrize("text", ["25:00", "8pm", "20:3", "noon", "-1:00"])
def test_reminder_time_must_be_a_time_of_day(db: Session, text: str) -> None:
    with pytest.raises(UserInputError) as caught:
        service.set_practice_preference(db, reminder=text)
    assert "hours:minutes like 20:30" in str(caught.value)
    assert service.practice_preference(db).reminder_minute is None
