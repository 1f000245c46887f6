"""Clinic mode's sign-in check: who a request is (from the login-session cookie) and whether it may go on.

`clinic_caller` maps the cookie to a `Caller`; `require_clinic_login` (an app dependency, clinic servers only)
refuses a request its route's policy does not allow: a page goes to /login, an /api request gets 401. The request
guard (`web/security.py`) calls `clinic_caller` once it knows the server is a clinic's.
"""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from unclench.accounts import logins
from unclench.accounts.views import ROUTE_POLICIES, SESSION_COOKIE, address_of
from unclench.core.db import lookup_scope
from unclench.core.identity import Caller
from unclench.web.templating import render

# A route with no entry in ROUTE_POLICIES holds someone's data: only a fully signed-in account reaches it.
# Beyond the sign-in pages' policies: "practitioner" (the practitioner's own pages), "person" (a client's own
# sharing pages) and "client" (a practitioner's page about the client in the path's {person_id}: only with an
# open care link and a consent, and the caller is narrowed to the consented categories).
DEFAULT_POLICY = "account"


class SignInNeeded(Exception):
    """The request's route needs more than its caller has: `where` is the page that helps (sign in, second step)."""

    def __init__(self, where: str, status: int) -> None:
        super().__init__(where)
        self.where = where
        self.status = status


def clinic_caller(request: Request, db: Session) -> Caller:
    """The caller a clinic request's cookie names: the signed-in account, or anonymous (who sees no one's data)."""
    address = address_of(request)
    found = logins.resolve_session(db, request.cookies.get(SESSION_COOKIE))
    if found is None or not found[0].second_factor_done:
        return Caller(kind="anonymous", person_id=None, address=address)
    return logins.caller_for(found[1], address)


def policy_of(connection: HTTPConnection) -> str:
    route = connection.scope.get("route")
    path = getattr(route, "path", connection.url.path)
    return ROUTE_POLICIES.get((path, connection.scope.get("method", "GET")), DEFAULT_POLICY)


def require_clinic_login(connection: HTTPConnection) -> None:
    """App dependency on a clinic server: resolve the caller and enforce the route's policy."""
    policy = policy_of(connection)
    if policy == "public":
        connection.state.caller = Caller(kind="anonymous", person_id=None, address=address_of(connection))
        return
    # Its own statements, each committing at once, not a transaction: this runs before every route, and the look-up
    # reads the session and the consent (each row consistent on its own) and writes at most the session's last use.
    with lookup_scope() as db:
        found = logins.resolve_session(db, connection.cookies.get(SESSION_COOKIE))
        if found is None:
            raise SignInNeeded("/login", 401)
        login, account = found
        if policy == "second_factor":
            connection.state.caller = (
                logins.caller_for(account, address_of(connection))
                if login.second_factor_done
                else (Caller(kind="anonymous", person_id=None, address=address_of(connection)))
            )
            return
        if not login.second_factor_done:
            where = "/login/second-factor" if account.totp_confirmed else "/account/second-factor"
            raise SignInNeeded(where, 401)
        if policy in ("admin", "practitioner", "client") and account.role != (
            "admin" if policy == "admin" else "practitioner"
        ):
            raise SignInNeeded("/account", 403)
        if policy == "person" and account.role != "person":
            raise SignInNeeded("/account", 403)
        caller = logins.caller_for(account, address_of(connection))
        if policy == "client":
            # The practitioner acts for this client with what the client consents to now: read from the live
            # records on every request, so a revocation holds from the very next one.
            caller = _client_caller(db, caller, connection.path_params.get("person_id"))
        connection.state.caller = caller


def _client_caller(db: Session, practitioner: Caller, person_id: object) -> Caller:
    from unclench.practice.service import NoAccess, client_caller

    try:
        client = int(str(person_id))
    except ValueError:
        raise NoConsent("There is no such client.") from None
    try:
        return client_caller(db, practitioner, client)
    except NoAccess as refused:
        raise NoConsent(str(refused)) from None


class NoConsent(Exception):
    """A practitioner asked for a client's page without an open link and a consent: 403 with the reason."""


def no_consent(request: Request, exc: NoConsent) -> Response:
    if request.url.path.startswith("/api"):
        return JSONResponse({"detail": str(exc)}, status_code=403)
    return render(request, "error.html", {"message": str(exc), "status": 403}, status_code=403)


def sign_in_needed(request: Request, exc: SignInNeeded) -> Response:
    if request.url.path.startswith("/api"):
        message = "Sign in first." if exc.status == 401 else "This account may not do this."
        return JSONResponse({"detail": message}, status_code=exc.status)
    if request.headers.get("HX-Request") and exc.status == 401:
        # A fragment must not swap the sign-in page into itself: htmx sends the whole page there instead.
        return Response(status_code=401, headers={"HX-Redirect": exc.where})
    if exc.status == 403:
        return render(
            request, "error.html", {"message": "This account may not open this page.", "status": 403}, status_code=403
        )
    return RedirectResponse(exc.where, status_code=303)
