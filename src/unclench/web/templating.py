"""Server-rendered pages: `render()` draws a template from the one Jinja2 environment in the base layout.

Values every page's layout may show (such as the urgent safety banner) come from page-context providers that
the app registers (`add_page_context`), so this module reaches into no domain and opens no database session.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from unclench.core.jinja import environment
from unclench.web.security import request_csrf_token

# A provider gets the request and returns values for the layout; values that cost a query should be
# callables, so only pages that draw that part of the layout pay for them (not htmx fragments polled each second).
PageContextProvider = Callable[[Request], dict[str, Any]]


def _csrf_token(context: Context) -> str:
    return request_csrf_token(getattr(context.get("request"), "state", None))


@pass_context
def csrf_input(context: Context) -> Markup:
    """The hidden CSRF field; put it first in every form (the guard looks at a form body's first field only)."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(_csrf_token(context)))


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    env = environment()
    env.globals["csrf_input"] = csrf_input
    env.globals["csrf_token"] = pass_context(_csrf_token)
    return Jinja2Templates(env=env)


def add_page_context(app: FastAPI, provider: PageContextProvider) -> None:
    """Register a provider whose values every page rendered by this app receives (a page's own values win)."""
    if not hasattr(app.state, "page_context"):
        app.state.page_context = []
    app.state.page_context.append(provider)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """A page in the base layout, with the app's page-context values under the page's own."""
    values: dict[str, Any] = {}
    for provider in getattr(request.app.state, "page_context", ()):
        values.update(provider(request))
    values.update(context or {})
    return templates().TemplateResponse(request, name, values, status_code=status_code)
