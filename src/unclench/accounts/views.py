"""The person's access log (/privacy/access-log): who did what with their data, a check of the chain, FHIR."""

from __future__ import annotations

import json

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from unclench.accounts import audit
from unclench.core.identity import caller_of
from unclench.core.web_db import DbSession
from unclench.web.templating import render

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
