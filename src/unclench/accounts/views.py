"""The person's access log (/privacy/access-log, on every app) and the clinic sign-in pages: sign in (password, then the second factor), sign out, TOTP, passwords, invitations.

Mounted on every app, used only on a clinic server (the guard in `web/clinic_auth.py` sends a local app's visitor
nowhere near them). Each route's access policy is in ROUTE_POLICIES, which the request guard enforces.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from unclench.accounts import audit, logins
from unclench.accounts.models import Account, LoginSession
from unclench.accounts.schemas import (
    AcceptInvitationIn,
    CodeIn,
    InviteIn,
    LoginIn,
    NewPasswordIn,
    PasswordChangeIn,
    ResetIssueIn,
)
from unclench.core.errors import FieldProblem, NotFoundError
from unclench.core.identity import caller_of
from unclench.core.web_db import DbSession
from unclench.web.forms import Form, PostedForm, form_page
from unclench.web.templating import render

# Not named `router`: the app mounts these only on a clinic server (web/clinic_auth.py), never on a person's own.
clinic_router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "unclench_session"

# Who may open each route: "public" (anyone), "second_factor" (password given, second factor maybe still to
# give), "account" (fully signed in), "admin", "practitioner", "person" (a signed-in client), "client" (a
# practitioner acting for the consenting client in the path, web/clinic_auth.py). Every other route needs "account".
ROUTE_POLICIES: dict[tuple[str, str], str] = {
    ("/login", "GET"): "public",
    ("/login", "POST"): "public",
    ("/invite/{token}", "GET"): "public",
    ("/invite/{token}", "POST"): "public",
    ("/reset/{token}", "GET"): "public",
    ("/reset/{token}", "POST"): "public",
    ("/login/second-factor", "GET"): "second_factor",
    ("/login/second-factor", "POST"): "second_factor",
    ("/account/second-factor", "GET"): "second_factor",
    ("/account/second-factor", "POST"): "second_factor",
    ("/logout", "POST"): "second_factor",
    ("/account", "GET"): "account",
    ("/account/password", "GET"): "account",
    ("/account/password", "POST"): "account",
    # Deleting one's account (privacy/views.py): the person's own, named so a clinic never leaves it to a default.
    ("/privacy/data/delete", "POST"): "account",
    ("/admin/invite", "GET"): "admin",
    ("/admin/invite", "POST"): "admin",
    ("/admin/reset", "GET"): "admin",
    ("/admin/reset", "POST"): "admin",
    ("/clients/invite", "GET"): "practitioner",
    ("/clients/invite", "POST"): "practitioner",
    # practitioner mode (practice/views.py): the client's own sharing pages, the roster, a client's pages
    ("/sharing", "GET"): "person",
    ("/sharing/consent", "GET"): "person",
    ("/sharing/consent", "POST"): "person",
    ("/sharing/{link_id}/revoke", "POST"): "person",
    ("/sharing/consents.fhir.json", "GET"): "person",
    ("/sharing/notes", "GET"): "person",
    ("/clinic", "GET"): "practitioner",
    ("/clinic/clients/{person_id}", "GET"): "client",
    ("/clinic/clients/{person_id}/report.pdf", "GET"): "client",
    ("/clinic/clients/{person_id}/notes", "GET"): "client",
    ("/clinic/clients/{person_id}/notes", "POST"): "client",
    # A practitioner's pages about one client (`/clinic/clients/{person_id}/…`): the caller acts for that client
    # within the client's consent (web/clinic_auth.py).
    ("/clinic/clients/{person_id}/programme", "GET"): "client",
    ("/clinic/clients/{person_id}/programme", "POST"): "client",
}


def address_of(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else ""


def current_login(request: Request, db: Session) -> tuple[LoginSession, Account]:
    """The request's live login session and account (the guard has already refused a request without one)."""
    found = logins.resolve_session(db, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise NotFoundError("You are not signed in.")
    return found


def _with_session(request: Request, response: Response, token: str) -> Response:
    # Secure whenever the request came over HTTPS: a clinic server runs behind TLS (docs/ARCHITECTURE.md).
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/"
    )
    return response


def _go(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _refuse(form: Form, field: str, message: str) -> None:
    form.problems.append(FieldProblem(field, message))


# --- sign in and out -----------------------------------------------------------------------------------------


@clinic_router.get("/login")
def login_page(request: Request) -> Response:
    return form_page(request, "accounts/login.html", {})


@clinic_router.post("/login")
def login(request: Request, db: DbSession, form: PostedForm) -> Response:
    outcome = form.submit(
        db, LoginIn, lambda valid: logins.authenticate(db, valid.email, valid.password, address=address_of(request))
    )
    if outcome is None or outcome.account is None:
        if outcome is not None:
            _refuse(form, "password", outcome.problem)
        form.values.pop("password", None)
        status = outcome.status if outcome is not None else 422
        return form_page(request, "accounts/login.html", {}, form, status=status)
    account = outcome.account
    second = logins.needs_second_factor(account)
    # A fresh session id at sign-in: whatever id the browser held before is never valid after.
    token = logins.start_session(
        db, account, second_factor_done=not second, replacing=request.cookies.get(SESSION_COOKIE)
    )
    if not second:
        target = logins.person_landing(db, account) if account.role == "person" else "/account"
    else:
        target = "/login/second-factor" if account.totp_confirmed else "/account/second-factor"
    return _with_session(request, _go(target), token)


@clinic_router.get("/login/second-factor")
def second_factor_page(request: Request, db: DbSession) -> Response:
    current_login(request, db)
    return form_page(request, "accounts/second_factor.html", {})


@clinic_router.post("/login/second-factor")
def second_factor(request: Request, db: DbSession, form: PostedForm) -> Response:
    _, account = current_login(request, db)
    ok = form.submit(
        db, CodeIn, lambda valid: logins.verify_second_factor(db, account, valid.code, address=address_of(request))
    )
    if not ok:
        if ok is not None:
            _refuse(form, "code", "That code does not match. Type the six digits your app shows now.")
        return form_page(request, "accounts/second_factor.html", {}, form, status=401 if ok is False else 422)
    token = logins.start_session(db, account, second_factor_done=True, replacing=request.cookies.get(SESSION_COOKIE))
    target = logins.person_landing(db, account) if account.role == "person" else "/account"
    return _with_session(request, _go(target), token)


@clinic_router.post("/logout")
def logout(request: Request, db: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    found = logins.resolve_session(db, token)
    if token:
        logins.end_session(db, token)
    if found is not None:
        logins.record_login_event(db, "logout", account=found[1], address=address_of(request))
    response = _go("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- the account's own settings ------------------------------------------------------------------------------


@clinic_router.get("/account")
def account_page(request: Request, db: DbSession) -> Response:
    _, account = current_login(request, db)
    return form_page(request, "accounts/account.html", {"account": account})


@clinic_router.get("/account/second-factor")
def enrol_page(request: Request, db: DbSession) -> Response:
    _, account = current_login(request, db)
    if account.totp_confirmed:
        # Never replace a working second factor here: on a half-signed-in session that would let someone with
        # only the password enrol their own phone. A lost phone is what the recovery codes are for.
        return _go("/account")
    return form_page(request, "accounts/enrol.html", _enrolment(account, logins.begin_totp(db, account)))


def _enrolment(account: Account, uri: str) -> dict[str, Any]:
    return {"account": account, "qr": logins.totp_qr_svg(uri), "secret": account.totp_secret}


@clinic_router.post("/account/second-factor")
def enrol(request: Request, db: DbSession, form: PostedForm) -> Response:
    login_session, account = current_login(request, db)
    if account.totp_confirmed:
        return _go("/account")
    codes = form.submit(
        db, CodeIn, lambda valid: logins.confirm_totp(db, account, valid.code, address=address_of(request))
    )
    if codes is None:
        # The secret stays the one the app already holds, so the person can simply type the next code.
        return form_page(request, "accounts/enrol.html", _enrolment(account, logins.totp_uri(account)), form)
    response = form_page(request, "accounts/recovery_codes.html", {"codes": codes})
    if not login_session.second_factor_done:  # the first sign-in of an account that must have a second factor
        logins.record_login_event(db, "login", account=account, address=address_of(request))
        token = logins.start_session(
            db, account, second_factor_done=True, replacing=request.cookies.get(SESSION_COOKIE)
        )
        _with_session(request, response, token)
    return response


@clinic_router.get("/account/password")
def password_page(request: Request) -> Response:
    return form_page(request, "accounts/password.html", {})


@clinic_router.post("/account/password")
def change_password(request: Request, db: DbSession, form: PostedForm) -> Response:
    _, account = current_login(request, db)
    done = form.submit(
        db,
        PasswordChangeIn,
        lambda valid: logins.change_password(
            db, account, valid.current_password, valid.password, address=address_of(request)
        ),
    )
    form.values = {}
    if done is None:
        return form_page(request, "accounts/password.html", {}, form)
    return form_page(request, "accounts/password.html", {"changed": True})


# --- invitations and resets ----------------------------------------------------------------------------------


@clinic_router.get("/invite/{token}")
def invitation_page(request: Request, token: str, db: DbSession) -> Response:
    role = logins.invitation_role(db, token)
    return form_page(request, "accounts/accept.html", {"role": role}, status=200 if role else 404)


@clinic_router.post("/invite/{token}")
def accept(request: Request, token: str, db: DbSession, form: PostedForm) -> Response:
    role = logins.invitation_role(db, token)
    account = form.submit(
        db,
        AcceptInvitationIn,
        lambda valid: logins.accept_invitation(db, token, valid.email, valid.password, address=address_of(request)),
    )
    if account is None:
        form.values = {"email": form.text("email")}
        return form_page(request, "accounts/accept.html", {"role": role}, form)
    return _go("/login")


@clinic_router.get("/reset/{token}")
def reset_page(request: Request, token: str, db: DbSession) -> Response:
    valid = logins.reset_is_valid(db, token)
    return form_page(request, "accounts/reset.html", {"valid": valid}, status=200 if valid else 404)


@clinic_router.post("/reset/{token}")
def reset(request: Request, token: str, db: DbSession, form: PostedForm) -> Response:
    account = form.submit(
        db, NewPasswordIn, lambda valid: logins.reset_password(db, token, valid.password, address=address_of(request))
    )
    if account is None:
        form.values = {}
        return form_page(request, "accounts/reset.html", {"valid": logins.reset_is_valid(db, token)}, form)
    return _go("/login")


def _link(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


@clinic_router.get("/admin/invite")
def admin_invite_page(request: Request) -> Response:
    return form_page(request, "accounts/invite.html", {"roles": logins.MAY_INVITE["admin"], "action": "/admin/invite"})


@clinic_router.post("/admin/invite")
def admin_invite(request: Request, db: DbSession, form: PostedForm) -> Response:
    return _invite(request, db, form, "/admin/invite")


@clinic_router.get("/clients/invite")
def client_invite_page(request: Request) -> Response:
    context = {"roles": logins.MAY_INVITE["practitioner"], "action": "/clients/invite"}
    return form_page(request, "accounts/invite.html", context)


@clinic_router.post("/clients/invite")
def client_invite(request: Request, db: DbSession, form: PostedForm) -> Response:
    return _invite(request, db, form, "/clients/invite")


def _invite(request: Request, db: Session, form: Form, action: str) -> Response:
    _, account = current_login(request, db)
    token = form.submit(db, InviteIn, lambda valid: logins.invite(db, account, valid.role, address=address_of(request)))
    context: dict[str, Any] = {"roles": logins.MAY_INVITE.get(account.role, ()), "action": action}
    if token is not None:
        context |= {"link": _link(request, f"/invite/{token}"), "code": token}
    return form_page(request, "accounts/invite.html", context, form)


@clinic_router.get("/admin/reset")
def admin_reset_page(request: Request) -> Response:
    return form_page(request, "accounts/issue_reset.html", {})


@clinic_router.post("/admin/reset")
def admin_reset(request: Request, db: DbSession, form: PostedForm) -> Response:
    _, admin = current_login(request, db)
    token = form.submit(
        db, ResetIssueIn, lambda valid: logins.issue_reset(db, admin, valid.email, address=address_of(request))
    )
    context = {"link": _link(request, f"/reset/{token}")} if token else {}
    return form_page(request, "accounts/issue_reset.html", context, form)


# --- the access log (every app) ---

router = APIRouter()

PER_PAGE = 50


@router.get("/privacy/access-log", include_in_schema=False)
def access_log(
    request: Request,
    db: DbSession,
    page: int = Query(1, ge=1, le=2**31 - 1, description="Page of entries, newest first"),
    check: bool = Query(False, description="Also check the whole chain"),
) -> Response:
    person_id = caller_of(db).person_id
    entries = audit.entries_for(db, person_id, page=page, per_page=PER_PAGE) if person_id is not None else None
    context = {
        "log": entries,
        "rows": [audit.describe(entry) for entry in entries.entries] if entries else [],
        "checked": audit.verify(db) if check else None,
    }
    return render(request, "accounts/access_log.html", context)


@router.get("/privacy/access-log/audit-events.json", tags=["privacy"], summary="Your access log as FHIR AuditEvents")
def access_log_fhir(db: DbSession) -> Response:
    person_id = caller_of(db).person_id
    if person_id is not None:
        audit.record_export(db, audit.What("audit-fhir"))
    entries = audit.all_entries(db, person_id=person_id) if person_id is not None else iter(())
    bundle = audit.fhir_bundle(entries)
    headers = {"Content-Disposition": 'attachment; filename="unclench-access-log.fhir.json"'}
    return Response(
        json.dumps(bundle, indent=2, ensure_ascii=False), media_type="application/fhir+json", headers=headers
    )
