"""Session services on real SQLite and PostgreSQL: diary-driven defaults, rendering, listening log."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import FrozenClock
from unclench.accounts.people import create_person
from unclench.core import clock
from unclench.core.db import session_factory
from unclench.core.errors import UserInputError
from unclench.core.identity import Caller, set_caller
from unclench.core.settings import get_settings
from unclench.diary import service as diary
from unclench.diary.schemas import EpisodeIn, RegionIn
from unclench.sessions import adaptive, decisions, service, wordings
from unclench.sessions.composer import compose
from unclench.sessions.models import AudioSession, Listen
from unclench.sessions.options import CuePreference, SessionOptions, TargetRegion, validate_options
from unclench.sessions.render import settings_key
from unclench.sessions.schemas import DecisionIn

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


# --- Adaptive sessions: the cues that lowered this person's tone come first next time ---------------------------

ADAPTIVE = SessionOptions(minutes=10, technique="pmr", pmr_groups=7, adaptive=True, seed=4)


def _log_cue(db: Session, listen_id: str, clip: str, before: float, after: float | None, region: str) -> None:
    choice = DecisionIn(point="p1", region=region, choice="release_cue", cue_id=clip, at_s=60, tone_before=before)
    decision = decisions.log_decision(db, listen_id, choice)
    decisions.set_tone_after(db, decision.id, after, source="live")


def _arm(options: SessionOptions) -> Any:
    return next(point for point in compose(options).points if point.region == "forearm")


def test_without_measured_cues_an_adaptive_session_is_the_one_it_was(db: Session) -> None:
    made = service.create_session(db, service.personal_options(db, ADAPTIVE, auto_regions=False))
    listen = service.start_listen(db, made.id).id
    clip = adaptive.cue_id(_arm(ADAPTIVE).cues[0])
    _log_cue(db, listen, clip, 2.0, None, "forearm")  # no tone after: not measured
    _log_cue(db, listen, clip, 2.0, 1.0, "forearm")  # measured once: not ranked yet
    moved_on = DecisionIn(point="p2", region="forearm", choice="move_on", at_s=90, tone_before=2.0)
    decisions.set_tone_after(db, decisions.log_decision(db, listen, moved_on).id, 1.0, source="live")
    db.flush()
    options = service.personal_options(db, ADAPTIVE, auto_regions=False)
    assert options == validate_options(ADAPTIVE) and options.cue_preferences == ()
    assert compose(options) == compose(ADAPTIVE)  # the same script, word for word
    assert settings_key(options) == settings_key(ADAPTIVE) == settings_key(compose(ADAPTIVE).options)


def test_the_next_adaptive_session_offers_first_the_cue_that_lowered_this_persons_tone(db: Session) -> None:
    """Ground truth: at the arm points the second cue offered (A) lowered the tone to about 60 % every time, the first
    (B) left it as it was. The next session (another variation, with a spoken name: other words, other clip ids)
    offers A first and leaves B out; another person, with no decisions, gets the session as it always was."""
    first = service.personal_options(db, ADAPTIVE, auto_regions=False)
    listen = service.start_listen(db, service.create_session(db, first).id).id
    point = _arm(first)
    did_not, worked = point.cue_keys
    for before, after in ((2.0, 1.2), (1.9, 1.1), (2.1, 1.3)):
        _log_cue(db, listen, adaptive.cue_id(point.cues[1]), before, after, "forearm:right")
    for before, after in ((2.0, 2.1), (1.8, 1.9)):
        _log_cue(db, listen, adaptive.cue_id(point.cues[0]), before, after, "forearm:right")
    db.flush()
    assert decisions.preferred_cues(db, "forearm:left") == CuePreference("forearm", (worked,), (did_not,))

    asked = replace(ADAPTIVE, name="Anna", seed=9)
    later = service.personal_options(db, asked, auto_regions=False)
    assert later.cue_preferences == (CuePreference("forearm", (worked,), (did_not,)),)
    arm = _arm(later)
    assert arm.cue_keys[0] == worked and did_not not in arm.cue_keys
    assert arm.cues[0] == wordings.ADAPTIVE_RELEASE_CUES[worked].format(target=arm.spoken)
    assert compose(later).items == compose(asked).items  # only the cues change
    assert settings_key(later) != settings_key(asked)  # and so does the audio's hash
    assert service.with_cue_preferences(db, replace(later, adaptive=False)).cue_preferences == ()

    person_b = create_person(db, "B").id
    db.commit()
    with session_factory()() as other:
        set_caller(other, Caller(kind="account", person_id=person_b, role="person"))
        theirs = service.personal_options(other, asked, auto_regions=False)
    assert theirs.cue_preferences == () and settings_key(theirs) == settings_key(asked)
