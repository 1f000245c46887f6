"""Report builder (/reports) with preview, PDF and FHIR downloads, CSV export; JSON under /api/reports."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from unclench.accounts import audit
from unclench.core.web_db import DbSession
from unclench.diary.schemas import KIND_LABELS
from unclench.reports.sections import SECTIONS
from unclench.web.templating import render

# The report service loads the insights statistics (pandas, statsmodels) and WeasyPrint: the routes import it when
# asked, so the app starts (and its other pages answer) without them.
if TYPE_CHECKING:
    from unclench.reports import service

router = APIRouter()


def _options(first: str, last: str, sections: list[str] | None, kind: str) -> service.ReportOptions:
    from unclench.reports import service

    return service.parse_options(first or None, last or None, sections or None, kind or None)


def _record_export(db: DbSession, resource: str, options: service.ReportOptions) -> None:
    """Every download leaves a line in the person's access log."""
    # The period only: a kind filter ("cramp") says what the person has, and the log outlives a deleted account.
    audit.record_export(db, audit.What(resource, f"{options.first}..{options.last}"))


def _filename(options: service.ReportOptions, ext: str) -> str:
    return f"unclench-report-{options.first.isoformat()}-to-{options.last.isoformat()}.{ext}"


@router.get("/reports", include_in_schema=False)
def builder(
    request: Request,
    first: str = "",
    last: str = "",
    kind: str = "",
    sections: list[str] | None = Query(None),
) -> Response:
    options = _options(first, last, sections, kind)
    query = [("first", options.first.isoformat()), ("last", options.last.isoformat()), ("kind", kind)]
    query += [("sections", s) for s in options.sections]
    context: dict[str, Any] = {
        "options": options,
        "all_sections": SECTIONS,
        "kinds": KIND_LABELS,
        "kind": kind,
        "query": "&".join(f"{k}={v}" for k, v in query),
    }
    return render(request, "reports/builder.html", context)


@router.get("/reports/preview", include_in_schema=False)
def preview(
    db: DbSession, first: str = "", last: str = "", kind: str = "", sections: list[str] | None = Query(None)
) -> Response:
    from unclench.reports import service

    report = service.build_report(db, _options(first, last, sections, kind))
    return HTMLResponse(service.render_html(report, preview=True))


@router.get("/reports/report.pdf", tags=["reports"], summary="The doctor's report as PDF")
def pdf(
    db: DbSession, first: str = "", last: str = "", kind: str = "", sections: list[str] | None = Query(None)
) -> Response:
    from unclench.reports import service

    options = _options(first, last, sections, kind)
    headers = {"Content-Disposition": f'attachment; filename="{_filename(options, "pdf")}"'}
    data = service.render_pdf(db, options)
    _record_export(db, "report-pdf", options)
    return Response(data, media_type="application/pdf", headers=headers)


@router.get("/reports/bundle.json", tags=["reports"], summary="FHIR R4 Bundle of the period")
def fhir_export(db: DbSession, first: str = "", last: str = "", kind: str = "") -> Response:
    from unclench.reports import fhir

    options = _options(first, last, None, kind)
    bundle = fhir.fhir_bundle(db, options)
    _record_export(db, "report-fhir", options)
    headers = {"Content-Disposition": f'attachment; filename="{_filename(options, "fhir.json")}"'}
    return Response(json.dumps(bundle, indent=2), media_type="application/fhir+json", headers=headers)


@router.get("/reports/diary-csv.zip", tags=["reports"], summary="Everything in the diary as CSV files (zip)")
def csv_export(db: DbSession) -> Response:
    from unclench.reports import service

    headers = {"Content-Disposition": 'attachment; filename="unclench-diary-csv.zip"'}
    data = service.export_csv_zip(db)
    audit.record_export(db, audit.What("diary-csv"))
    return Response(data, media_type="application/zip", headers=headers)


@router.get("/api/reports/fhir", tags=["reports"], summary="FHIR R4 Bundle of the period (JSON)")
def fhir_api(db: DbSession, first: str = "", last: str = "", kind: str = "") -> dict[str, Any]:
    from unclench.reports import fhir

    options = _options(first, last, None, kind)
    bundle = fhir.fhir_bundle(db, options)
    _record_export(db, "report-fhir", options)
    return bundle
