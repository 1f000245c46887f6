"""Insights page (/insights) and JSON API (/api/insights)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from unclench.body.bodymap import body_map_assets, render_body_map
from unclench.body.taxonomy import get_region
from unclench.core.web_db import DbSession
from unclench.diary.schemas import KIND_LABELS
from unclench.web.templating import render

# The insights service and charts load pandas and statsmodels: the routes import them when asked, so the app
# starts (and its other pages answer) without them.
if TYPE_CHECKING:
    from unclench.insights import service

router = APIRouter()

CALENDAR_DAYS = 182


def _body_map(insights: service.Insights, days: set[Any] | None, label: str, pick_url: str) -> Any:
    from collections import Counter

    from unclench.insights.daytable import diary_day

    side_counts: Counter[tuple[str, str]] = Counter()
    wanted = insights.data.kind
    period = {d.date() for d in insights.table.index}
    chosen = days if days is not None else period
    for episode in insights.data.episodes:
        if wanted and episode.kind != wanted:
            continue
        if diary_day(episode.started_at, episode.timezone, insights.data.day_starts_at) in chosen:
            for region, side in episode.regions:
                side_counts[(region, side)] += 1
    only = insights.data.region
    selected = (only, "both" if get_region(only).lateral else "centre") if only else None
    return render_body_map(
        side_counts=side_counts,
        selected=selected,
        period_label=label,
        id_prefix="insights-map",
        pick_url=pick_url,  # a tap shows that region's statistics here, it does not log an episode
        hint="Tap a place to show only its statistics.",
    )


def page_context(db: Session, *, first: str, last: str, kind: str, factor: str, region: str = "") -> dict[str, Any]:
    from unclench.insights import service
    from unclench.insights.charts import calendar_svg, forest_plot_svg
    from unclench.insights.daytable import COUNT

    start, end = service.parse_period(first, last)
    insights = service.compute_insights(db, first=start, last=end, kind=kind or None, region=region or None)
    report = insights.triggers
    testable = [f for f in insights.data.factors if f.key in insights.table.columns]
    marked: set[Any] = set()
    mark_label = ""
    if factor:
        mark_label, marked = service.exposure_days(insights, factor)
    counts = {d.date(): int(n) for d, n in insights.table[COUNT].items() if n}
    cal_first = max(insights.data.first, insights.data.last.fromordinal(insights.data.last.toordinal() - CALENDAR_DAYS))
    map_label = f"on days with {mark_label}" if factor else "in this period"
    kept = {"first": first, "last": last, "kind": kind, "factor": factor}
    unfiltered = urlencode({k: v for k, v in kept.items() if v})
    cues, cues_waiting = service.cue_sentences(db)
    return {
        "insights": insights,
        "report": report,
        "cues": cues,
        "cues_waiting": cues_waiting,
        "plain": insights.plain,
        "forest": forest_plot_svg(report.findings),
        "calendar": calendar_svg(
            counts, marked, first=cal_first, last=insights.data.last, mark_label=mark_label or "no factor chosen"
        ),
        "regions": service.region_rates(insights, marked if factor else None),
        "body_map": _body_map(insights, marked if factor else None, map_label, f"/insights?{unfiltered}"),
        "region": region,
        "region_label": get_region(region).label if region else "",
        "clear_region_url": f"/insights?{unfiltered}",
        "body_assets": body_map_assets(),
        "factors": testable,
        "factor": factor,
        "mark_label": mark_label,
        "kinds": KIND_LABELS,
        "kind": kind,
        "first": first or insights.data.first.isoformat(),
        "last": last or insights.data.last.isoformat(),
        "day_starts_at": insights.data.day_starts_at,
        "noun": insights.data.noun,
    }


@router.get("/insights", include_in_schema=False)
def insights_page(
    request: Request,
    db: DbSession,
    first: str = "",
    last: str = "",
    kind: str = "",
    factor: str = "",
    region: str = "",
    saved: int = 0,
) -> Response:
    context = page_context(db, first=first, last=last, kind=kind, factor=factor, region=region)
    context["saved"] = saved
    return render(request, "insights/index.html", context)


@router.post("/insights/day-start", include_in_schema=False)
def save_day_start(db: DbSession, hour: int = Form(...)) -> Response:
    from unclench.insights import service

    service.set_day_start(db, hour)
    return RedirectResponse("/insights?saved=1", status_code=303)


@router.get("/api/insights", tags=["insights"], summary="Which factors go with more episodes, and does practice help")
def insights_api(db: DbSession, first: str = "", last: str = "", kind: str = "") -> dict[str, Any]:
    from unclench.insights import service

    start, end = service.parse_period(first, last)
    return service.compute_insights(db, first=start, last=end, kind=kind or None).as_dict()


@router.put("/api/insights/day-start", tags=["insights"], summary="Set the hour (0–12) your diary day starts")
def day_start_api(hour: int, db: DbSession) -> dict[str, int]:
    from unclench.insights import service

    return {"day_starts_at": service.set_day_start(db, hour)}
