"""Stress services on real SQLite and PostgreSQL: questionnaire history, inventory plan, reflection notes."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.conftest import FrozenClock
from unclench.core import clock
from unclench.core.errors import NotFoundError, UserInputError
from unclench.stress import service
from unclench.stress.models import QuestionnaireResponse, ReflectionNote

pytestmark = pytest.mark.hard_dates


def test_pss_history_is_oldest_first_and_due_monthly(db: Session, frozen_clock: FrozenClock) -> None:
    assert service.pss_due(db)
    now = clock.now()
    service.record_questionnaire(db, "pss10", [2] * 10, taken_at=now - timedelta(days=40))
    service.record_questionnaire(db, "pss10", [0, 0, 0, 4, 4, 0, 4, 4, 0, 0], taken_at=now - timedelta(days=5))
    service.record_questionnaire(db, "phq4", [1, 1, 1, 1])
    db.commit()
    history = service.pss_history(db)
    assert [h["total"] for h in history] == [20, 0]
    assert history[0]["taken_at"].tzinfo is not None
    assert [h["band"] for h in history] == ["moderate", "low"]
    assert not service.pss_due(db)
    frozen_clock.shift(timedelta(days=26))
    assert service.pss_due(db)


def test_pss_falls_due_on_the_persons_calendar_day(db: Session, frozen_clock: FrozenClock) -> None:
    """Taken late in the evening, due from the first minute of the day 30 days on, whatever clock change lies between."""
    taken_day = clock.today() - timedelta(days=40)
    taken = clock.local_moment(taken_day, time(23, 50))
    service.record_questionnaire(db, "pss10", [2] * 10, taken_at=taken)
    db.commit()
    frozen_clock.move_to(clock.local_moment(taken_day + timedelta(days=29), time(23, 59)))
    assert not service.pss_due(db)
    frozen_clock.move_to(clock.local_moment(taken_day + timedelta(days=30), time(0, 1)))
    assert service.pss_due(db)


def test_phq4_stores_subscores(db: Session) -> None:
    _, result = service.record_questionnaire(db, "phq4", [2, 2, 0, 1])
    db.commit()
    db.expire_all()
    stored = service.questionnaire_history(db, "phq4")[0]
    assert stored.subscores == {"anxiety": 4, "low_mood": 1}
    assert stored.total == 5 and stored.band == "mild"
    assert result.positive["anxiety"] and service.rescore(stored).positive == result.positive


def test_incomplete_questionnaire_writes_nothing(db: Session) -> None:
    with pytest.raises(UserInputError) as info:
        service.record_questionnaire(db, "pss10", [1, 2, 3])
    assert "missing items 4, 5, 6, 7, 8, 9, 10" in str(info.value)
    with pytest.raises(UserInputError):
        service.record_questionnaire(db, "pss10", [1] * 10, taken_at=clock.now() + timedelta(days=1))
    db.commit()
    assert db.query(QuestionnaireResponse).count() == 0


def test_ratings_upsert_and_plan(db: Session) -> None:
    plan = service.save_ratings(db, {"deadlines": {"weight": 4, "leeway": 3}, "money": {"weight": 3, "leeway": 0}})
    assert [p.stressor.id for p in plan.remove] == ["deadlines"]
    assert [p.stressor.id for p in plan.manage] == ["money"]
    plan = service.save_ratings(db, {"deadlines": {"weight": 4, "leeway": 1}})
    db.commit()
    assert [p.stressor.id for p in plan.reduce] == ["deadlines"]
    assert len(service.current_ratings(db)) == 2
    with pytest.raises(UserInputError):
        service.save_ratings(db, {"deadlines": {"weight": 9, "leeway": 1}})
    db.rollback()
    assert {r.stressor_id: r.weight for r in service.current_ratings(db)}["deadlines"] == 4


def test_reflection_notes_keep_the_prompt(db: Session) -> None:
    note = service.add_reflection_note(db, "jaw_unsaid", "  The meeting on Monday.  ")
    service.add_reflection_note(db, "general_weight", "Work, mostly.")
    db.commit()
    assert note.region_id == "jaw" and note.text == "The meeting on Monday."
    assert "holding back" in note.prompt_text
    assert [n.id for n in service.list_reflection_notes(db, region_id="jaw")] == [note.id]
    with pytest.raises(UserInputError):
        service.add_reflection_note(db, "nope", "text")
    with pytest.raises(UserInputError):
        service.add_reflection_note(db, "jaw_unsaid", "   ")
    service.delete_reflection_note(db, note.id)
    db.commit()
    with pytest.raises(NotFoundError):
        service.delete_reflection_note(db, note.id)
    assert db.query(ReflectionNote).count() == 1


def test_stress_notice_only_when_a_month_has_passed(db: Session) -> None:
    assert service.stress_notices(db) == []  # never taken: the stress page invites, the home page stays quiet
    service.record_questionnaire(db, "pss10", [2] * 10, taken_at=clock.now() - timedelta(days=3))
    db.commit()
    assert service.stress_notices(db) == []
    service.delete_response(db, service.questionnaire_history(db, "pss10")[0].id)
    service.record_questionnaire(db, "pss10", [2] * 10, taken_at=clock.now() - timedelta(days=31))
    db.commit()
    notices = service.stress_notices(db)
    assert [n["kind"] for n in notices] == ["pss_due"] and "20 of 40" in notices[0]["text"]
    assert notices[0]["level"] == "calm" and notices[0]["href"] == "/stress/pss"
