"""Screening services on real SQLite and PostgreSQL: triage history, medicines, all clear, red flags, notices."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.errors import NotFoundError, UserInputError
from unclench.core.validation import parse_input
from unclench.diary import service as diary
from unclench.diary.models import CheckIn
from unclench.diary.schemas import EpisodeIn
from unclench.screening import service
from unclench.screening.models import Medication, TriageResult

pytestmark = pytest.mark.hard_dates


def make_episode(db: Session) -> str:
    data = parse_input(
        EpisodeIn,
        {
            "started_at": clock.now() - timedelta(hours=1),
            "kind": "cramp",
            "intensity": 7,
            "regions": [{"region": "calf", "side": "left"}],
        },
    )
    episode = diary.create_episode(db, data)
    db.commit()
    return episode.id


def test_triage_is_stored_with_level_reasons_and_answers(db: Session) -> None:
    result, outcome = service.record_triage(db, ["brief_cramps", "dvt"])
    db.commit()
    db.expire_all()
    stored = service.latest_triage(db)
    assert stored is not None and stored.id == result.id
    assert stored.level == "urgent" == outcome.level.id
    assert stored.answers == ["dvt", "brief_cramps"]
    assert stored.reasons == list(outcome.reasons)
    assert service.outcome_of(stored).level.id == "urgent"


def test_bad_triage_writes_nothing(db: Session) -> None:
    with pytest.raises(UserInputError):
        service.record_triage(db, ["nonsense"])
    db.commit()
    assert db.query(TriageResult).count() == 0


def test_medicines_list_matches_and_refuses_unknown_names(db: Session) -> None:
    _, match = service.add_medication(db, "Lipitor 20 mg", note="every evening")
    assert match.entry is not None and match.entry.id == "statins"
    with pytest.raises(UserInputError) as info:
        service.add_medication(db, "xyzzy")
    assert "We don't recognise 'xyzzy' as a medicine name" in str(info.value)
    with pytest.raises(UserInputError) as info:
        service.add_medication(db, "lipitor")
    assert "already on your list" in str(info.value)
    kept, known = service.add_medication(db, "paracetamol")  # a medicine we know, with no muscle effect listed
    assert known.recognised and not known.found
    db.commit()
    listed = [(m.name, m.typed) for m in service.list_medications(db)]
    assert listed == [("Lipitor", "Lipitor 20 mg"), ("paracetamol", "paracetamol")]
    service.remove_medication(db, kept.id)
    with pytest.raises(NotFoundError):
        service.remove_medication(db, kept.id)
    db.commit()
    assert db.query(Medication).count() == 1


def test_medication_matches_include_checkin_medicines_found_first(db: Session) -> None:
    service.add_medication(db, "vitamin c", keep_unknown=True)
    service.add_medication(db, "salbutamol")
    db.add(CheckIn(day=date(2026, 3, 1), medications=["Ventolin", "Sertraline 50mg", "Salbutamol"]))
    db.commit()
    matches = service.medication_matches(db)
    typed = [m["typed"] for m in matches]
    assert typed[-1] == "vitamin c"
    assert {"salbutamol", "Sertraline 50mg", "Ventolin"} <= set(typed)
    assert typed.count("salbutamol") + typed.count("Salbutamol") == 1
    sertraline = next(m for m in matches if m["typed"] == "Sertraline 50mg")
    assert sertraline["origin"] == "check-in"
    assert sertraline["entry"]["class"].startswith("Serotonergic")
    assert sertraline["entry"]["sources"][0]["url"].startswith("https://")
    assert "Do not stop" in sertraline["advice"]


def test_a_typo_is_stored_under_the_medicine_it_stands_for_with_what_was_typed_kept(db: Session) -> None:
    medication, match = service.add_medication(db, "atorvastatn 20mg")
    assert (medication.name, medication.typed) == ("atorvastatin", "atorvastatn 20mg") and match.found
    kept, unknown = service.add_medication(db, "Grandma's tonic", keep_unknown=True)
    assert (kept.name, kept.typed) == ("Grandma's tonic", "Grandma's tonic") and not unknown.recognised
    with pytest.raises(UserInputError) as info:
        service.add_medication(db, "Atorvastatin")  # the same medicine, spelled right this time
    assert "'atorvastatin' is already on your list" in str(info.value)
    db.commit()
    [statin, tonic] = service.medication_matches(db)
    assert (statin["name"], statin["typed"], statin["found"]) == ("atorvastatin", "atorvastatn 20mg", True)
    assert (tonic["name"], tonic["recognised"]) == ("Grandma's tonic", False)


def test_all_clear_is_recorded_and_future_dates_are_refused(db: Session) -> None:
    with pytest.raises(UserInputError):
        service.record_all_clear(db, clock.today() + timedelta(days=3))
    assert service.latest_all_clear(db) is None
    service.record_all_clear(db, date(2026, 1, 10), "bloods normal")
    service.record_all_clear(db, date(2026, 2, 1), "")
    db.commit()
    latest = service.latest_all_clear(db)
    assert latest is not None and latest.checked_on == date(2026, 2, 1)


def test_notices_for_a_new_person_are_gentle(db: Session) -> None:
    kinds = [n["kind"] for n in service.safety_notices(db)]
    assert kinds == ["no_triage", "no_all_clear"]
    assert all(n["level"] == "calm" for n in service.safety_notices(db))


def test_red_flag_brings_the_triage_back_until_it_is_taken_again(db: Session) -> None:
    service.record_triage(db, [], taken_at=clock.now() - timedelta(days=2))
    service.record_all_clear(db, date(2026, 1, 10))
    db.commit()
    assert service.safety_notices(db) == []
    episode_id = make_episode(db)
    assert service.set_episode_red_flags(db, episode_id, ["weakness", "dark_urine", "weakness"]) == [
        "weakness",
        "dark_urine",
    ]
    db.commit()
    notices = service.safety_notices(db)
    assert [n["kind"] for n in notices] == ["red_flag"]
    assert notices[0]["level"] == "urgent"
    assert "weakness" in notices[0]["text"] and "dark urine" in notices[0]["text"]
    assert notices[0]["href"].startswith("/safety/triage")
    pending = service.pending_red_flags(db)
    assert pending[0]["episode_id"] == episode_id
    service.record_triage(db, ["rhabdomyolysis"])
    db.commit()
    assert service.safety_notices(db) == []
    assert service.episode_red_flags(db, episode_id) == ["weakness", "dark_urine"]


def test_red_flags_on_deleted_or_unknown_episodes(db: Session) -> None:
    with pytest.raises(NotFoundError):
        service.set_episode_red_flags(db, "0" * 32, ["weakness"])
    episode_id = make_episode(db)
    with pytest.raises(UserInputError):
        service.set_episode_red_flags(db, episode_id, ["glowing"])
    service.set_episode_red_flags(db, episode_id, ["swollen_calf"])
    db.commit()
    assert service.pending_red_flags(db)
    diary.delete_episode(db, episode_id)
    db.commit()
    assert service.pending_red_flags(db) == []
    # Clearing the features removes them.
    diary.restore_episode(db, episode_id)
    service.set_episode_red_flags(db, episode_id, [])
    db.commit()
    assert service.episode_red_flags(db, episode_id) == []


def test_a_stored_answer_to_a_retired_question_is_ignored_on_reread(db: Session) -> None:
    result, _ = service.record_triage(db, ["dvt"])
    result.answers = ["dvt", "retired_question"]
    db.commit()
    assert service.outcome_of(result).level.id == "urgent"
