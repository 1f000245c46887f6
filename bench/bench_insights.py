"""Benchmark: insights for 5 years of daily data, 30 factors and ~5,000 episodes (target ≤ 2 s),
and the doctor's PDF report for the same diary (target ≤ 3 s).

Prints the time of the pure statistics, of the whole service on a real SQLite database (loading
included), and of the PDF. Run: .venv/bin/python bench/bench_insights.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

DAYS = 5 * 365 + 1
CUSTOM = 21  # + 9 built-in check-in fields = 30 factors
TARGET_INSIGHTS_S = 2.0
TARGET_PDF_S = 3.0


def _time(label: str, function: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    best, median = min(times), statistics.median(times)
    print(f"{label:<58} best {best:6.3f} s   median {median:6.3f} s")
    return median


def seed(db: object, rng: np.random.Generator) -> int:
    from unclench.diary.models import CheckIn, CustomFactor, CustomFactorValue, Episode, EpisodeRegion

    first = date.today() - timedelta(days=DAYS - 1)
    factors = [CustomFactor(name=f"factor {i + 1}", kind="yesno" if i % 2 else "scale") for i in range(CUSTOM)]
    db.add_all(factors)  # type: ignore[attr-defined]
    db.flush()  # type: ignore[attr-defined]
    regions = ["calf", "eyelid", "neck_back", "jaw", "lower_back", "foot"]
    stress = np.clip(np.round(rng.normal(5, 2, DAYS)), 0, 10)
    sleep = np.clip(rng.normal(6.8, 1.0, DAYS), 3, 10)
    rate = 2.7 * np.where(np.roll(stress, 1) >= 7, 1.6, 1.0) * np.where(sleep < 6, 1.4, 1.0) / 1.25
    counts = rng.poisson(rate)
    n_episodes = 0
    for i in range(DAYS):
        day = first + timedelta(days=i)
        checkin = CheckIn(
            day=day,
            stress=int(stress[i]),
            sleep_hours=round(float(sleep[i]), 2),
            sleep_quality=int(rng.integers(2, 10)),
            caffeine_drinks=int(rng.integers(0, 6)),
            alcohol_units=float(rng.choice([0, 0, 0, 1, 2, 4])),
            exercise_minutes=int(rng.choice([0, 0, 20, 30, 60])),
            sitting_hours=float(rng.integers(2, 12)),
            fluids_litres=round(float(rng.uniform(0.8, 3)), 1),
            mood=int(rng.integers(2, 10)),
            medications=["magnesium"] if i > DAYS // 2 else [],
        )
        checkin.factor_values = [
            CustomFactorValue(
                factor_id=f.id, value=float(rng.integers(0, 2) if f.kind == "yesno" else rng.integers(0, 11))
            )
            for f in factors
        ]
        db.add(checkin)  # type: ignore[attr-defined]
        for _ in range(int(counts[i])):
            start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=int(rng.integers(0, 1440)))
            episode = Episode(
                started_at=start,
                timezone="Europe/Berlin",
                duration_s=int(rng.integers(5, 600)),
                kind=str(rng.choice(["cramp", "twitch", "spasm", "tension"])),
                intensity=int(rng.integers(1, 10)),
                pain=int(rng.integers(0, 8)),
            )
            episode.regions = [EpisodeRegion(region_id=str(rng.choice(regions)), side="left", position=0)]
            db.add(episode)  # type: ignore[attr-defined]
            n_episodes += 1
    db.flush()  # type: ignore[attr-defined]
    return n_episodes


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="unclench-bench-"))
    os.environ["UNCLENCH_DATA_DIR"] = str(tmp)
    os.environ["UNCLENCH_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("UNCLENCH_TIMEZONE", "Europe/Berlin")

    from unclench.core import db as core_db
    from unclench.core.migrate import upgrade_database
    from unclench.core.settings import get_settings
    from unclench.insights import service
    from unclench.insights.triggers import analyse_triggers

    upgrade_database(get_settings().database_url)
    rng = np.random.default_rng(42)
    with core_db.session_scope() as db:
        n_episodes = seed(db, rng)
    print(f"diary: {DAYS} days, {len(service.BUILTIN_FIELDS) + CUSTOM} factors, {n_episodes} episodes (SQLite)")

    with core_db.session_scope() as db:
        data = service.load_diary(db)
    table = data.table()
    report = analyse_triggers(table, data.factors)
    print(f"tests made: {report.tests}; clear: {len(report.clear)}")
    for finding in report.clear[:3]:
        print("  ·", finding.sentence)

    pure = _time("pure: day table + trigger statistics", lambda: analyse_triggers(data.table(), data.factors))

    def whole() -> None:
        with core_db.session_scope() as db:
            service.compute_insights(db)

    full = _time("service: load from SQLite + statistics + practice", whole)
    ok = full <= TARGET_INSIGHTS_S
    print(f"insights target ≤ {TARGET_INSIGHTS_S:.1f} s: {'met' if ok else 'NOT met'} (pure {pure:.3f} s)")

    try:
        from unclench.reports import service as reports
    except ImportError:
        print("reports: not available")
        return 0 if ok else 1

    def pdf() -> None:
        with core_db.session_scope() as db:
            options = reports.ReportOptions(first=data.last - timedelta(days=89), last=data.last)
            reports.render_pdf(db, options)

    pdf_s = _time("PDF doctor's report (last 3 months, all sections)", pdf)

    def pdf_all() -> None:
        with core_db.session_scope() as db:
            reports.render_pdf(db, reports.ReportOptions(first=data.first, last=data.last))

    pdf_all_s = _time("PDF doctor's report (whole 5 years, all sections)", pdf_all)
    pdf_ok = pdf_s <= TARGET_PDF_S
    print(
        f"PDF target ≤ {TARGET_PDF_S:.1f} s for a 3-month report: {'met' if pdf_ok else 'NOT met'}; "
        f"whole 5 years: {pdf_all_s:.2f} s ({'within' if pdf_all_s <= TARGET_PDF_S else 'over'} the target)"
    )
    return 0 if ok and pdf_ok else 1


if __name__ == "__main__":
    try:
        code = main()
    finally:
        for folder in Path(tempfile.gettempdir()).glob("unclench-bench-*"):
            if (folder / "bench.db").exists() and os.environ.get("UNCLENCH_DATA_DIR") == str(folder):
                shutil.rmtree(folder, ignore_errors=True)
    sys.exit(code)
