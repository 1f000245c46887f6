"""The FastAPI app factory: mounts each domain's router, static assets and error handling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.requests import HTTPConnection

from unclench import __version__
from unclench.accounts.audit import install_access_audit
from unclench.core.db import ForeignRowError, session_scope
from unclench.core.errors import FieldProblem, NotFoundError, UserInputError
from unclench.core.models_registry import DOMAINS, domain_module
from unclench.core.settings import get_settings
from unclench.core.validation import friendly_message, refuse_nul
from unclench.web import home, security, share, today
from unclench.web.access import AccessRefused, access_refused, enforce_access
from unclench.web.templating import add_page_context, render

STATIC_DIR = Path(__file__).parent / "static"


def refuse_nul_in_url(connection: HTTPConnection) -> None:
    """A NUL character in a path id or a query value is a 422 naming the parameter, never a database error.

    No id, date or name the app knows contains one, and PostgreSQL cannot compare text holding it.
    """
    params = [*connection.path_params.items(), *connection.query_params.multi_items()]
    problems = []
    for name, value in params:
        try:
            refuse_nul(name + value)
        except ValueError as exc:
            problems.append(FieldProblem(field=name.replace("\x00", "") or "query", message=str(exc)))
    if problems:
        raise UserInputError(problems)


def urgent_notices(request: Request) -> dict[str, Any]:
    """The layout's banner: urgent safety notices (a warning sign awaiting the safety check), read when drawn.

    Read with the request's own database session; a page without one (an error page) reads in a short session.
    """

    def notices() -> list[dict[str, Any]]:
        from unclench.screening.service import safety_notices

        caller = getattr(request.state, "caller", None)
        if caller is not None and caller.person_id is None:
            # No one's data (a practitioner's roster, an admin, the sign-in pages): the scoped reads could only
            # find nothing, so skip their queries (a tenth of the roster page's time under load).
            return []
        db = getattr(request.state, "db", None)
        if db is not None:
            found = safety_notices(db)
        else:
            with session_scope(getattr(request.state, "caller", None)) as own:
                found = safety_notices(own)
        return [n for n in found if n.get("level") == "urgent"]

    return {"layout_notices": notices}


def _install_practice(app: FastAPI) -> None:
    """Practitioner mode (clinic only): its pages, the consent refusal, and its hooks into sign-up and sign-in."""
    from unclench.accounts import logins
    from unclench.practice import service as practice
    from unclench.practice.views import clinic_router as practice_router
    from unclench.web.clinic_auth import NoConsent, no_consent

    app.include_router(practice_router)
    app.add_exception_handler(NoConsent, no_consent)  # type: ignore[arg-type]
    logins.on_invitation_accepted(practice.link_invited_client)
    logins.on_person_landing(practice.consent_landing)


def create_app(sharing: share.Sharing | None = None) -> FastAPI:
    """The app; `sharing` says how `serve --share` listens on the home network (None: this computer only)."""
    clinic = get_settings().clinic
    checks = [Depends(refuse_nul_in_url)]
    if clinic:
        from unclench.web.clinic_auth import require_clinic_login

        checks.append(Depends(require_clinic_login))
    else:
        # Every route passes its access policy (web/access.py) before anything else runs.
        checks.insert(0, Depends(enforce_access))
    app = FastAPI(
        dependencies=checks,
        title="unclench",
        version=__version__,
        description="Local-first diary, safety screen, relaxation sessions and EMG biofeedback for muscles that won't let go.",
        # No Swagger UI: it loads its script from a CDN and runs inline script, which the CSP refuses. The schema
        # is served below as a route like any other, so its access policy applies.
        docs_url=None,
        openapi_url=None,
        redoc_url=None,
    )
    security.install(
        app, sharing.hosts if sharing else (), clinic=clinic, clinic_hosts=get_settings().clinic_hosts if clinic else ()
    )
    if not clinic:
        share.install(app, sharing)
    app.add_exception_handler(AccessRefused, access_refused)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi_schema() -> JSONResponse:
        return JSONResponse(app.openapi())

    # Reads and changes of a person's data by anyone else (a practitioner, an admin) go into the audit log.
    install_access_audit()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    add_page_context(app, urgent_notices)
    app.include_router(home.router)
    app.include_router(today.router)
    if clinic:
        from unclench.accounts.views import clinic_router
        from unclench.web.clinic_auth import SignInNeeded, sign_in_needed

        app.include_router(clinic_router)
        app.add_exception_handler(SignInNeeded, sign_in_needed)  # type: ignore[arg-type]
        _install_practice(app)
    for domain in DOMAINS:
        views = domain_module(domain, "views")
        router = getattr(views, "router", None)
        if router is not None:
            app.include_router(router)
        clinic_only = getattr(views, "clinic_router", None) if clinic else None
        if clinic_only is not None and domain != "accounts":  # accounts' is mounted above, before the domains'
            app.include_router(clinic_only)

    @app.exception_handler(UserInputError)
    def user_input_error(request: Request, exc: UserInputError) -> Response:
        def where(field: str) -> str:
            if field in request.path_params:
                return "path"
            return "query" if field in request.query_params else "body"

        detail = [
            {
                "loc": [where(p.field), p.field] if p.row is None else ["body", p.row, p.field],
                "msg": p.message,
                "type": "value_error",
            }
            for p in exc.problems
        ]
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": detail}, status_code=422)
        return render(request, "error.html", {"problems": exc.problems, "status": 422}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own handler echoes the input back, and a NaN or Infinity in it cannot be written as JSON;
        # the field and a plain message are what a caller needs.
        detail = [
            {"loc": list(error["loc"]), "msg": friendly_message(error), "type": error["type"]} for error in exc.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(ForeignRowError)
    def foreign_row(request: Request, exc: ForeignRowError) -> Response:
        # Only a caller who owns no data (a practitioner's or admin's account) gets here by trying to write.
        message = "This account keeps no diary of its own, so there is nothing to save here."
        if getattr(getattr(request.state, "caller", None), "writes", None) is not None:
            # A practitioner acting for a client: the client's own records are theirs to change.
            message = "This is your client's own record: only they change it. You can write notes for them."
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": message}, status_code=403)
        return render(request, "error.html", {"message": message, "status": 403}, status_code=403)

    @app.exception_handler(NotFoundError)
    def not_found(request: Request, exc: NotFoundError) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return render(request, "error.html", {"message": str(exc), "status": 404}, status_code=404)

    return app
