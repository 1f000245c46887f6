"""Sign-ins, account changes and phone pairing leave entries in the audit log, and the chain stays whole.

The clinic's part runs on PostgreSQL through the web (as tests/accounts/test_clinic.py, whose helpers it uses);
the phone's part on the local app.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.accounts.test_clinic import PASSWORD, _browser, _enrol, _login, _person
from tests.accounts.test_clinic import cheap_hashing as cheap_hashing
from tests.accounts.test_clinic import clinic as clinic
from tests.web.test_share import SHARING, _pair, _pairing_url, _phone
from unclench.accounts import audit, logins
from unclench.accounts.models import AuditEntry
from unclench.core import db as core_db
from unclench.web.app import create_app


def _entries(db: Session, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)))


def _person_id(email: str) -> int:
    with core_db.session_scope() as db:
        account = logins.find_account(db, email)
        assert account is not None and account.person_id is not None
        return account.person_id


def test_failed_and_successful_sign_ins_are_recorded_with_the_address(clinic: str) -> None:
    client = _person("client@example.org")
    person = _person_id("client@example.org")
    wrong = _browser().post("/login", data={"email": "client@example.org", "password": "not the password"})
    assert wrong.status_code == 401  # refused, and still recorded
    unknown = _browser().post("/login", data={"email": "nobody@example.org", "password": PASSWORD})
    assert unknown.status_code == 401
    with core_db.session_scope() as db:
        failed = _entries(db, "login_failed")
        assert [(e.subject_person_id, e.outcome, e.address, e.actor_kind) for e in failed] == [
            (person, "failed", "127.0.0.1", "anonymous"),
            (None, "failed", "127.0.0.1", "anonymous"),
        ]
        assert failed[1].resource_label == "nobody@example.org"
        [signed_in] = _entries(db, "login")
        assert (signed_in.subject_person_id, signed_in.actor_kind, signed_in.outcome) == (person, "account", "success")
        assert signed_in.actor_person_id == person and signed_in.address == "127.0.0.1"
    client.post("/logout")
    with core_db.session_scope() as db:
        [out] = _entries(db, "logout")
        assert out.subject_person_id == person and out.actor_account_id == signed_in.actor_account_id
        # Looking up the account at sign-in is not reading the person's data: no "data_read" lines on their log.
        assert _entries(db, "data_read") == [] and _entries(db, "data_changed") == []


def test_lock_out_is_recorded(clinic: str) -> None:
    _person("client@example.org").post("/logout")
    browser = _browser()
    for _ in range(logins.LOCK_AFTER_FAILURES + 1):
        browser.post("/login", data={"email": "client@example.org", "password": "wrong"})
    with core_db.session_scope() as db:
        assert len(_entries(db, "login_failed")) == logins.LOCK_AFTER_FAILURES
        [locked] = _entries(db, "account_locked")
        [refused] = _entries(db, "login_locked")
        assert (locked.outcome, refused.outcome) == ("denied", "denied")
        assert locked.subject_person_id == _person_id("client@example.org")


def test_a_whole_sign_in_flow_keeps_the_chain_whole_and_the_person_sees_it(clinic: str) -> None:
    # Admin: first sign-in with enrolment; invites a practitioner, who invites a client; a reset link; password change.
    with core_db.session_scope() as db:
        logins.create_admin(db, "admin@clinic.example", PASSWORD)
    admin = _browser()
    _login(admin, "admin@clinic.example")
    _enrol(admin)
    client = _person("client@example.org")
    client.post("/logout")
    wrong = _browser().post("/login", data={"email": "client@example.org", "password": "wrong one"})
    assert wrong.status_code == 401
    client = _browser()
    _login(client, "client@example.org")
    changed = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "a new long password", "password_again": "a new long password"},
    )
    assert changed.status_code == 200
    assert admin.post("/admin/reset", data={"email": "client@example.org"}).status_code == 200
    with core_db.session_scope() as db:
        actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        assert audit.verify(db).intact
    for expected in ("totp_enabled", "invitation_made", "invitation_accepted", "login", "login_failed", "logout"):
        assert expected in actions, expected
    assert actions.index("totp_enabled") < actions.index("login")  # the admin's first sign-in ends with enrolment
    assert {"password_changed", "reset_issued"} <= set(actions)
    with core_db.session_scope() as db:
        [reset] = _entries(db, "reset_issued")
        assert reset.actor_role == "admin" and reset.subject_person_id == _person_id("client@example.org")

    page = client.get("/privacy/access-log")
    assert page.status_code == 200
    for words in ("Signed in", "Tried to sign in", "Signed out", "Changed the password", "Made a password reset link"):
        assert words in page.text, words
    assert "Someone not signed in" in page.text  # the wrong password came from someone not signed in


def test_a_recovery_code_sign_in_is_recorded(clinic: str) -> None:
    with core_db.session_scope() as db:
        logins.create_admin(db, "admin@clinic.example", PASSWORD)
    admin = _browser()
    _login(admin, "admin@clinic.example")
    _, codes = _enrol(admin)
    admin.post("/logout")
    assert _login(admin, "admin@clinic.example") == "/login/second-factor"
    assert admin.post("/login/second-factor", data={"code": "999999"}).status_code == 401
    assert admin.post("/login/second-factor", data={"code": codes[0]}).status_code == 303
    with core_db.session_scope() as db:
        assert [e.outcome for e in _entries(db, "second_factor_failed")] == ["failed"]
        assert len(_entries(db, "recovery_code_used")) == 1
        assert len(_entries(db, "login")) == 2  # enrolment, then the recovery code; never after the password alone
        assert audit.verify(db).intact


# --- phones (local app) ------------------------------------------------------------------------------------------


@pytest.fixture
def desktop(app_env: Path) -> Iterator[TestClient]:
    from tests.conftest import local_client

    with local_client(create_app(SHARING)) as browser:
        yield browser


def test_pairing_and_revoking_a_phone_are_recorded(desktop: TestClient) -> None:
    url = _pairing_url(desktop)
    with core_db.session_scope() as db:
        [made] = _entries(db, "pairing_link_made")
        assert (made.subject_person_id, made.actor_kind) == (1, "local")
    phone = _phone(desktop.app)
    assert _pair(phone, url).status_code == 303
    with core_db.session_scope() as db:
        [paired] = _entries(db, "device_paired")
        assert (paired.actor_kind, paired.address, paired.resource) == ("device", "192.168.1.23", "device")
        assert paired.actor_device_id is not None and paired.resource_ref == str(paired.actor_device_id)
        assert paired.resource_label == "iPhone · Safari"
        device_id = paired.actor_device_id
    assert desktop.post(f"/devices/{device_id}/revoke", follow_redirects=False).status_code == 303
    assert desktop.post(f"/devices/{device_id}/revoke", follow_redirects=False).status_code == 303  # twice: one entry
    with core_db.session_scope() as db:
        [revoked] = _entries(db, "device_revoked")
        assert (revoked.actor_kind, revoked.resource_ref) == ("local", str(device_id))
        assert audit.verify(db).intact
    page = desktop.get("/privacy/access-log").text
    assert "Paired the phone “iPhone · Safari”" in page and "Unpaired the phone “iPhone · Safari”" in page
