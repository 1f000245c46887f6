"""Import every domain's models so Base.metadata knows all tables (Alembic, tests)."""

from __future__ import annotations

import importlib
import importlib.util

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
    importlib.import_module("unclench.core.job_state")  # the queued jobs' progress: the app's own table, no domain's
    for domain in DOMAINS:
        domain_module(domain, "models")
