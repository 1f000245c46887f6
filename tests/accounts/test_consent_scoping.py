"""A caller narrowed to some categories of a person's data (a practitioner acting for a consenting client): the
central scoping in core/db.py shows only those categories and writes only the write categories, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tests.accounts.test_ownership import people  # noqa: F401  (the fixture: A and B with one of everything)
from unclench.core.db import Base, ForeignRowError, PersonOwned, category_of, session_factory
from unclench.core.errors import NotFoundError
from unclench.core.identity import CONSENT_CATEGORIES, Caller, set_caller
from unclench.core.models_registry import import_all_models
from unclench.core.validation import parse_input
from unclench.diary import service as diary
from unclench.diary.models import Episode
from unclench.diary.schemas import FactorIn
from unclench.emg import service as emg
from unclench.screening import service as screening
from unclench.sessions import service as sessions
from unclench.stress import service as stress

PRACTITIONER_WRITES = frozenset({"programme", "notes", "sessions"})


def _narrowed(person_id: int, categories: set[str], writes: frozenset[str] = PRACTITIONER_WRITES) -> Session:
    session = session_factory()()
    caller = Caller(
        kind="account",
        person_id=person_id,
        role="practitioner",
        account_id=7,
        categories=frozenset(categories) | {"programme", "notes"},
        writes=writes,
    )
    set_caller(session, caller)
    return session


def test_every_person_owned_model_names_a_valid_consent_category() -> None:
    import_all_models()
    models = [m.class_ for m in Base.registry.mappers if issubclass(m.class_, PersonOwned)]
    assert models
    wrong = [m.__name__ for m in models if category_of(m) not in CONSENT_CATEGORIES]
    assert wrong == [], f"give these a consent_category from core.identity.CONSENT_CATEGORIES: {wrong}"


def test_a_narrowed_caller_sees_only_the_consented_categories(people: tuple[int, int]) -> None:  # noqa: F811
    person_a, _ = people
    with _narrowed(person_a, {"diary"}) as db:
        assert [e.notes for e in diary.list_episodes(db)] == ["person 1"]
        assert diary.list_checkins(db) == []  # check-ins are their own category
        assert screening.list_medications(db) == [] and screening.latest_triage(db) is None
        assert stress.questionnaire_history(db, "pss10") == [] and emg.list_recordings(db) == []
        assert sessions.list_sessions(db) == [] and sessions.recent_listens(db) == []
        assert stress.list_reflection_notes(db) == []
    with _narrowed(person_a, {"stress", "safety", "checkins", "sessions", "emg"}) as db:
        assert diary.list_episodes(db) == []
        assert [c.stress for c in diary.list_checkins(db)] == [1]
        assert len(stress.questionnaire_history(db, "pss10")) == 1 and screening.latest_triage(db) is not None
        # the filled person's own session and their programme's one
        assert len(sessions.list_sessions(db)) == 2 and len(emg.list_recordings(db)) == 1
        assert stress.list_reflection_notes(db) == []  # private: never shown to anyone else


def test_two_callers_with_different_categories_in_one_process_see_different_rows(
    people: tuple[int, int],  # noqa: F811
) -> None:
    """The statement cache must not hand one caller's hiding to another: the same query, alternately."""
    person_a, _ = people
    query = select(Episode)
    for _ in range(3):
        with _narrowed(person_a, {"diary"}) as with_diary, _narrowed(person_a, {"stress"}) as without:
            assert len(with_diary.scalars(query).all()) == 1
            assert without.scalars(query).all() == []
            assert len(with_diary.scalars(query).all()) == 1
        with session_factory()() as own:
            set_caller(own, Caller(kind="account", person_id=person_a, role="person"))
            assert len(own.scalars(query).all()) == 1


def test_a_row_already_in_the_session_is_refused_when_its_category_is_not_shared(
    people: tuple[int, int],  # noqa: F811
) -> None:
    person_a, _ = people
    with _narrowed(person_a, {"diary"}) as db:
        episode_id = diary.list_episodes(db)[0].id
        set_caller(db, Caller(kind="account", person_id=person_a, role="practitioner", categories=frozenset()))
        with pytest.raises(NotFoundError):
            diary.get_episode(db, episode_id)


def test_a_narrowed_caller_writes_only_its_write_categories(people: tuple[int, int]) -> None:  # noqa: F811
    person_a, _ = people
    with _narrowed(person_a, {"diary"}) as db:
        with pytest.raises(ForeignRowError):
            diary.create_factor(db, parse_input(FactorIn, {"name": "Cold", "kind": "yesno"}))
        db.rollback()
        episode = diary.list_episodes(db)[0]
        episode.notes = "changed by the practitioner"
        with pytest.raises(ForeignRowError):
            db.flush()
        db.rollback()
        # A bulk UPDATE or DELETE reaches only categories the caller both reads and writes: none here.
        assert db.execute(update(Episode).values(notes="bulk")).rowcount == 0  # type: ignore[attr-defined]
        assert db.execute(delete(Episode)).rowcount == 0  # type: ignore[attr-defined]
        db.commit()
    with _narrowed(person_a, {"diary", "sessions"}) as db:
        from unclench.sessions.options import SessionOptions

        made = sessions.create_session(db, SessionOptions(minutes=5, technique="breathing", seed=9))
        assert made.person_id == person_a  # sessions are a write category: a session made for the client
        db.rollback()
    with session_factory()() as own:
        set_caller(own, Caller(kind="account", person_id=person_a, role="person"))
        assert [e.notes for e in diary.list_episodes(own)] == ["person 1"]
