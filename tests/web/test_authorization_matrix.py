"""Every route of the app × every kind of caller: allowed or refused, as web/access.py says.

The routes come from the app's own route table, so a new route without a policy fails here. "Allowed" means the
request got past the guard and the access check: any answer but 401 and 403 (a 404 for an id that does not
exist, or a 422 for an empty body, is the route itself answering). "Refused" means 401 (not paired) or 403.

To add a caller (person A and B, practitioner, admin on a clinic server), add a `Who` to CALLERS and the policies
it passes to its `passes`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from tests.conftest import _empty_all_tables
from unclench.accounts import devices
from unclench.core import db as core_db
from unclench.core.settings import reset_settings_cache
from unclench.web import access, security
from unclench.web.app import create_app
from unclench.web.share import Sharing

pytestmark = pytest.mark.xdist_group("matrix")

LAN_HOST = "192.168.1.5:8443"
PHONE = ("192.168.1.23", 50000)
LOOPBACK = ("127.0.0.1", 50000)
CSRF_COOKIE_VALUE = "matrix-test-cookie-value-0123456789"

# Values for path parameters: well-formed, mostly ids that do not exist (404 is "allowed past the guard").
PATH_VALUES = {"day": "2026-06-17", "slug": "pss-10", "instrument": "pss-10", "name": "session.mp3", "token": "nope"}


@dataclass(frozen=True)
class Who:
    """A kind of caller: where it connects from, its device cookie (made by `device`), and the policies it passes."""

    name: str
    address: tuple[str, int]
    passes: frozenset[str]
    device: Callable[[], str] | None = None


def _paired(revoke: bool) -> Callable[[], str]:
    def make() -> str:
        with core_db.session_scope() as db:
            link = devices.create_pairing_link(db)
            device, secret = devices.pair_device(db, link.token, "Mozilla/5.0 (iPhone) Safari")
            if revoke:
                devices.revoke_device(db, device.id)
        return secret

    return make


CALLERS = [
    Who("anonymous on the LAN", PHONE, frozenset({"public"})),
    Who("local person", LOOPBACK, frozenset({"public", "person", "desktop"})),
    Who("unpaired phone", PHONE, frozenset({"public"}), device=lambda: "a-cookie-the-app-never-made-000000"),
    Who("paired phone", PHONE, frozenset({"public", "person"}), device=_paired(revoke=False)),
    Who("revoked phone", PHONE, frozenset({"public"}), device=_paired(revoke=True)),
]


@dataclass(frozen=True)
class Endpoint:
    method: str  # an HTTP method, or WEBSOCKET
    path: str  # the template, as in the route table


def endpoints() -> list[Endpoint]:
    """Every route × method of the app; the static mount is skipped by this one explicit rule (it is `public`)."""
    found = []
    for rc in iter_route_contexts(create_app().routes):
        if isinstance(rc.original_route, Mount):
            assert rc.path in access.MOUNTS, f"mount {rc.path} has no rule in web/access.py MOUNTS"
            continue
        methods = rc.methods
        if not methods:
            found.append(Endpoint("WEBSOCKET", str(rc.path)))
            continue
        found += [Endpoint(m, str(rc.path)) for m in sorted(methods) if m != "HEAD"]
    return found


ENDPOINTS = endpoints()


def intended_policy(endpoint: Endpoint) -> str:
    """What each route should be, written apart from the table so that a wrong entry there fails here."""
    if endpoint.path == "/pair" or endpoint.path.startswith("/pair/"):
        return "public"  # a phone that is not paired yet must reach these, and they show no data
    if endpoint.path == "/devices" or endpoint.path.startswith("/devices/"):
        return "desktop"  # a phone must not pair more phones nor remove other devices
    if endpoint.path == "/privacy/data/delete":
        return "desktop"  # a paired (perhaps lost) phone may download the data but not wipe it
    return "person"


def test_every_route_has_a_policy() -> None:
    missing = [f"{e.method} {e.path}" for e in ENDPOINTS if access.policy_for(e.method, e.path) is None]
    assert missing == [], f"add these to web/access.py ROUTES: {missing}"


def test_the_policy_table_says_what_is_intended() -> None:
    wrong = [e for e in ENDPOINTS if access.policy_for(e.method, e.path) != intended_policy(e)]
    assert wrong == []


def test_the_policy_table_names_no_route_that_is_gone() -> None:
    paths = {e.path for e in ENDPOINTS}
    assert {path for _, path in access.ROUTES} - paths == set()


def test_public_routes_are_those_the_guard_lets_unpaired_callers_reach() -> None:
    for endpoint in ENDPOINTS:
        if access.policy_for(endpoint.method, endpoint.path) == "public":
            assert endpoint.path.startswith(security.PUBLIC_PREFIXES), endpoint


@pytest.fixture(scope="module")
def matrix_env(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One SQLite database and data dir for the whole matrix (runs on SQLite: access does not depend on it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("UNCLENCH_DATABASE_URL", sqlite_url)
        patch.setenv("UNCLENCH_DATA_DIR", str(tmp_path_factory.mktemp("matrix")))
        reset_settings_cache()
        core_db.dispose_engines()
        yield
        core_db.dispose_engines()
        _empty_all_tables(sqlite_url)
        reset_settings_cache()


@pytest.fixture(scope="module")
def clients(matrix_env: None) -> Iterator[dict[str, TestClient]]:
    app = create_app(Sharing(hosts=(LAN_HOST.split(":")[0],), urls=(f"https://{LAN_HOST}",)))
    made: dict[str, TestClient] = {}
    for who in CALLERS:
        base = "http://127.0.0.1" if who.address == LOOPBACK else f"http://{LAN_HOST}"
        client = TestClient(app, base_url=base, client=who.address, follow_redirects=False)
        # Every caller carries a valid CSRF cookie and token: a refusal below is the access rule's, not CSRF's.
        client.cookies.set("unclench_csrf", CSRF_COOKIE_VALUE)
        client.headers["X-CSRF-Token"] = security.csrf_token(CSRF_COOKIE_VALUE)
        if who.device is not None:
            client.cookies.set(security.DEVICE_COOKIE, who.device())
        made[who.name] = client
    yield made
    for client in made.values():
        client.close()


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "999999"), path)


def _answer(client: TestClient, endpoint: Endpoint) -> int:
    url = _url(endpoint.path)
    if endpoint.method == "WEBSOCKET":
        token = client.headers["X-CSRF-Token"]
        ws_url = f"{str(client.base_url).replace('http', 'ws', 1)}{url}?board=none&csrf_token={token}"
        try:
            with client.websocket_connect(ws_url) as ws:
                ws.receive_json()  # accepted: the route answered (an unknown board)
                return 101
        except WebSocketDenialResponse as denied:
            return denied.status_code
        except WebSocketDisconnect as closed:
            return 403 if closed.code == 1008 else 500
    if endpoint.path == "/reports/report.pdf":
        url += "?first=2026-06-18&last=2026-06-17"  # an invalid range answers at once, without drawing a PDF
    return client.request(endpoint.method, url).status_code


@pytest.mark.parametrize("who", CALLERS, ids=lambda w: w.name)
def test_each_caller_reaches_exactly_what_its_policies_allow(clients: dict[str, TestClient], who: Who) -> None:
    wrong = []
    for endpoint in ENDPOINTS:
        expected = intended_policy(endpoint) in who.passes
        status = _answer(clients[who.name], endpoint)
        allowed = status not in (401, 403)
        if allowed != expected or status >= 500:
            wrong.append(
                f"{endpoint.method} {endpoint.path}: {status}, expected {'allowed' if expected else 'refused'}"
            )
    assert wrong == [], "\n".join(wrong)


def test_an_unpaired_caller_gets_the_pairing_explanation_and_no_data(clients: dict[str, TestClient]) -> None:
    phone = clients["anonymous on the LAN"]
    page = phone.get("/")
    assert page.status_code == 401 and "Pair" in page.text and "scan" in page.text
    assert phone.get("/api/episodes").json() == {"detail": page_detail()}
    assert phone.get("/pair").status_code == 200


def page_detail() -> str:
    return "This device is not paired with unclench. Pair it from the computer unclench runs on."


def test_the_matrix_covers_every_policy() -> None:
    policies = {access.policy_for(e.method, e.path) for e in ENDPOINTS}
    assert policies == set(access.RULES)
