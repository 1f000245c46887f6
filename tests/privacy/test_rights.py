"""Data rights on a person's own computer: export everything, delete everything, on SQLite and PostgreSQL.

Two people with one of everything (tests/accounts/test_ownership's `_fill_every_domain`), each with a rendered
session's folder of their own, one folder both use (the same settings), and the same EMG file (one stored file for
both). The tests count rows with Core statements naming `person_id` themselves, apart from the scoping under test.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.accounts.test_ownership import EMG_FILE, SHARED_TABLES, _fill_every_domain, _session_as
from unclench.accounts import audit, devices
from unclench.accounts.people import create_person
from unclench.core.db import Base, PersonOwned, session_factory, session_scope
from unclench.core.errors import UserInputError
from unclench.core.identity import LOCAL_PERSON_ID
from unclench.core.models_registry import import_all_models
from unclench.emg import service as emg
from unclench.privacy import service
from unclench.sessions import service as sessions

OTHER_EMG_FILE = EMG_FILE.with_name("emg_fatigue.csv")
SHARED_KEY = "5" * 64
HEALTH_WORDS = ("person 1", "Dr 1", "paracetamol", "calf", "cramp", "Cold weather", "jaw_unsaid")


def _render_into(db: Session, key: str) -> None:
    """A rendered folder for the caller's newest session without its own key (the real layout, no speech)."""
    session = next(s for s in sessions.list_sessions(db) if s.artefact_key is None)
    folder = sessions.audio_root() / key
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("session.wav", "session.mp3", "transcript.vtt", "manifest.json"):
        (folder / name).write_bytes(f"{key} {name}".encode())
    session.artefact_key, session.status = key, "ready"
    db.flush()


@dataclass
class People:
    a: int
    b: int
    a_key: str  # A's own rendered folder
    a_emg: str  # the hash of A's own EMG file


@pytest.fixture
def people(app_env: Path) -> Iterator[People]:
    """A (the local person) and B with one of everything, a shared and an own audio folder, a shared and an own
    EMG file (each with a plot), and a paired phone and a pairing link for A."""
    with session_factory()() as setup:
        person_b = create_person(setup, "B").id
        setup.commit()
    for person_id, seed in ((LOCAL_PERSON_ID, 1), (person_b, 2)):
        with _session_as(person_id) as db:
            _fill_every_domain(db, seed)
            sessions.create_session(db, sessions.options_of(sessions.list_sessions(db)[0]), title="again")
            _render_into(db, SHARED_KEY)
            db.commit()
    with _session_as(LOCAL_PERSON_ID) as db:
        _render_into(db, "a" * 64)
        own = emg.import_file(db, path=OTHER_EMG_FILE)
        (emg.recording_path(own).with_name(f"{own.file_sha256}.png")).write_bytes(b"plot")
        shared = next(r for r in emg.list_recordings(db) if r.id != own.id)
        (emg.recording_path(shared).with_name(f"{shared.file_sha256}.png")).write_bytes(b"plot")
        db.commit()
        a_emg = own.file_sha256
    with session_scope() as db:
        link = devices.create_pairing_link(db)
        devices.pair_device(db, link.token, "Mozilla/5.0 (iPhone) Safari")
        devices.create_pairing_link(db)
    yield People(LOCAL_PERSON_ID, person_b, "a" * 64, a_emg)


def _tables_with_owner() -> list[Table]:
    import_all_models()
    return [t for t in Base.metadata.sorted_tables if "person_id" in t.c]


def _rows_of(person_id: int) -> dict[str, int]:
    """Every table's rows for this person, counted with Core (no scoping)."""
    with session_factory()() as db:
        return {
            t.name: db.scalar(select(func.count()).select_from(t).where(t.c.person_id == person_id)) or 0
            for t in _tables_with_owner()
        }


def _files(data_dir: Path) -> set[Path]:
    return {
        p
        for kind in ("audio", "emg")
        for p in (data_dir / kind).rglob("*")
        if p.is_file() and "_phrases" not in p.parts
    }


def _zip(data: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _assert_the_log_holds_no_health_data() -> None:
    """The audit log outlives a deleted person: no entry may name a symptom, a region, a medicine or a note."""
    with session_factory()() as db:
        for entry in audit.all_entries(db):
            text = json.dumps(audit.hashed_fields(entry), ensure_ascii=False).lower()
            assert not any(word.lower() in text for word in HEALTH_WORDS), text


# --- coverage -----------------------------------------------------------------------------------------------------


def test_every_table_with_a_person_is_exported_and_deleted_or_kept_by_accounts() -> None:
    owned = {service._table(m).name for m in service.owned_models()}
    for table in _tables_with_owner():
        # What is not PersonOwned is accounts' own (sign-in, phones): forget_person removes it, tested below.
        assert table.name in owned or table.name in SHARED_TABLES, f"{table.name}: not covered by privacy.service"
    assert owned == {m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, PersonOwned)}


# --- export -------------------------------------------------------------------------------------------------------


def test_the_export_holds_every_table_of_the_person_and_nothing_of_anyone_else(people: People, app_env: Path) -> None:
    expected = _rows_of(people.a)
    buffer = io.BytesIO()
    with _session_as(people.a) as db:
        summary = service.export_everything(db, buffer)
        db.commit()
    files = _zip(buffer.getvalue())
    for model in service.owned_models():
        name = service._table(model).name
        rows = _csv(files[f"tables/{name}.csv"])
        assert expected[name] > 0, f"the test made no {name} row"
        assert len(rows) == expected[name] == summary.rows[name], name  # a table the export misses fails here
        assert {r["person_id"] for r in rows} == {str(people.a)}, name
        assert f"tables/{name}.csv ({expected[name]} rows)" in files["README.txt"]
    everything = "\n".join(files.values())
    assert "person 1" in files["diary/episodes.csv"] and "person 2" not in everything and "Dr 2" not in everything
    bundle = json.loads(files["fhir/bundle.json"])
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds.count("Observation") == 1 and "QuestionnaireResponse" in kinds
    audio = _csv(files["files/audio.csv"])
    own = [row for row in audio if row["settings_hash"] == people.a_key]
    assert {row["file"] for row in own} == {
        f"audio/{people.a_key}/{n}" for n in ("manifest.json", "session.mp3", "session.wav", "transcript.vtt")
    }
    for row in own:
        assert row["sha256"] == hashlib.sha256((app_env / row["file"]).read_bytes()).hexdigest()
        assert json.loads(row["settings"])["seed"] == 1
    emg_files = _csv(files["files/emg.csv"])
    assert {row["sha256"] for row in emg_files} == {people.a_emg, hashlib.sha256(EMG_FILE.read_bytes()).hexdigest()}
    with session_factory()() as db:
        last = audit.recent_entries(db, limit=1)[0]
        assert (last.action, last.resource, last.subject_person_id) == ("export", "all-data", people.a)


def test_the_export_page_and_command(people: People, app_env: Path, client: object, tmp_path: Path) -> None:
    from unclench.cli import app

    page = client.get("/privacy/data")  # type: ignore[attr-defined]
    assert page.status_code == 200 and "Download all my data" in page.text and "Delete all my data" in page.text
    with session_factory()() as db:
        kept_sessions = len(sessions.list_sessions(db))
    assert kept_sessions >= 2 and f"{kept_sessions} sessions" in page.text and "2 EMG recordings" in page.text
    download = client.get("/privacy/data/export.zip")  # type: ignore[attr-defined]
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert "person 1" in _zip(download.content)["tables/episode.csv"]
    target = tmp_path / "mine.zip"
    result = CliRunner().invoke(app, ["data", "export", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert _zip(target.read_bytes())["tables/episode.csv"] == _zip(download.content)["tables/episode.csv"]
    missing = CliRunner().invoke(app, ["data", "export", "--out", str(tmp_path / "nowhere" / "x.zip")])
    assert missing.exit_code == 2 and "--out" in missing.output and "nowhere" in missing.output


# --- deletion -----------------------------------------------------------------------------------------------------


def test_deleting_leaves_nothing_of_the_person_and_everything_of_the_other(people: People, app_env: Path) -> None:
    b_rows, files_before = _rows_of(people.b), _files(app_env)
    with session_scope() as db:
        deletion = service.delete_everything(db, {"confirm": "DELETE"})
    removed = set(service.remove_files(deletion))

    assert {name: n for name, n in _rows_of(people.a).items() if n} == {}  # every table, accounts' too
    assert _rows_of(people.b) == b_rows
    left = _files(app_env)
    assert left == files_before - removed
    own_audio = app_env / "audio" / people.a_key
    assert not own_audio.exists() and {p.parent for p in removed if "audio" in p.parts} == {own_audio}
    assert not any(p.name.startswith(people.a_emg) for p in left)  # A's own raw file and its plot
    shared_raw = hashlib.sha256(EMG_FILE.read_bytes()).hexdigest()
    assert {p.name for p in left if p.parent.name == "emg"} == {f"{shared_raw}.csv", f"{shared_raw}.png"}
    assert (app_env / "audio" / SHARED_KEY / "session.wav").exists()  # B's session uses it too
    # Every file left is named by a row that is still there (B's).
    with _session_as(people.b) as db:
        named = {s.artefact_key for s in sessions.list_sessions(db)} | {r.file_sha256 for r in emg.list_recordings(db)}
    assert all(any(key and key in str(p) for key in named) for p in left)
    with _session_as(people.b) as db:
        assert sessions.list_sessions(db) and emg.list_recordings(db)
    with session_factory()() as db:
        assert audit.verify(db).intact
        last = audit.recent_entries(db, limit=1)[0]
        assert (last.action, last.subject_person_id, last.resource) == ("person_deleted", people.a, "data")
        assert audit.describe(last).what == "Deleted all the data kept here"
    _assert_the_log_holds_no_health_data()


def test_a_wrong_word_deletes_nothing(people: People, app_env: Path) -> None:
    before, files = _rows_of(people.a), _files(app_env)
    for word in ("", "delete", "DELET", " yes "):
        with pytest.raises(UserInputError) as refused, session_scope() as db:
            service.delete_everything(db, {"confirm": word})
        assert "Type DELETE in capital letters" in str(refused.value) and "Nothing was deleted" in str(refused.value)
    assert _rows_of(people.a) == before and _files(app_env) == files


def test_a_failure_midway_leaves_every_row_and_file(
    people: People, app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, files = _rows_of(people.a), _files(app_env)

    def fails(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service.people, "forget_person", fails)  # after every data table's rows were deleted
    with pytest.raises(RuntimeError), session_scope() as db:
        service.delete_everything(db, {"confirm": "DELETE"})
    assert _rows_of(people.a) == before and _files(app_env) == files


def test_the_page_and_the_command_delete_with_the_word_only(people: People, app_env: Path, client: object) -> None:
    from unclench.cli import app

    report = client.get("/api/reports/fhir", params={"first": "2026-06-01", "last": "2026-06-17", "kind": "cramp"})  # type: ignore[attr-defined]
    assert report.status_code == 200
    wrong = client.post("/privacy/data/delete", data={"confirm": "delete"})  # type: ignore[attr-defined]
    assert (
        wrong.status_code == 422 and "Type DELETE in capital letters" in wrong.text and 'value="delete"' in wrong.text
    )
    assert _rows_of(people.a)["episode"] == 1
    refused = CliRunner().invoke(app, ["data", "delete", "--confirm", "nope"])
    assert refused.exit_code == 2 and "Nothing was deleted" in refused.output
    assert _rows_of(people.a)["episode"] == 1
    done = client.post("/privacy/data/delete", data={"confirm": "DELETE"})  # type: ignore[attr-defined]
    assert done.status_code == 200 and "Everything you kept here is deleted" in done.text  # after the redirect
    assert sum(_rows_of(people.a).values()) == 0 and _rows_of(people.b)["episode"] == 1
    assert client.get("/api/episodes").json() == []  # type: ignore[attr-defined]
    again = CliRunner().invoke(app, ["data", "delete", "--confirm", "DELETE"])
    assert again.exit_code == 0 and "Deleted 0 rows" in again.output
    _assert_the_log_holds_no_health_data()  # the report's kind filter ("cramp") included


def test_the_phrases_that_speak_the_name_go_unless_someone_else_has_that_name(
    people: People, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from unclench.sessions.audio import MIX_RATE
    from unclench.sessions.composer import compose
    from unclench.sessions.options import SessionOptions, validate_options
    from unclench.sessions.voice import PhraseCache, voice_info

    cache_dir = tmp_path / "phrases"  # never the shared cache: these files are not real speech
    monkeypatch.setenv("UNCLENCH_PHRASE_CACHE_DIR", str(cache_dir))

    def cached(name: str) -> tuple[list[Path], Path]:
        """Files in the voice's cache for a session that speaks `name`: those that say it, and one shared cue."""
        options = validate_options(SessionOptions(minutes=5, technique="breathing", name=name))
        voice, cache = voice_info(options.voice), PhraseCache(cache_dir)
        paths = {
            text: cache.path(PhraseCache.key(text, voice, options.length_scale, MIX_RATE))
            for text in compose(options).texts()
        }
        for path in paths.values():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"pcm")
        return [path for text, path in paths.items() if name in text], next(
            p for t, p in paths.items() if name not in t
        )

    (zoe, cue), (anna, _) = cached("Zoe"), cached("Anna")
    assert zoe and anna
    for person_id, names in ((people.a, ("Zoe", "Anna")), (people.b, ("Anna",))):
        with _session_as(person_id) as db:
            for name in names:
                sessions.create_session(db, SessionOptions(minutes=5, technique="breathing", name=name))
            db.commit()
    with session_scope() as db:
        deletion = service.delete_everything(db, {"confirm": "DELETE"})
    removed = service.remove_files(deletion)
    assert set(zoe) <= set(removed) and not any(path.exists() for path in zoe)  # only A's sessions said "Zoe"
    assert all(path.exists() for path in anna) and cue.exists()  # B's session says "Anna"; cues are everyone's
