"""The clinic server's authorisation matrix: every route of a clinic app × anonymous, person A, person B,
practitioner and admin, on PostgreSQL (clinic mode refuses SQLite).

A clinic route's effective policy is one of: `public` (the sign-in pages), `second_factor` (password given, second
step maybe still to come), `account` (fully signed in), `practitioner`, `admin`. The sign-in pages take theirs from
accounts/views.ROUTE_POLICIES; every other route is the person's own data, and is `account` (web/clinic_auth.py's
default), which this test requires of exactly the routes web/access.py calls `person`. So a new route without a
policy in either table fails here.

"Refused" is the sign-in check's answer: 401 (not signed in; pages go to /login — the requests here send
HX-Request so that a refusal is a status, not a redirect) or 403 "may not". A practitioner or admin passes the
check on a person's data routes but owns no diary: the central scoping shows them no one's rows, and a write that
would save a row is a 403 of its own ("keeps no diary"); this test asserts that none of person A's data reaches them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from tests.accounts.test_clinic import CHEAP, _browser, _enrol, _login, _person
from tests.accounts.test_ownership import _fill_every_domain
from tests.conftest import DEFAULT_MOMENT, _empty_all_tables
from tests.web.test_authorization_matrix import PATH_VALUES, Endpoint
from unclench.accounts import logins
from unclench.accounts.views import ROUTE_POLICIES
from unclench.core import db as core_db
from unclench.core.identity import Caller, set_caller
from unclench.core.settings import reset_settings_cache
from unclench.sessions import service as sessions_service
from unclench.web import access

pytestmark = pytest.mark.xdist_group("matrix-clinic")

# What each clinic sign-in page should be, written apart from ROUTE_POLICIES so that a wrong entry there fails.
INTENDED_CLINIC_PAGES = {
    "/login": "public",
    "/invite/{token}": "public",
    "/reset/{token}": "public",
    "/login/second-factor": "second_factor",
    "/account/second-factor": "second_factor",
    "/logout": "second_factor",
    "/account": "account",
    "/account/password": "account",
    "/admin/invite": "admin",
    "/admin/reset": "admin",
    "/clients/invite": "practitioner",
    "/privacy/data/delete": "account",  # deleting one's own account
    # practitioner mode: the client's own sharing pages, the roster, a practitioner's pages about one client
    "/sharing": "person",
    "/sharing/consent": "person",
    "/sharing/{link_id}/revoke": "person",
    "/sharing/consents.fhir.json": "person",
    "/sharing/notes": "person",
    "/clinic": "practitioner",
    "/clinic/clients/{person_id}": "client",
    "/clinic/clients/{person_id}/notes": "client",
    "/clinic/clients/{person_id}/report.pdf": "client",
    "/clinic/clients/{person_id}/programme": "client",
}

# caller → the policies it passes
# "client" routes are about person A (the path's {person_id}): only a practitioner A consents to passes them.
CALLERS = {
    "anonymous": frozenset({"public"}),
    "person A": frozenset({"public", "second_factor", "account", "person"}),
    "person B": frozenset({"public", "second_factor", "account", "person"}),
    "practitioner": frozenset({"public", "second_factor", "account", "practitioner", "client"}),  # A consents
    "practitioner without consent": frozenset({"public", "second_factor", "account", "practitioner"}),
    "practitioner after revocation": frozenset({"public", "second_factor", "account", "practitioner"}),
    "another practitioner's client": frozenset({"public", "second_factor", "account", "practitioner"}),
    "admin": frozenset({"public", "second_factor", "account", "admin"}),
}
# Signing out would end the caller's session for the rest of the matrix: it is checked last, on its own.
LOGOUT = Endpoint("POST", "/logout")


@dataclass
class Clinic:
    clients: dict[str, TestClient]
    endpoints: list[Endpoint]
    a_ids: dict[str, str]  # person A's rows: episode, session, recording, check-in day


def _endpoints(app: object) -> list[Endpoint]:
    found = []
    for rc in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        if isinstance(rc.original_route, Mount):
            assert rc.path in access.MOUNTS
            continue
        if not rc.methods:
            found.append(Endpoint("WEBSOCKET", str(rc.path)))
            continue
        found += [Endpoint(m, str(rc.path)) for m in sorted(rc.methods) if m != "HEAD"]
    return found


def intended_policy(endpoint: Endpoint) -> str:
    if endpoint.path in INTENDED_CLINIC_PAGES:
        return INTENDED_CLINIC_PAGES[endpoint.path]
    local = access.policy_for("GET" if endpoint.method == "WEBSOCKET" else endpoint.method, endpoint.path)
    assert local == "person", f"{endpoint}: a clinic route must be a sign-in page or the person's own ({local})"
    return "account"


def effective_policy(endpoint: Endpoint) -> str:
    """What web/clinic_auth.py enforces for the route."""
    from unclench.web.clinic_auth import DEFAULT_POLICY

    method = "GET" if endpoint.method == "WEBSOCKET" else endpoint.method
    return ROUTE_POLICIES.get((endpoint.path, method), DEFAULT_POLICY)


@pytest.fixture(scope="module")
def clinic(postgresql_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    """One clinic app and database; each caller signed in once (at the tests' frozen moment)."""
    previous = logins.use_password_hasher(CHEAP)
    with pytest.MonkeyPatch.context() as patch, time_machine.travel(DEFAULT_MOMENT.instant, tick=False):
        patch.setenv("UNCLENCH_DATABASE_URL", postgresql_url)
        patch.setenv("UNCLENCH_DATA_DIR", str(tmp_path_factory.mktemp("clinic-matrix")))
        patch.setenv("UNCLENCH_CLINIC", "1")
        patch.setenv("UNCLENCH_TIMEZONE", DEFAULT_MOMENT.timezone)
        # A POST that makes a session would start rendering its audio (seconds of speech synthesis per caller):
        # the matrix is about who gets past the sign-in check, so the render job is left out.
        patch.setattr(sessions_service, "start_render", lambda *args, **kwargs: None)
        reset_settings_cache()
        core_db.dispose_engines()
        try:
            person_a, person_b = _person("a@example.org"), _person("b@example.org")
            practitioner, admin = _browser(), _browser()
            _login(practitioner, "carer@clinic.example")
            _enrol(practitioner)
            _login(admin, "admin@clinic.example")
            _enrol(admin)
            clients = {
                "anonymous": _browser(),
                "person A": person_a,
                "person B": person_b,
                "practitioner": practitioner,
                "admin": admin,
            }
            a_ids = _fill_person_a()
            a_person = int(a_ids["person"])
            patch.setitem(PATH_VALUES, "person_id", str(a_person))
            clients |= _practitioners_of_a(a_person)
            yield Clinic(clients, _endpoints(person_a.app), a_ids)
        finally:
            core_db.dispose_engines()
            _empty_all_tables(postgresql_url)
            reset_settings_cache()
            logins.use_password_hasher(previous)


def _signed_in_practitioner(email: str) -> TestClient:
    with core_db.session_scope() as db:
        admin = logins.find_account(db, "admin@clinic.example")
        assert admin is not None
        logins.accept_invitation(db, logins.invite(db, admin, "practitioner"), email, "a calm blue lake at dawn")
    browser = _browser()
    _login(browser, email)
    _enrol(browser)
    return browser


def _practitioners_of_a(a_person: int) -> dict[str, TestClient]:
    """A consents to the first practitioner (everything); a second is linked without consent; a third had it and
    A revoked it; a fourth has person B as a consenting client, not A."""
    from unclench.practice import service as practice
    from unclench.practice.schemas import SHAREABLE, ConsentIn

    callers = {
        "practitioner without consent": _signed_in_practitioner("waiting@clinic.example"),
        "practitioner after revocation": _signed_in_practitioner("former@clinic.example"),
        "another practitioner's client": _signed_in_practitioner("b-carer@clinic.example"),
    }
    everything = ConsentIn(categories=list(SHAREABLE))
    with core_db.session_scope() as db:
        ids = {
            e: logins.find_account(db, e)
            for e in (
                "carer@clinic.example",
                "waiting@clinic.example",
                "former@clinic.example",
                "b-carer@clinic.example",
                "b@example.org",
            )
        }
        carer, waiting, former, b_carer, b = (ids[e] for e in ids)
        assert carer and waiting and former and b_carer and b and b.person_id
        # The carer invited A, so A is already linked to them (the invitation hook).
        practice.give_consent(db, a_person, practice.link_client(db, carer.id, a_person).id, everything)
        practice.link_client(db, waiting.id, a_person)
        revoked = practice.link_client(db, former.id, a_person)
        practice.give_consent(db, a_person, revoked.id, everything)
        practice.revoke(db, a_person, revoked.id)
        practice.give_consent(db, b.person_id, practice.link_client(db, b_carer.id, b.person_id).id, everything)
    return callers


def _fill_person_a() -> dict[str, str]:
    """One of everything for person A, through the services as A; the ids of the rows B will ask for."""
    from unclench.diary import service as diary
    from unclench.emg import service as emg
    from unclench.sessions import service as sessions

    with core_db.session_scope() as db:
        account = logins.find_account(db, "a@example.org")
        assert account is not None and account.person_id is not None
        person_id = account.person_id
    with core_db.session_scope() as db:
        set_caller(db, Caller(kind="account", person_id=person_id, role="person"))
        _fill_every_domain(db, 1)
        db.flush()
        episode = diary.list_episodes(db)[0]
        session = sessions.list_sessions(db)[0]
        recording = emg.list_recordings(db)[0]
        day = diary.list_checkins(db)[0].day
        return {
            "person": str(person_id),
            "episode": str(episode.id),
            "session": str(session.id),
            "recording": str(recording.id),
            "day": day.isoformat(),
        }


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "999999"), path)


def _answer(client: TestClient, endpoint: Endpoint) -> tuple[int, str]:
    url = _url(endpoint.path)
    if endpoint.method == "WEBSOCKET":
        token = client.headers["X-CSRF-Token"]
        try:
            with client.websocket_connect(f"ws://127.0.0.1{url}?board=none&csrf_token={token}") as ws:
                ws.receive_json()
                return 101, ""
        except WebSocketDenialResponse as denied:
            # A refused handshake is a refusal whatever its status (a page would go to /login: 303).
            return (denied.status_code, "") if denied.status_code >= 500 else (401, "")
        except WebSocketDisconnect as closed:
            return (403, "may not") if closed.code == 1008 else (500, "")
    if endpoint.path == "/reports/report.pdf":
        url += "?first=2026-06-18&last=2026-06-17"  # an invalid range answers at once, without drawing a PDF
    response = client.request(endpoint.method, url, headers={"HX-Request": "true"})
    return response.status_code, response.text


def _refused(status: int, body: str) -> bool:
    """The sign-in check's refusal, or the consent check's (a route's own 403 for a write by an account without a
    diary, or a practitioner's write to a client's record, is not one)."""
    if status == 401:
        return True
    own_refusal = "keeps no diary" in body or "only they change it" in body
    return status == 403 and ("may not" in body or ("Not for this account" in body and not own_refusal))


def test_every_clinic_route_has_the_intended_policy(clinic: Clinic) -> None:
    wrong = [f"{e.method} {e.path}" for e in clinic.endpoints if effective_policy(e) != intended_policy(e)]
    assert wrong == []
    assert {e.path for e in clinic.endpoints} >= set(INTENDED_CLINIC_PAGES)
    assert not any(e.path.startswith(("/pair", "/devices")) for e in clinic.endpoints)  # no phones on a clinic
    assert {path for path, _ in ROUTE_POLICIES} <= {e.path for e in clinic.endpoints}


@pytest.mark.parametrize("who", list(CALLERS))
def test_each_clinic_caller_reaches_exactly_what_its_policies_allow(clinic: Clinic, who: str) -> None:
    wrong = []
    for endpoint in clinic.endpoints:
        if endpoint == LOGOUT:
            continue
        expected = intended_policy(endpoint) in CALLERS[who]
        status, body = _answer(clinic.clients[who], endpoint)
        if _refused(status, body) == expected or status >= 500:
            wrong.append(
                f"{endpoint.method} {endpoint.path}: {status}, expected {'allowed' if expected else 'refused'}"
            )
    assert wrong == [], "\n".join(wrong)


def test_anonymous_pages_go_to_login_and_the_api_says_401(clinic: Clinic) -> None:
    anonymous = clinic.clients["anonymous"]
    assert anonymous.get("/timeline").headers["location"] == "/login"
    assert anonymous.get(f"/episodes/{clinic.a_ids['episode']}/edit").headers["location"] == "/login"
    assert anonymous.get("/api/episodes").status_code == 401
    assert anonymous.get("/login").status_code == 200


def _a_data_urls(ids: dict[str, str]) -> list[str]:
    return [
        f"/api/episodes/{ids['episode']}",
        f"/episodes/{ids['episode']}/edit",
        f"/api/sessions/{ids['session']}",
        f"/sessions/{ids['session']}",
        f"/api/emg/recordings/{ids['recording']}",
        f"/emg/{ids['recording']}",
        f"/api/checkins/{ids['day']}",
    ]


@pytest.mark.parametrize(
    "who", ["person B", "practitioner", "practitioner without consent", "practitioner after revocation", "admin"]
)
def test_no_one_else_gets_person_a_rows_by_id(clinic: Clinic, who: str) -> None:
    owner = clinic.clients["person A"]
    other = clinic.clients[who]
    for url in _a_data_urls(clinic.a_ids):
        assert owner.get(url).status_code == 200, url  # the ids are real: A opens each
        assert other.get(url).status_code == 404, f"{who} {url}"
    assert "person 1" in owner.get("/timeline").text
    for url in ("/timeline", "/api/episodes", "/api/sessions", "/api/emg/recordings", "/stress"):
        answer = other.get(url)
        assert answer.status_code == 200 and "person 1" not in answer.text, f"{who} {url}"
    assert other.get("/api/episodes").json() == []


def test_signing_out_is_open_to_a_signed_in_account_only(clinic: Clinic) -> None:
    anonymous = _browser()
    assert anonymous.post("/logout", headers={"HX-Request": "true"}).status_code == 401
    leaving = _browser()
    assert _login(leaving, "b@example.org") == "/sharing/consent"
    assert leaving.post("/logout").headers["location"] == "/login"
    assert leaving.get("/api/episodes").status_code == 401
