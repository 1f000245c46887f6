"""The "Your data" page: download everything, or delete everything (on a clinic server: the account with it)."""

from __future__ import annotations

import io

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from unclench.core.identity import caller_of
from unclench.core.web_db import DbSession
from unclench.privacy import service
from unclench.privacy.schemas import CONFIRM_WORD
from unclench.web.forms import Form, PostedForm, form_page
from unclench.web.templating import render

router = APIRouter(include_in_schema=False)

# The clinic's login-session cookie (accounts/views.SESSION_COOKIE), cleared once the account is gone.
_SESSION_COOKIE = "unclench_session"


def _page(request: Request, db: DbSession, form: Form | None = None) -> Response:
    caller = caller_of(db)
    context = {
        "kept": service.kept_counts(db),
        "word": CONFIRM_WORD,
        "clinic": caller.kind == "account",
        # A paired phone may download but not delete: wiping the diary is for the computer (or a signed-in account).
        "may_delete": caller.kind in ("local", "account") and caller.person_id is not None,
        "deleted": request.query_params.get("deleted") == "1",
    }
    return form_page(request, "privacy/data.html", context, form)


@router.get("/privacy/data")
def data_page(request: Request, db: DbSession) -> Response:
    return _page(request, db)


@router.get("/privacy/data/export.zip")
def export(db: DbSession) -> Response:
    """Everything the person keeps here as one ZIP (text only: the audio itself is listed, not included)."""
    buffer = io.BytesIO()
    service.export_everything(db, buffer)
    headers = {"Content-Disposition": f'attachment; filename="{service.export_file_name()}"'}
    return Response(buffer.getvalue(), media_type="application/zip", headers=headers)


@router.post("/privacy/data/delete")
def delete(request: Request, db: DbSession, form: PostedForm) -> Response:
    deletion = form.save(db, lambda: service.delete_everything(db, form.values))
    form.values.pop("password", None)
    if deletion is None:
        return _page(request, db, form)
    db.commit()  # the rows are gone for good before any file goes (never a row naming a missing file)
    service.remove_files(deletion)
    if deletion.account_deleted:
        response = render(request, "privacy/deleted.html", {})
        response.delete_cookie(_SESSION_COOKIE, path="/")
        return response
    return RedirectResponse("/privacy/data?deleted=1", status_code=303)
