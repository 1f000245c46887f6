"""Schemathesis over every `/api` operation of a clinic server, as a signed-in client, on PostgreSQL: no 5xx, and
declared responses fit the schema.

The schema is the app's own (the clinic's API is the same; its sign-in pages are not in the schema). Requests go to
one clinic app, with the client's session cookie and the CSRF cookie and token a page would send. Fewer examples
than tests/web/test_api_fuzz.py (which covers both databases for the local app): this one is about the signed-in
path, one database and one account for the whole module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import time_machine
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.accounts.test_clinic import CHEAP, _person
from tests.conftest import DEFAULT_MOMENT, _empty_all_tables
from tests.web.test_api_fuzz import as_the_local_person
from unclench.accounts import logins
from unclench.accounts.views import SESSION_COOKIE
from unclench.core import db as core_db
from unclench.core.settings import reset_settings_cache
from unclench.sessions import service as sessions_service
from unclench.web import security
from unclench.web.app import create_app

pytestmark = pytest.mark.xdist_group("fuzz-clinic")

MAX_EXAMPLES = int(os.environ.get("UNCLENCH_CLINIC_FUZZ_EXAMPLES", "5"))

config = schemathesis.Config()
config.projects.default.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
config.projects.default.update(request_timeout=120)

CSRF_COOKIE_VALUE = "schemathesis-clinic-cookie-0123456789"
# The clinic app and the client's session cookie, made by the module's fixture (the app reads clinic mode when built).
_CLINIC: dict[str, Any] = {}
# The local app serves the schema while the module is collected (the clinic keeps it behind sign-in).
LOCAL_APP = as_the_local_person(create_app())


async def as_a_signed_in_client(scope: Scope, receive: Receive, send: Send) -> None:
    """The fuzzer as a client's browser script on the clinic server: its session cookie, the CSRF cookie and token."""
    app: ASGIApp | None = _CLINIC.get("app")
    if app is None or scope["type"] != "http":
        await LOCAL_APP(scope, receive, send)
        return
    token = security.csrf_token(CSRF_COOKIE_VALUE)
    cookie = f"unclench_csrf={CSRF_COOKIE_VALUE}; {SESSION_COOKIE}={_CLINIC['session']}"
    own = [(b"host", b"clinic.example"), (b"cookie", cookie.encode()), (b"x-csrf-token", token.encode())]
    kept = [(k, v) for k, v in scope["headers"] if k not in (b"host", b"cookie", b"x-csrf-token")]
    await app({**scope, "headers": kept + own, "client": ("192.0.2.7", 50000)}, receive, send)


schema = schemathesis.openapi.from_asgi("/api/openapi.json", as_a_signed_in_client, config=config).include(
    path_regex=r"^/api/"
)


@pytest.fixture(scope="module")
def signed_in_client(postgresql_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    previous = logins.use_password_hasher(CHEAP)
    with pytest.MonkeyPatch.context() as patch, time_machine.travel(DEFAULT_MOMENT.instant, tick=False):
        patch.setenv("UNCLENCH_DATABASE_URL", postgresql_url)
        patch.setenv("UNCLENCH_DATA_DIR", str(tmp_path_factory.mktemp("clinic-fuzz")))
        patch.setenv("UNCLENCH_CLINIC", "1")
        patch.setenv("UNCLENCH_TIMEZONE", DEFAULT_MOMENT.timezone)
        # A session made by a fuzzed request would start rendering its audio: answers are what is checked here.
        patch.setattr(sessions_service, "start_render", lambda *args, **kwargs: None)
        reset_settings_cache()
        core_db.dispose_engines()
        try:
            browser = _person("fuzz@example.org")
            _CLINIC.update(app=create_app(), session=browser.cookies[SESSION_COOKIE])
            yield
        finally:
            _CLINIC.clear()
            core_db.dispose_engines()
            _empty_all_tables(postgresql_url)
            reset_settings_cache()
            logins.use_password_hasher(previous)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_clinic_api_never_fails_for_a_signed_in_client(case: schemathesis.Case, signed_in_client: None) -> None:
    response = case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
    assert response.status_code != 401, "the fuzzer must be signed in"  # else it only met the sign-in check
