"""The database for web requests: one session per request, as the `DbSession` dependency routes take.

Kept apart from core.db so that commands, which never serve requests, do not load FastAPI.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from unclench.core.db import session_scope


def request_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: one session per request, committed if the handler succeeds.

    While the route runs, the session is also `request.state.db`, so the page's layout reads with it. It answers to
    the request's caller (`request.state.caller`, set by the request guard), so it sees only that person's rows.
    """
    with session_scope(getattr(request.state, "caller", None)) as session:
        request.state.db = session
        try:
            yield session
        finally:
            request.state.db = None


# Use this in routes: `db: DbSession`. Function scope makes FastAPI commit *before* the response is sent,
# so a browser following a redirect after a POST always sees what was just saved.
DbSession = Annotated[Session, Depends(request_session, scope="function")]

# An integer primary key from a URL: PostgreSQL's INTEGER stops at 2**31 - 1 (SQLite's at 2**63 - 1), and a larger
# number must be a clear 422 rather than a database overflow.
IntegerId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A row's whole-number id")]
