"""Every row has an owner: two people's data side by side, each sees and changes only their own.

Scoping lives in core.db (session listeners), so these tests drive the ordinary services as person A and person B
and never pass a person to them.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from unclench.accounts.people import create_person
from unclench.core import clock, job_state
from unclench.core.db import Base, ForeignRowError, PersonOwned, new_id, session_factory
from unclench.core.errors import NotFoundError
from unclench.core.identity import ANONYMOUS, LOCAL_PERSON_ID, Caller, set_caller
from unclench.core.models_registry import import_all_models
from unclench.core.validation import parse_input
from unclench.diary import service as diary
from unclench.diary.models import Episode
from unclench.diary.schemas import CheckInIn, EpisodeIn, FactorIn
from unclench.emg import service as emg
from unclench.insights import service as insights
from unclench.reports import service as reports
from unclench.screening import service as screening
from unclench.screening.schemas import DoctorContactIn
from unclench.sessions import decisions, programmes
from unclench.sessions import service as sessions
from unclench.sessions.options import SessionOptions
from unclench.sessions.schemas import DecisionIn, ProgrammeForm
from unclench.stress import service as stress

EMG_FILE = Path(__file__).parents[1] / "emg" / "data" / "emg_bursts.csv"

# Tables every person shares, each with the reason it has no owner. A new table must either mix in PersonOwned or
# be added here with its reason, so no table skips ownership by accident.
SHARED_TABLES = {
    "person": "the owners themselves",
    "account": "a sign-in; a person account points at its person (practitioners and admins own no data)",
    "account_recovery_code": "belongs to an account (the account's person, if any, is reached through it)",
    "account_invitation": "made by an account, before the invitee has a person",
    "login_session": "belongs to an account",
    "password_reset": "belongs to an account",
    "login_attempt": "a sign-in try, by email and address; there may be no account at all",
    "audit_entry": "names its subject person (not a key: the log outlives a deleted person) and is read by verify whole",
    "audit_head": "the audit chain's one head row",
    # Read before anyone is known: the guard recognises a phone by its cookie, and a pairing link is used by a phone
    # that is nobody yet. Each names its person_id; only this computer's own browser lists or revokes them.
    "paired_device": "a phone recognised by its cookie before its caller (and so its person) is known",
    "pairing_link": "used by a phone that is nobody yet; names the person it pairs the phone with",
    # Practice: between a practitioner's account and a client's person, read by both sides and by the clinic's
    # sign-in check before the practitioner's caller (which these decide) exists.
    "care_link": "links a practitioner's account to a client's person; read by either side",
    "consent": "what a client lets one practitioner see (versioned); decides the practitioner's caller",
}


def _session_as(person_id: int | None) -> Session:
    session = session_factory()()
    caller = ANONYMOUS if person_id is None else Caller(kind="account", person_id=person_id, role="person")
    set_caller(session, caller)
    return session


@pytest.fixture
def people(app_env: Path) -> Iterator[tuple[int, int]]:
    """Person A (the local person) and person B, each with data in every domain, made through the services."""
    with session_factory()() as setup:
        person_b = create_person(setup, "B").id
        setup.commit()
    for person_id, seed in ((LOCAL_PERSON_ID, 1), (person_b, 2)):
        with _session_as(person_id) as db:
            _fill_every_domain(db, seed)
            db.commit()
    yield LOCAL_PERSON_ID, person_b


def _fill_every_domain(db: Session, seed: int) -> None:
    """One of everything; the same check-in day, factor name, stressor and EMG file for both people."""
    day = clock.today() - timedelta(days=1)
    episode = diary.create_episode(
        db,
        parse_input(
            EpisodeIn,
            {
                "started_at": clock.now() - timedelta(hours=seed),
                "kind": "cramp",
                "intensity": 5,
                "regions": [{"region": "calf", "side": "left"}],
                "notes": f"person {seed}",
            },
        ),
    )
    diary.create_factor(db, parse_input(FactorIn, {"name": "Cold weather", "kind": "yesno"}))
    diary.upsert_checkin(db, parse_input(CheckInIn, {"day": day, "stress": seed, "factors": {"Cold weather": 1}}))
    screening.record_triage(db, [])
    screening.add_medication(db, "paracetamol", keep_unknown=True)
    screening.record_all_clear(db, day, note=f"person {seed}")
    screening.set_episode_red_flags(db, episode.id, ["weakness"])
    screening.set_doctor_contact(db, DoctorContactIn(name=f"Dr {seed}", phone=f"020 7946 000{seed}"))
    stress.record_questionnaire(db, "pss10", [seed] * 10)
    stress.save_ratings(db, {"deadlines": {"weight": seed, "leeway": 1}})
    stress.add_reflection_note(db, "jaw_unsaid", f"person {seed}")
    audio = sessions.create_session(db, SessionOptions(minutes=5, technique="breathing", seed=seed))
    listen = sessions.start_listen(db, audio.id, tension_before=seed)
    decisions.log_decision(
        db, listen.id, DecisionIn(point="p1", region="jaw", choice="release_cue", cue_id="c1", at_s=30, tone_before=2)
    )
    sessions.set_practice_preference(db, reminder=f"2{seed}:00")
    today = clock.today()
    item = {"minutes": "5", "technique": "breathing", "seed": str(seed), "per_week": "7"}
    plan = {"starts_on": today.isoformat(), "ends_on": (today + timedelta(weeks=2)).isoformat(), "items": [item]}
    with patch.object(sessions, "start_render", lambda *args, **kwargs: None):  # the rows, not the audio
        programmes.save_programme(db, parse_input(ProgrammeForm, plan), today=today)
    insights.set_day_start(db, 4 + seed)
    recording = emg.import_file(db, path=EMG_FILE)
    emg.set_channel_region(db, channel_id=recording.channels[0].id, region="upper_arm", side="left")
    from unclench.practice import service as practice
    from unclench.practice.schemas import NoteIn

    practice.write_note(db, NoteIn(text=f"person {seed}", shared=True))
    job_state.add(db, new_id(), "session-render", f"person {seed}", key=f"session-render:{audio.id}")


def test_every_table_has_an_owner_or_a_reason() -> None:
    import_all_models()
    owned = {mapper.local_table.name for mapper in Base.registry.mappers if issubclass(mapper.class_, PersonOwned)}
    for table in Base.metadata.tables.values():
        if table.name in SHARED_TABLES:
            assert table.name not in owned, f"{table.name} is owned: take it off SHARED_TABLES"
            continue
        assert table.name in owned, f"table {table.name} has no owner: mix in PersonOwned, or explain in SHARED_TABLES"
        column = table.c.person_id
        assert not column.nullable and column.index
        assert {fk.column.table.name for fk in column.foreign_keys} == {"person"}


def test_each_person_sees_only_their_own_rows_in_every_table(people: tuple[int, int]) -> None:
    import_all_models()
    for person_id in people:
        with _session_as(person_id) as db:
            for mapper in Base.registry.mappers:
                model = mapper.class_
                if not issubclass(model, PersonOwned):
                    continue
                table = mapper.local_table
                assert isinstance(table, Table)
                seen = list(db.scalars(select(model)))
                everyone = db.scalar(select(func.count()).select_from(table))  # Core: not scoped
                assert seen, f"the test made no {table.name} row for person {person_id}"
                assert {row.person_id for row in seen} == {person_id}, table.name
                assert everyone is not None and everyone > len(seen), table.name


def test_services_list_only_the_callers_data(people: tuple[int, int]) -> None:
    person_a, person_b = people
    with _session_as(person_a) as db:
        assert [e.notes for e in diary.list_episodes(db)] == ["person 1"]
        assert [c.stress for c in diary.list_checkins(db)] == [1]
        assert [f.name for f in diary.list_factors(db)] == ["Cold weather"]
        assert [m.name for m in screening.list_medications(db)] == ["paracetamol"]
        doctor = screening.doctor_contact(db)
        assert doctor is not None and doctor.name == "Dr 1"
        all_clear = screening.latest_all_clear(db)
        assert all_clear is not None and all_clear.note == "person 1"
        assert [r.answers for r in stress.questionnaire_history(db, "pss10")] == [[1] * 10]
        assert [(r.stressor_id, r.weight) for r in stress.current_ratings(db)] == [("deadlines", 1)]
        assert [n.text for n in stress.list_reflection_notes(db)] == ["person 1"]
        assert [s.options["seed"] for s in sessions.list_sessions(db)] == [1, 1]  # their own and their programme's
        [programme] = programmes.list_programmes(db)
        assert programme.person_id == person_a and programme.items[0].session.person_id == person_a
        assert [listen.tension_before for listen in sessions.recent_listens(db)] == [1]
        assert sessions.reminder_label(sessions.practice_preference(db)) == "21:00"
        assert insights.get_day_start(db) == 5
        assert len(emg.list_recordings(db)) == 1
        data = insights.load_diary(db)
        assert len(data.episodes) == 1
        archive = zipfile.ZipFile(io.BytesIO(reports.export_csv_zip(db)))
        episodes_csv = archive.read("episodes.csv").decode()
        assert "person 1" in episodes_csv and "person 2" not in episodes_csv
    with _session_as(person_b) as db:
        assert [e.notes for e in diary.list_episodes(db)] == ["person 2"]
        assert insights.get_day_start(db) == 6


def test_another_persons_row_by_id_is_not_found(people: tuple[int, int]) -> None:
    person_a, person_b = people
    with _session_as(person_b) as db:
        b_episode = diary.list_episodes(db)[0].id
        b_recording = emg.list_recordings(db)[0].id
        b_medication = screening.list_medications(db)[0].id
        b_listen = sessions.recent_listens(db)[0].id
        b_note = stress.list_reflection_notes(db)[0].id
    with _session_as(person_a) as db:
        for attempt in (
            lambda: diary.get_episode(db, b_episode),
            lambda: diary.delete_episode(db, b_episode),
            lambda: emg.get_recording(db, recording_id=b_recording),
            lambda: screening.remove_medication(db, b_medication),
            lambda: sessions.get_listen(db, b_listen),
            lambda: stress.delete_reflection_note(db, b_note),
        ):
            with pytest.raises(NotFoundError):
                attempt()
    with _session_as(person_b) as db:  # nothing of B's was touched
        assert diary.get_episode(db, b_episode).deleted_at is None
        assert len(screening.list_medications(db)) == 1 and len(stress.list_reflection_notes(db)) == 1


def test_a_row_already_in_the_session_is_refused_to_another_caller(people: tuple[int, int]) -> None:
    person_a, person_b = people
    with _session_as(person_b) as db:
        episode = diary.list_episodes(db)[0]  # now in this session's identity map
        set_caller(db, Caller(kind="account", person_id=person_a, role="person"))
        with pytest.raises(NotFoundError):
            diary.get_episode(db, episode.id)
        episode.notes = "changed by A"
        with pytest.raises(ForeignRowError):
            db.flush()
        db.rollback()


def test_writes_belong_to_the_caller_and_bulk_updates_stay_in_scope(people: tuple[int, int]) -> None:
    person_a, person_b = people
    with _session_as(person_b) as db:
        made = diary.create_factor(db, parse_input(FactorIn, {"name": "Long drive", "kind": "yesno"}))
        assert made.person_id == person_b
        db.commit()
    with _session_as(person_a) as db:
        db.execute(update(Episode).values(notes="bulk"))
        db.commit()
    with _session_as(person_b) as db:
        assert [e.notes for e in diary.list_episodes(db)] == ["person 2"]
        with pytest.raises(ForeignRowError):
            db.add(Episode(person_id=person_a, started_at=clock.now(), timezone="UTC", kind="cramp", intensity=1))
            db.flush()


def test_a_caller_who_is_nobody_sees_nothing_and_writes_nothing(people: tuple[int, int]) -> None:
    with _session_as(None) as db:
        assert diary.list_episodes(db) == [] and emg.list_recordings(db) == []
        assert sessions.list_sessions(db) == [] and stress.current_ratings(db) == []
        with pytest.raises(ForeignRowError):
            diary.create_factor(db, parse_input(FactorIn, {"name": "Anything", "kind": "yesno"}))


def test_csv_import_belongs_to_the_caller(people: tuple[int, int], tmp_path: Path) -> None:
    from unclench.diary.csvio import CHECKINS_FILE, EPISODES_FILE, FACTORS_FILE, export_diary, import_diary

    person_a, person_b = people
    with _session_as(person_a) as db:
        export_diary(db, tmp_path / "export")
    for name in (CHECKINS_FILE, FACTORS_FILE):  # only the episodes, under a new id (ids are unique everywhere)
        (tmp_path / "export" / name).unlink()
    episodes_file = tmp_path / "export" / EPISODES_FILE
    header, row = episodes_file.read_text(encoding="utf-8").splitlines()
    episodes_file.write_text(f"{header}\n{'a' * 32}{row[row.index(',') :]}\n", encoding="utf-8")
    with _session_as(person_b) as db:
        import_diary(db, tmp_path / "export")
        db.commit()
        assert sorted(e.notes for e in diary.list_episodes(db)) == ["person 1", "person 2"]
        assert {r.person_id for e in diary.list_episodes(db) for r in e.regions} == {person_b}
    with _session_as(person_a) as db:
        assert len(diary.list_episodes(db)) == 1


def test_the_same_emg_file_is_one_recording_per_person(people: tuple[int, int], tmp_path: Path) -> None:
    person_a, person_b = people
    copy = tmp_path / "again.csv"
    shutil.copyfile(EMG_FILE, copy)
    with _session_as(person_a) as db:
        first = emg.list_recordings(db)[0]
        assert emg.import_file(db, path=copy).id == first.id  # A's own copy, found again
    with _session_as(person_b) as db:
        assert emg.list_recordings(db)[0].id != first.id


def test_a_command_acts_as_the_local_person(people: tuple[int, int]) -> None:
    from unclench.cli import app

    result = CliRunner().invoke(app, ["log", "jaw:right", "--kind", "tension", "--intensity", "6"])
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(app, ["episodes", "--days", "2"])
    assert "person 2" not in listed.output
    with _session_as(LOCAL_PERSON_ID) as db:
        assert {e.kind for e in diary.list_episodes(db)} == {"cramp", "tension"}


def test_a_background_job_works_as_the_person_who_started_it(
    people: tuple[int, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from types import SimpleNamespace

    from unclench.core.jobs import get_runner
    from unclench.sessions import render

    def quick_render(options: object, root: Path, **_: object) -> object:  # the audio itself is not the point
        return SimpleNamespace(key="k" * 64, folder=tmp_path, duration_s=300.0, loudness_lufs=-23.0)

    monkeypatch.setattr(render, "render_session", quick_render)
    _, person_b = people
    with _session_as(person_b) as db:
        session = sessions.list_sessions(db)[0]
        job = sessions.start_render(db, session)
    assert get_runner().wait(job.id, timeout=60).status == "done"
    with _session_as(person_b) as db:
        assert sessions.get_session(db, session.id).status == "ready"
