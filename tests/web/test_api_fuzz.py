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

from unclench.web.app import create_app

MAX_EXAMPLES = int(os.environ.get("UNCLENCH_FUZZ_EXAMPLES", "15"))

# Reproducible: no randomness and no example database carrying inputs between runs. Set here, not in @settings:
# schemathesis ignores a @settings value that equals Hypothesis's `ci` profile, and derandomize=True is one.
config = schemathesis.Config()
config.projects.default.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
# The first insights request loads pandas and statsmodels; on a busy machine that can pass schemathesis's 10 s
# default. This test is about answers, not speed (the benchmarks measure that).
config.projects.default.update(request_timeout=120)

# One app for the module: it opens the database named by the environment on each request, and `app_env` points that
# at a fresh database and data dir for every operation.
schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(), config=config).include(path_regex=r"^/api/")


@schema.parametrize()
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api_never_fails(case: schemathesis.Case, app_env: Path) -> None:
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
