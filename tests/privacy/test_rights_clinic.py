"""Data rights on a clinic server (PostgreSQL): a client exports everything and deletes their account.

After the deletion nothing of theirs is left in any table, no file of theirs under the data dir, they cannot sign
in, and the other client's data and the files both used are untouched.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.accounts.test_clinic import CHEAP, PASSWORD, _browser, _enrol, _login, _person, clinic  # noqa: F401 (the fixture)
from tests.accounts.test_ownership import EMG_FILE, _fill_every_domain
from tests.privacy.test_rights import SHARED_KEY, _files, _render_into, _rows_of
from unclench.accounts import audit, logins
from unclench.accounts.models import LoginAttempt, LoginSession
from unclench.core import db as core_db
from unclench.core.identity import Caller, set_caller
from unclench.emg import service as emg
from unclench.sessions import service as sessions

A_KEY = "a" * 64


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    previous = logins.use_password_hasher(CHEAP)
    yield
    logins.use_password_hasher(previous)


def _fill(email: str, *, own_files: bool) -> int:
    with core_db.session_scope() as db:
        account = logins.find_account(db, email)
        assert account is not None and account.person_id is not None
        person_id = account.person_id
    with core_db.session_scope() as db:
        set_caller(db, Caller(kind="account", person_id=person_id, role="person"))
        _fill_every_domain(db, 1 if own_files else 2)
        _render_into(db, SHARED_KEY)
        if own_files:
            sessions.create_session(db, sessions.options_of(sessions.list_sessions(db)[0]), title="own")
            _render_into(db, A_KEY)
            emg.import_file(db, path=EMG_FILE.with_name("emg_fatigue.csv"))
    return person_id


def _account_rows(person_id: int) -> dict[str, int]:
    from sqlalchemy import func

    from unclench.core.db import Base

    with core_db.session_factory()() as db:
        person = Base.metadata.tables["person"]
        return {"person": db.scalar(select(func.count()).select_from(person).where(person.c.id == person_id)) or 0}


@pytest.mark.usefixtures("clinic")
def test_a_client_exports_everything_then_deletes_the_account(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    a, b = _person("a@example.org"), _person("b@example.org")
    person_a, person_b = _fill("a@example.org", own_files=True), _fill("b@example.org", own_files=False)
    b_rows, files_before = _rows_of(person_b), _files(data_dir)

    page = a.get("/privacy/data")
    assert page.status_code == 200 and "Delete my account" in page.text and 'name="password"' in page.text
    download = a.get("/privacy/data/export.zip")
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    texts = {name: archive.read(name).decode() for name in archive.namelist()}
    assert "a@example.org" in texts["account.csv"] and "person 1" in texts["tables/episode.csv"]
    assert not any("person 2" in text or "b@example.org" in text for text in texts.values())

    # Bad input deletes nothing and says why.
    wrong_password = a.post("/privacy/data/delete", data={"confirm": "DELETE", "password": "not my password"})
    assert (
        wrong_password.status_code == 422 and "That is not your password. Nothing was deleted." in wrong_password.text
    )
    no_word = a.post("/privacy/data/delete", data={"confirm": "", "password": PASSWORD})
    assert no_word.status_code == 422 and "Type DELETE in capital letters" in no_word.text
    no_password = a.post("/privacy/data/delete", data={"confirm": "DELETE"})
    assert no_password.status_code == 422 and "Type your password" in no_password.text
    assert _rows_of(person_a)["episode"] == 1 and _files(data_dir) == files_before

    with core_db.session_factory()() as db:
        account_id = logins.find_account(db, "a@example.org").id  # type: ignore[union-attr]
    done = a.post("/privacy/data/delete", data={"confirm": "DELETE", "password": PASSWORD})
    assert done.status_code == 200 and "Your account is deleted" in done.text
    assert 'unclench_session=""' in done.headers["set-cookie"]

    assert {name: n for name, n in _rows_of(person_a).items() if n} == {}  # every table, the account's too
    assert _account_rows(person_a) == {"person": 0}
    with core_db.session_factory()() as db:  # the sign-in tries that named the email (a new try below adds one)
        assert db.scalar(select(LoginAttempt).where(LoginAttempt.email == "a@example.org")) is None
    assert _rows_of(person_b) == b_rows
    left = _files(data_dir)
    assert not (data_dir / "audio" / A_KEY).exists()
    assert (data_dir / "audio" / SHARED_KEY / "session.wav").exists()  # B's session uses the same settings
    shared_raw = hashlib.sha256(EMG_FILE.read_bytes()).hexdigest()
    assert {p.name for p in left if p.parent.name == "emg"} == {f"{shared_raw}.csv"}  # B imported the same file

    assert a.get("/api/episodes").status_code == 401  # the login session went with the account
    again = _browser().post("/login", data={"email": "a@example.org", "password": PASSWORD})
    assert again.status_code == 401
    assert [e["notes"] for e in b.get("/api/episodes").json()] == ["person 2"]
    with core_db.session_factory()() as db:
        assert db.scalar(select(LoginSession).where(LoginSession.account_id == account_id)) is None
        assert audit.verify(db).intact
        entry = audit.recent_entries(db, person_id=person_a, limit=1)[0]
        assert (entry.action, entry.resource, entry.resource_ref, entry.resource_label) == (
            "person_deleted",
            "account",
            str(account_id),
            "",
        )
        assert audit.describe(entry).what == "Deleted the account and all its data"


@pytest.mark.usefixtures("clinic")
def test_a_practitioner_has_no_diary_to_delete() -> None:
    _person("a@example.org")  # makes the practitioner who invited them
    practitioner = _browser()
    assert _login(practitioner, "carer@clinic.example") == "/account/second-factor"
    _enrol(practitioner)
    refused = practitioner.post("/privacy/data/delete", data={"confirm": "DELETE", "password": PASSWORD})
    assert refused.status_code == 422 and "keeps no diary" in refused.text
    with core_db.session_factory()() as db:
        assert logins.find_account(db, "carer@clinic.example") is not None


@pytest.mark.usefixtures("clinic")
def test_signed_out_nobody_reaches_the_pages() -> None:
    nobody: TestClient = _browser()
    assert nobody.get("/privacy/data").headers["location"] == "/login"
    assert nobody.post("/privacy/data/delete", data={"confirm": "DELETE"}).headers["location"] == "/login"
