"""A clinic server's accounts through the web, on PostgreSQL (clinic mode refuses SQLite).

Passwords are hashed with cheap Argon2 parameters here (the real ones are measured by bench/bench_login.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import FrozenClock, _empty_all_tables
from unclench.accounts import logins
from unclench.core import clock
from unclench.core import db as core_db
from unclench.core.settings import reset_settings_cache

PASSWORD = "a calm blue lake at dawn"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    previous = logins.use_password_hasher(CHEAP)
    yield
    logins.use_password_hasher(previous)


@pytest.fixture
def clinic(postgresql_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("UNCLENCH_DATABASE_URL", postgresql_url)
    monkeypatch.setenv("UNCLENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UNCLENCH_CLINIC", "1")
    reset_settings_cache()
    core_db.dispose_engines()
    yield postgresql_url
    core_db.dispose_engines()
    _empty_all_tables(postgresql_url)
    reset_settings_cache()


def _browser() -> TestClient:
    from tests.conftest import local_client
    from unclench.web.app import create_app

    return local_client(create_app(), follow_redirects=False)  # with its CSRF cookie and token, as a page sends it


def _admin(email: str = "admin@clinic.example") -> None:
    with core_db.session_scope() as db:
        logins.create_admin(db, email, PASSWORD)


def _login(browser: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in with the password; where the server sends the browser next."""
    response = browser.post("/login", data={"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _enrol(browser: TestClient) -> tuple[str, list[str]]:
    """Set up the authenticator from the enrolment page; the secret and the recovery codes."""
    page = browser.get("/account/second-factor")
    assert page.status_code == 200 and "<svg" in page.text
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page.text)
    assert secret is not None
    wrong = browser.post("/account/second-factor", data={"code": "000000"})
    assert wrong.status_code == 422 and "does not match" in wrong.text
    done = browser.post("/account/second-factor", data={"code": pyotp.TOTP(secret[1]).at(clock.now())})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{10})</code></li>", done.text)
    assert len(codes) == 10
    return secret[1], codes


def _signed_in_admin(browser: TestClient) -> None:
    _admin()
    assert _login(browser, "admin@clinic.example") == "/account/second-factor"
    assert browser.get("/").headers["location"] == "/account/second-factor"  # nothing else until enrolled
    _enrol(browser)


def _invitation(browser: TestClient, action: str, role: str) -> str:
    response = browser.post(action, data={"role": role})
    assert response.status_code == 200, response.text
    link = re.search(r'class="invite-link">[^<]*(/invite/[^<]+)</code>', response.text)
    assert link is not None
    return link[1]


def _accept(link: str, email: str) -> None:
    response = _browser().post(link, data={"email": email, "password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 303, response.text


def _person(email: str) -> TestClient:
    """A client invited by a practitioner (invited by the admin), signed in: a browser with their cookie."""
    with core_db.session_scope() as db:
        practitioner = logins.find_account(db, "carer@clinic.example")
        if practitioner is None:
            admin = logins.find_account(db, "admin@clinic.example") or logins.create_admin(
                db, "admin@clinic.example", PASSWORD
            )
            practitioner = logins.accept_invitation(
                db, logins.invite(db, admin, "practitioner"), "carer@clinic.example", PASSWORD
            )
        token = logins.invite(db, practitioner, "person")
    _accept(f"/invite/{token}", email)
    browser = _browser()
    assert _login(browser, email) == "/sharing/consent"  # invited by a practitioner: asked to consent first
    return browser


def test_invitations_bring_in_a_practitioner_then_a_client(clinic: str) -> None:
    admin = _browser()
    _signed_in_admin(admin)
    link = _invitation(admin, "/admin/invite", "practitioner")
    assert admin.post("/admin/invite", data={"role": "person"}).status_code == 422  # admins invite practitioners
    _accept(link, "Carer@Clinic.example")
    again = _browser().post(
        link, data={"email": "other@clinic.example", "password": PASSWORD, "password_again": PASSWORD}
    )
    assert again.status_code == 422 and "invitation does not work" in again.text  # an invitation works once

    practitioner = _browser()
    assert _login(practitioner, "carer@clinic.example") == "/account/second-factor"  # required for practitioners
    _enrol(practitioner)
    assert practitioner.get("/admin/invite").status_code == 403
    client_link = _invitation(practitioner, "/clients/invite", "person")
    _accept(client_link, "client@example.org")
    client = _browser()
    assert (
        _login(client, "client@example.org") == "/sharing/consent"
    )  # optional for clients: straight in, to the consent page
    assert client.get("/").status_code == 200
    assert client.get("/clients/invite").status_code == 403


def test_an_invitation_expires(clinic: str, frozen_clock: FrozenClock) -> None:
    with core_db.session_scope() as db:
        admin = logins.create_admin(db, "admin@clinic.example", PASSWORD)
        token = logins.invite(db, admin, "practitioner")
    frozen_clock.shift(logins.INVITATION_VALID_FOR + timedelta(minutes=1))
    assert _browser().get(f"/invite/{token}").status_code == 404


def test_sign_in_and_out_and_a_wrong_password(clinic: str) -> None:
    client = _person("client@example.org")
    cookie = client.cookies["unclench_session"]
    assert client.get("/api/episodes").status_code == 200
    wrong = _browser().post("/login", data={"email": "client@example.org", "password": "not the password"})
    assert wrong.status_code == 401 and "do not match" in wrong.text
    unknown = _browser().post("/login", data={"email": "nobody@example.org", "password": PASSWORD})
    assert unknown.status_code == 401 and unknown.text.count("do not match") == wrong.text.count("do not match")
    assert client.post("/logout").headers["location"] == "/login"
    stale = _browser()
    stale.cookies.set("unclench_session", cookie)
    assert stale.get("/").headers["location"] == "/login"
    assert stale.get("/api/episodes").status_code == 401


def test_without_signing_in_a_page_goes_to_login_and_the_api_and_live_stream_refuse(clinic: str) -> None:
    from starlette.testclient import WebSocketDenialResponse

    browser = _browser()
    assert browser.get("/timeline").headers["location"] == "/login"
    assert browser.get("/timeline", headers={"HX-Request": "true"}).headers["HX-Redirect"] == "/login"
    assert browser.get("/api/episodes").status_code == 401
    assert browser.get("/login").status_code == 200
    with pytest.raises(WebSocketDenialResponse), browser.websocket_connect("/emg/ws/live?board=synthetic"):
        pass


def test_lock_out_after_repeated_failures_and_unlock_later(clinic: str, frozen_clock: FrozenClock) -> None:
    _person("client@example.org").post("/logout")
    browser = _browser()
    for _ in range(logins.LOCK_AFTER_FAILURES):
        assert browser.post("/login", data={"email": "client@example.org", "password": "wrong"}).status_code == 401
    locked = browser.post("/login", data={"email": "client@example.org", "password": PASSWORD})
    assert locked.status_code == 423 and "locked" in locked.text
    frozen_clock.shift(logins.LOCK_FOR + timedelta(seconds=1))
    assert _login(browser, "client@example.org") == "/sharing/consent"


def test_many_failures_from_one_address_are_rate_limited(clinic: str, frozen_clock: FrozenClock) -> None:
    _person("client@example.org").post("/logout")
    browser = _browser()
    for n in range(logins.RATE_LIMIT_FAILURES):
        browser.post("/login", data={"email": f"guess{n}@example.org", "password": "wrong"})
    limited = browser.post("/login", data={"email": "client@example.org", "password": PASSWORD})
    assert limited.status_code == 429 and "Too many attempts" in limited.text
    frozen_clock.shift(logins.RATE_LIMIT_WINDOW + timedelta(seconds=1))
    assert _login(browser, "client@example.org") == "/sharing/consent"


def test_second_factor_and_a_recovery_code_that_works_once(clinic: str) -> None:
    admin = _browser()
    _signed_in_admin(admin)
    admin.post("/logout")
    browser = _browser()
    assert _login(browser, "admin@clinic.example") == "/login/second-factor"
    assert browser.get("/account").headers["location"] == "/login/second-factor"
    # The half-signed-in session cannot replace the second factor with the intruder's own phone.
    assert browser.get("/account/second-factor").headers["location"] == "/account"
    with core_db.session_scope() as db:
        account = logins.find_account(db, "admin@clinic.example")
        assert account is not None and account.totp_confirmed
    assert browser.post("/login/second-factor", data={"code": "123456"}).status_code == 401
    codes = _recovery_codes_of_a_fresh_admin(browser)
    assert browser.post("/login/second-factor", data={"code": codes[0]}).status_code == 303
    assert browser.get("/account").status_code == 200
    browser.post("/logout")
    _login(browser, "second@clinic.example")
    assert browser.post("/login/second-factor", data={"code": codes[0]}).status_code == 401  # used up


def test_a_code_from_the_app_works_once(clinic: str, frozen_clock: FrozenClock) -> None:
    admin = _browser()
    _admin()
    _login(admin, "admin@clinic.example")
    secret, _ = _enrol(admin)
    used = pyotp.TOTP(secret).at(clock.now())  # the code enrolment just accepted
    admin.post("/logout")
    _login(admin, "admin@clinic.example")
    assert admin.post("/login/second-factor", data={"code": used}).status_code == 401  # seen: not again
    frozen_clock.shift(timedelta(seconds=30))
    fresh = pyotp.TOTP(secret).at(clock.now())
    assert admin.post("/login/second-factor", data={"code": fresh}).headers["location"] == "/account"


def _recovery_codes_of_a_fresh_admin(browser: TestClient) -> list[str]:
    """A second admin enrolled on another browser; `browser` then signs in as them (password step only)."""
    other = _browser()
    with core_db.session_scope() as db:
        admin = logins.find_account(db, "admin@clinic.example")
        assert admin is not None
        logins.accept_invitation(db, logins.invite(db, admin, "admin"), "second@clinic.example", PASSWORD)
    _login(other, "second@clinic.example")
    _, codes = _enrol(other)
    browser.post("/logout")
    assert _login(browser, "second@clinic.example") == "/login/second-factor"
    return codes


def test_password_change(clinic: str) -> None:
    client = _person("client@example.org")
    wrong = client.post(
        "/account/password",
        data={"current_password": "nope", "password": "a new long password", "password_again": "a new long password"},
    )
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    short = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": "short", "password_again": "short"}
    )
    assert short.status_code == 422 and "at least 12" in short.text
    done = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "a new long password", "password_again": "a new long password"},
    )
    assert done.status_code == 200 and "changed" in done.text
    assert _browser().post("/login", data={"email": "client@example.org", "password": PASSWORD}).status_code == 401
    assert _login(_browser(), "client@example.org", "a new long password") == "/sharing/consent"


def test_admin_reset_link_works_once_and_expires(clinic: str, frozen_clock: FrozenClock) -> None:
    client = _person("client@example.org")
    admin = _browser()
    _login(admin, "admin@clinic.example")
    _enrol(admin)
    issued = admin.post("/admin/reset", data={"email": "client@example.org"})
    link = re.search(r'class="reset-link">[^<]*(/reset/[^<]+)</code>', issued.text)
    assert link is not None
    new = {"password": "another long password", "password_again": "another long password"}
    assert _browser().post(link[1], data=new).status_code == 303
    assert client.get("/").headers["location"] == "/login"  # every session of the account ended
    assert _browser().post(link[1], data=new).status_code == 422  # once
    assert _login(_browser(), "client@example.org", "another long password") == "/sharing/consent"
    later = re.search(r"(/reset/[^<]+)</code>", admin.post("/admin/reset", data={"email": "client@example.org"}).text)
    assert later is not None
    frozen_clock.shift(logins.RESET_VALID_FOR + timedelta(seconds=1))
    assert _browser().get(later[1]).status_code == 404


def test_a_session_id_from_before_sign_in_is_never_valid_after(clinic: str) -> None:
    _person("client@example.org").post("/logout")
    attacked = _browser()
    attacked.cookies.set("unclench_session", "chosen-by-an-attacker")  # beside the browser's CSRF cookie
    signed_in = attacked.post("/login", data={"email": "client@example.org", "password": PASSWORD})
    assert signed_in.status_code == 303
    assert signed_in.cookies["unclench_session"] not in ("", "chosen-by-an-attacker")
    planted = _browser()
    planted.cookies.set("unclench_session", "chosen-by-an-attacker")
    assert planted.get("/").headers["location"] == "/login"
    # The id the browser held before the second step (a half session) is not the one after it either.
    admin = _browser()  # the admin _person made
    _login(admin, "admin@clinic.example")
    half = admin.cookies["unclench_session"]
    _enrol(admin)
    assert admin.cookies["unclench_session"] != half
    stale = _browser()
    stale.cookies.set("unclench_session", half)
    assert stale.get("/account").headers["location"] == "/login"


def test_idle_and_absolute_time_outs(clinic: str, frozen_clock: FrozenClock) -> None:
    client = _person("client@example.org")
    frozen_clock.shift(logins.IDLE_TIMEOUT - timedelta(minutes=1))
    assert client.get("/").status_code == 200  # in use: the idle clock starts again
    frozen_clock.shift(logins.IDLE_TIMEOUT + timedelta(seconds=1))
    assert client.get("/").headers["location"] == "/login"

    steady = _browser()  # requests within a minute of the last written use do not write it again
    _login(steady, "client@example.org")
    frozen_clock.shift(logins.IDLE_TIMEOUT - logins.SEEN_EVERY / 2)
    assert steady.get("/").status_code == 200  # written: older than SEEN_EVERY
    frozen_clock.shift(logins.SEEN_EVERY / 4)
    assert steady.get("/").status_code == 200  # not written: the idle clock still runs from the request before
    frozen_clock.shift(logins.IDLE_TIMEOUT - logins.SEEN_EVERY / 8)
    assert steady.get("/").headers["location"] == "/login"

    busy = _browser()
    _login(busy, "client@example.org")
    for _ in range(int(logins.ABSOLUTE_TIMEOUT / timedelta(minutes=20))):
        assert busy.get("/api/episodes").status_code == 200
        frozen_clock.shift(timedelta(minutes=20))
    assert busy.get("/api/episodes").status_code == 401  # however active, twelve hours is the end


def test_each_client_sees_only_their_own_diary(clinic: str) -> None:
    first, second = _person("first@example.org"), _person("second@example.org")
    episode = {
        "started_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "kind": "spasm",
        "intensity": 5,
        "regions": [{"region": "lower_back", "side": "left"}],
    }
    mine = first.post("/api/episodes", json={**episode, "notes": "first's"}).json()["id"]
    second.post("/api/episodes", json={**episode, "notes": "second's"})
    assert [e["notes"] for e in first.get("/api/episodes").json()] == ["first's"]
    assert [e["notes"] for e in second.get("/api/episodes").json()] == ["second's"]
    assert second.get(f"/api/episodes/{mine}").status_code == 404
    assert "first&#39;s" not in second.get("/timeline").text and "second&#39;s" not in first.get("/timeline").text
    practitioner = _browser()
    _login(practitioner, "carer@clinic.example")
    _enrol(practitioner)
    assert practitioner.get("/api/episodes").json() == []  # no consent, no one's data (practitioner issue)
    assert practitioner.post("/api/episodes", json=episode).status_code == 403


def test_unknown_email_costs_one_hash_like_a_known_one(clinic: str) -> None:
    checks: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            checks.append("verify")
            return super().verify(hash, password)

    logins.use_password_hasher(Counting(time_cost=1, memory_cost=1024, parallelism=1))
    with core_db.session_scope() as db:
        logins.create_admin(db, "admin@clinic.example", PASSWORD)
    with core_db.session_scope() as db:
        for email in ("admin@clinic.example", "nobody@clinic.example"):
            checks.clear()
            logins.authenticate(db, email, "wrong password", address="192.0.2.1")
            assert checks == ["verify"], email


def test_password_is_rehashed_when_the_parameters_change(clinic: str) -> None:
    from unclench.accounts.models import Account

    with core_db.session_scope() as db:
        logins.create_admin(db, "admin@clinic.example", PASSWORD)
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    logins.use_password_hasher(stronger)
    with core_db.session_scope() as db:
        assert logins.authenticate(db, "admin@clinic.example", PASSWORD, address="192.0.2.1").account is not None
    with core_db.session_scope() as db:
        stored = db.scalar(select(Account.password_hash))
        assert stored is not None and "m=2048,t=2" in stored and not stronger.check_needs_rehash(stored)
        assert logins.authenticate(db, "admin@clinic.example", PASSWORD, address="192.0.2.1").account is not None


def test_create_admin_command_and_clinic_mode_refuses_sqlite(
    clinic: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unclench.cli import app

    made = CliRunner().invoke(app, ["accounts", "create-admin", "Admin@Clinic.example", "--password", PASSWORD])
    assert made.exit_code == 0, made.output
    assert _login(_browser(), "admin@clinic.example") == "/account/second-factor"
    short = CliRunner().invoke(app, ["accounts", "create-admin", "b@clinic.example", "--password", "short"])
    assert short.exit_code == 2 and "at least 12" in short.output

    monkeypatch.setenv("UNCLENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'local.db'}")
    reset_settings_cache()
    refused = CliRunner().invoke(app, ["serve", "--clinic"])
    assert refused.exit_code == 2 and "needs PostgreSQL" in refused.output


def test_a_clinic_answers_only_to_its_own_names_when_they_are_set(clinic: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from unclench.core.settings import reset_settings_cache
    from unclench.web.app import create_app

    monkeypatch.setenv("UNCLENCH_CLINIC_HOSTS", "clinic.example, Clinic.example.org")
    reset_settings_cache()
    with TestClient(create_app(), base_url="https://clinic.example.org") as browser:
        assert browser.get("/login").status_code == 200
        assert browser.get("/login", headers={"Host": "clinic.example"}).status_code == 200
        rebound = browser.get("/login", headers={"Host": "evil.example"})
        assert rebound.status_code == 421 and "answers only to" in rebound.text
        assert browser.post("/login", headers={"Host": "evil.example"}, data={"email": "a@b.c"}).status_code == 421
    monkeypatch.delenv("UNCLENCH_CLINIC_HOSTS")
    reset_settings_cache()
    with TestClient(create_app(), base_url="https://any.example") as browser:  # unset: the proxy pins the Host
        assert browser.get("/login").status_code == 200
