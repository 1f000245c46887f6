"""The doctor's report: gathered from the diary, insights, screening and stress services; HTML, PDF, CSV.

The same HTML template (``reports/doctor.html``) is the web preview and the PDF (WeasyPrint).
Other domains are read through their services (and the screening's pure medicine matcher), never their tables.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup
from sqlalchemy.orm import Session

from unclench.body.taxonomy import get_region
from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.core.jinja import environment
from unclench.diary.schemas import KIND_LABELS
from unclench.insights import service as insights_service
from unclench.insights.charts import calendar_svg, forest_plot_svg, trend_svg
from unclench.insights.daytable import COUNT, diary_day
from unclench.insights.practice import linear_trend
from unclench.reports.sections import SECTIONS
from unclench.screening import service as screening
from unclench.screening.meds import match_medication
from unclench.stress import service as stress

MAX_DAYS = 3660
CALENDAR_DAYS = 182
SELF_REPORTED = "Self-reported by the patient in the unclench diary; not a diagnosis."


@dataclass(frozen=True)
class ReportOptions:
    first: date
    last: date
    sections: tuple[str, ...] = tuple(SECTIONS)
    kind: str | None = None

    def checked(self) -> ReportOptions:
        problems = []
        if self.last < self.first:
            raise UserInputError.single("to", "the end of the period is before its start")
        if (self.last - self.first).days + 1 > MAX_DAYS:
            raise UserInputError.single("from", "a report covers at most 10 years")
        unknown = [s for s in self.sections if s not in SECTIONS]
        if unknown:
            problems.append(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
            raise UserInputError.single("sections", problems[0])
        if not self.sections:
            raise UserInputError.single("sections", "choose at least one section")
        return self


def parse_options(
    first: str | date | None, last: str | date | None, sections: str | list[str] | None = None, kind: str | None = None
) -> ReportOptions:
    """Options from form/CLI text. Default period: the last 90 days; default sections: all."""
    start, end = insights_service.parse_period(first, last)
    end = end or clock.today()
    start = start or end - timedelta(days=89)
    if sections is None or sections == "" or sections == []:
        chosen = tuple(SECTIONS)
    elif isinstance(sections, str):
        chosen = tuple(s.strip() for s in sections.split(",") if s.strip())
    else:
        chosen = tuple(sections)
    return ReportOptions(start, end, chosen, kind or None).checked()


@dataclass
class Report:
    options: ReportOptions
    generated: datetime
    context: dict[str, Any] = field(default_factory=dict)


def _region_label(region_id: str) -> str:
    try:
        return get_region(region_id).label
    except UserInputError:
        return region_id


def build_report(db: Session, options: ReportOptions) -> Report:
    """Everything the report shows, for the chosen period and sections."""
    options = options.checked()
    insights = insights_service.compute_insights(db, first=options.first, last=options.last, kind=options.kind)
    data = insights.data
    table = insights.table
    hour = data.day_starts_at
    episodes = [
        e
        for e in data.episodes
        if (not options.kind or e.kind == options.kind)
        and data.first <= diary_day(e.started_at, e.timezone, hour) <= data.last
    ]
    days = len(table)
    ctx: dict[str, Any] = {
        "sections": options.sections,
        "section_titles": SECTIONS,
        "first": data.first,
        "last": data.last,
        "days": days,
        "noun": data.noun,
        "self_reported": SELF_REPORTED,
    }
    counts = table[COUNT].to_numpy()
    intensities = [e.intensity for e in episodes]
    durations = [e.duration_s for e in episodes if e.duration_s is not None]
    checkin_days = int(table.drop(columns=[COUNT, "mean_intensity"]).notna().any(axis=1).sum()) if days else 0
    ctx["summary"] = {
        "episodes": len(episodes),
        "days_with": int((counts > 0).sum()),
        "per_week": len(episodes) / days * 7 if days else 0.0,
        "mean_intensity": statistics.fmean(intensities) if intensities else None,
        "median_duration": round(statistics.median(durations)) if durations else None,
        "checkin_days": checkin_days,
    }
    if "where" in options.sections:
        region_counts: Counter[tuple[str, str]] = Counter()
        for episode in episodes:
            for region, side in episode.regions:
                region_counts[(region, side)] += 1
        total = sum(region_counts.values()) or 1
        peak = max(region_counts.values(), default=1)
        ctx["where"] = [
            {
                "label": _region_label(region),
                "side": side,
                "count": n,
                "share": n / total,
                "bar": n / peak,
            }
            for (region, side), n in region_counts.most_common(8)
        ]
    if "calendar" in options.sections:
        day_counts = {d.date(): int(n) for d, n in table[COUNT].items() if n}
        cal_first = max(data.first, data.last - timedelta(days=CALENDAR_DAYS))
        ctx["calendar"] = calendar_svg(day_counts, set(), first=cal_first, last=data.last, mark_label="")
        ctx["calendar_first"] = cal_first
    if "kinds" in options.sections:
        rows = []
        for kind, label in KIND_LABELS.items():
            items = [e for e in episodes if e.kind == kind]
            if not items:
                continue
            kind_durations = [e.duration_s for e in items if e.duration_s is not None]
            rows.append(
                {
                    "label": label,
                    "count": len(items),
                    "intensity": statistics.fmean(e.intensity for e in items),
                    "median_duration": round(statistics.median(kind_durations)) if kind_durations else None,
                    "longest": max(kind_durations) if kind_durations else None,
                }
            )
        ctx["kinds"] = rows
    if "medications" in options.sections:
        ctx["medications"] = _medications(db, data.medications, data.first, table, data.noun)
    if "safety" in options.sections:
        ctx["safety"] = _safety(db)
    if "stress" in options.sections:
        ctx["stress"] = _stress(db, table, options)
    if "factors" in options.sections:
        clear = insights.triggers.clear[:6]
        ctx["factors"] = {
            "found": clear,
            "tests": insights.triggers.tests,
            "forest": forest_plot_svg(clear, width=620, row_height=22) if clear else Markup(""),
            "collinear": insights.triggers.collinear,
            "fdr": insights.triggers.fdr_level,
        }
    if "practice" in options.sections:
        ctx["practice"] = insights.practice
    return Report(options, clock.local_now(), ctx)


def _before_after(table: Any, day: date, noun: str, window: int = 28) -> str:
    """Episodes per week in up to `window` days before a medicine was first noted and after (within the period)."""
    counts = table[COUNT]
    started = np.datetime64(day)
    index = table.index.to_numpy()
    before = counts[(index < started) & (index >= started - np.timedelta64(window, "D"))]
    after = counts[(index >= started) & (index < started + np.timedelta64(window, "D"))]
    if len(before) < 7 or len(after) < 7:
        return ""
    rate_before = before.sum() / len(before) * 7
    rate_after = after.sum() / len(after) * 7
    return (
        f"{rate_before:.1f} {noun} a week in the {len(before)} days before, "
        f"{rate_after:.1f} in the {len(after)} days after"
    )


def _medications(db: Session, first_days: dict[str, date], first: date, table: Any, noun: str) -> list[dict[str, Any]]:
    """Medicines from check-ins (with the first day noted, and symptoms before/after) and the screening list,
    each with any known muscle side effect."""
    rows: dict[str, dict[str, Any]] = {}
    for name, day in first_days.items():
        if day <= first:
            timing = "noted from the start of this period"
        else:
            timing = f"first noted on day {(day - first).days + 1} of this period"
            change = _before_after(table, day, noun)
            if change:
                timing += f": {change}"
        rows[name.lower()] = {"name": name, "since": day, "timing": timing, "match": None}
    # The person's medicine list (screening) plus the names in this period's check-ins, each matched against
    # the screening knowledge base of muscle side effects (pure matcher, no second pass over all check-ins).
    for medication in screening.list_medications(db):
        row = rows.setdefault(
            medication.name.lower(),
            {"name": medication.name, "since": None, "timing": "on the medicine list", "match": None},
        )
        if medication.started_on is not None:  # the person's own start date beats the first day it was noted
            row["since"] = medication.started_on
    for row in rows.values():
        try:
            match = match_medication(row["name"])
        except UserInputError:
            continue
        if match.matched_name and not match.exact:  # a typo in a check-in: the doctor reads the medicine's name
            row["typed"], row["name"] = row["name"], match.matched_name
        entry = match.entry
        if entry is not None:
            source = entry.sources[0].title if entry.sources else ""
            row["match"] = {"effect": entry.effect, "evidence": entry.evidence, "source": source}
    unique: dict[str, dict[str, Any]] = {}
    for row in rows.values():  # 'atorvastatn' in a check-in and atorvastatin on the list: one row, the first kept
        unique.setdefault(row["name"].lower(), row)
    return sorted(unique.values(), key=lambda r: (r["match"] is None, r["name"].lower()))


def _safety(db: Session) -> dict[str, Any]:
    result = screening.latest_triage(db)
    out: dict[str, Any] = {"triage": None, "all_clear": None, "pending": []}
    if result is not None:
        title = result.level
        reasons: list[str] = list(result.reasons)
        try:
            title = screening.outcome_of(result).level.title
        except (UserInputError, KeyError, ValueError):  # a rule book change must not break the report
            title = result.level
        out["triage"] = {"taken_at": result.taken_at, "level": result.level, "title": title, "reasons": reasons}
    if (record := screening.latest_all_clear(db)) is not None:
        out["all_clear"] = {"checked_on": record.checked_on, "note": record.note}
    out["pending"] = screening.pending_red_flags(db)
    return out


def _stress(db: Session, table: Any, options: ReportOptions) -> dict[str, Any]:
    out: dict[str, Any] = {"weekly": [], "trend": None, "svg": Markup(""), "pss": [], "phq4": []}
    if "stress" in table.columns:
        weekly = table["stress"].resample("W-MON", label="left", closed="left").mean()
        values = [None if np.isnan(v) else float(v) for v in weekly.to_numpy()]
        out["weekly"] = values
        trend = linear_trend([np.nan if v is None else v for v in values])
        out["trend"] = trend
        if sum(v is not None for v in values) >= 2:
            out["svg"] = trend_svg(values, low=0, high=10, label="Weekly mean of daily stress (0–10)")
    for instrument, key in (("pss10", "pss"), ("phq4", "phq4")):
        rows = stress.questionnaire_history(db, instrument)
        out[key] = [
            {"taken_at": r.taken_at, "total": r.total, "band": r.band}
            for r in rows
            if options.first <= r.taken_at.date() <= options.last + timedelta(days=1)
        ]
    return out


# ---------------------------------------------------------------- rendering


def render_html(report: Report, *, preview: bool = False) -> str:
    """The report as one standalone HTML document (the PDF's source; the web preview shows the same)."""
    template = environment().get_template("reports/doctor.html")
    return template.render(
        **report.context,
        generated=report.generated,
        preview=preview,
        options=report.options,
        kind_label=KIND_LABELS.get(report.options.kind or "", ""),
    )


def render_pdf(db: Session, options: ReportOptions) -> bytes:
    """The doctor's report as PDF bytes (WeasyPrint; fonts from the system, nothing fetched)."""
    from weasyprint import HTML

    html = render_html(build_report(db, options))
    return bytes(HTML(string=html, base_url=None).write_pdf())


def export_csv_zip(db: Session) -> bytes:
    """Everything in the diary as the foundation's CSV files, zipped."""
    from unclench.diary.csvio import export_diary

    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        export_diary(db, Path(folder))
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).iterdir()):
                archive.write(path, path.name)
    return buffer.getvalue()
