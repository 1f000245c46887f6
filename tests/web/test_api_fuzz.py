"""Schemathesis fuzzes every `/api` operation from the app's own OpenAPI schema: no 5xx, and declared responses fit.

Each operation gets the schema's boundary and wrong-type cases (the coverage phase) plus MAX_EXAMPLES generated
requests, derived from the operation alone, so a failure reproduces on the next run. For a deeper, one-off search set
UNCLENCH_FUZZ_EXAMPLES (e.g. 100). Runs on SQLite and PostgreSQL (104 tests, ~45 s of CPU; 100 s of wall time on
the shared two-core machine), so a PostgreSQL-only failure such as an INTEGER overflow is caught too.
"""

from __future__ import annotations

import os
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from starlette.types import ASGIApp, Receive, Scope, Send

from unclench.web import security
from unclench.web.app import create_app

MAX_EXAMPLES = int(os.environ.get("UNCLENCH_FUZZ_EXAMPLES", "15"))

# Reproducible: no randomness and no example database carrying inputs between runs. Set here, not in @settings:
# schemathesis ignores a @settings value that equals Hypothesis's `ci` profile, and derandomize=True is one.
config = schemathesis.Config()
config.projects.default.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
# The first insights request loads pandas and statsmodels; on a busy machine that can pass schemathesis's 10 s
# default. This test is about answers, not speed (the benchmarks measure that).
config.projects.default.update(request_timeout=120)

CSRF_COOKIE_VALUE = "schemathesis-fuzzer-cookie-0123456789"


def as_the_local_person(app: ASGIApp) -> ASGIApp:
    """The fuzzer as the person's own script on this computer: a loopback address and Host, with its CSRF cookie and
    token (schemathesis's in-process client says `Host: testserver` from the address `testclient`)."""

    async def local(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            token = security.csrf_token(CSRF_COOKIE_VALUE)  # under this test's data dir, so per request
            own = [(b"host", b"127.0.0.1"), (b"cookie", f"unclench_csrf={CSRF_COOKIE_VALUE}".encode())]
            own.append((b"x-csrf-token", token.encode()))
            kept = [(k, v) for k, v in scope["headers"] if k not in (b"host", b"cookie", b"x-csrf-token")]
            scope = {**scope, "headers": kept + own, "client": ("127.0.0.1", 50000)}
        await app(scope, receive, send)

    return local


# One app for the module: it opens the database named by the environment on each request, and `app_env` points that
# at a fresh database and data dir for every operation.
schema = schemathesis.openapi.from_asgi("/api/openapi.json", as_the_local_person(create_app()), config=config).include(
    path_regex=r"^/api/"
)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api_never_fails(case: schemathesis.Case, app_env: Path) -> None:
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
