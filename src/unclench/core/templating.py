"""The one Jinja2 environment for server-rendered pages; each domain keeps its templates beside its views."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader

from unclench.core.formatting import duration_words, local_time
from unclench.core.models_registry import DOMAINS, domain_module

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    search = [str(PACKAGE_DIR / "web" / "templates")]
    search += [str(PACKAGE_DIR / d / "templates") for d in DOMAINS if (PACKAGE_DIR / d / "templates").is_dir()]
    engine = Jinja2Templates(directory=search[0])
    engine.env.loader = ChoiceLoader([FileSystemLoader(path) for path in search])
    engine.env.filters["local_time"] = local_time
    engine.env.filters["duration"] = duration_words
    return engine


def urgent_notices() -> list[dict[str, Any]]:
    """Urgent safety notices (a warning sign awaiting the safety check) for the banner on every page."""
    from unclench.core.db import session_scope

    provider = getattr(domain_module("screening", "service"), "safety_notices", None)
    if provider is None:
        return []
    with session_scope() as db:
        return [n for n in provider(db) if n.get("level") == "urgent"]


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """A page in the base layout; the layout shows urgent safety notices unless the page shows its own.

    The notices are passed as a function, so only pages that draw the layout's banner query them
    (not htmx fragments polled every second, nor pages with their own notices).
    """
    values = {"layout_notices": urgent_notices, **(context or {})}
    return templates().TemplateResponse(request, name, values, status_code=status_code)
