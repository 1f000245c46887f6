"""Import every domain's models so Base.metadata knows all tables (Alembic, tests)."""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache

# Every domain package, in the order of the product's four steps. The web app, the CLI and
# Alembic discover each domain's models/views/cli modules from this one list.
DOMAINS = (
    "accounts",
    "body",
    "diary",
    "screening",
    "stress",
    "sessions",
    "emg",
    "insights",
    "reports",
    "privacy",
    "practice",
)


def domain_module(domain: str, name: str) -> object | None:
    """Import unclench.<domain>.<name> if that module exists, else None."""
    qualified = f"unclench.{domain}.{name}"
    if importlib.util.find_spec(f"unclench.{domain}") is None:
        return None
    if importlib.util.find_spec(qualified) is None:
        return None
    return importlib.import_module(qualified)


def import_all_models() -> None:
    import_models_through(DOMAINS[-1])


@cache
def import_models_through(domain: str) -> None:
    """Import the models of ``domain`` and of every domain before it in DOMAINS.

    A table's foreign keys name only its own domain's tables or an earlier domain's (a test checks this), so these
    are all the tables a flush of ``domain``'s rows must know: a diary command maps 6 tables instead of 38.
    """
    importlib.import_module("unclench.core.job_state")  # the queued jobs' progress: the app's own table, no domain's
    for earlier in DOMAINS[: DOMAINS.index(domain) + 1]:
        domain_module(earlier, "models")
