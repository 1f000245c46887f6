"""Benchmark: server time of every page on the demo diary (target ≤ 300 ms median per page).

Fills a temporary SQLite data dir with the demo person (as `unclench demo` makes them, 180 days by default), a
session and an EMG recording, then calls the app in-process (Starlette's TestClient against `create_app()`)
for every GET page of the route table outside /api, with real ids. Each page gets one warm-up and at least
7 timed runs; the script prints the first (cold: imports, caches) time, best and median per page, the median's ratio to the target, and flags the
pages over it. Run: .venv/bin/python bench/bench_pages.py [--days 180] [--runs 7] [--only insights]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_S = 0.300
EMG_FILE = Path(__file__).resolve().parents[1] / "tests" / "emg" / "data" / "emg_bursts.csv"
# Routes that are not pages: files, fragments polled by htmx, and job pages that exist only while a job runs.
NOT_PAGES = {
    "/sessions/{session_id}/progress",
    "/sessions/{session_id}/files/{name}",
    "/emg/{recording_id}/plot.png",
    "/emg/jobs/{job_id}",
    "/reports/report.pdf",
    "/reports/bundle.json",
    "/reports/diary-csv.zip",
    "/favicon.ico",
}


def page_routes(app: Any) -> list[str]:
    """Every GET route path the app serves outside /api, in the order the app registers them."""
    from fastapi.routing import APIRoute

    found: list[str] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)  # FastAPI >= 0.120 wraps included routers
            if inner is not None:
                walk(inner.routes)
            elif isinstance(route, APIRoute) and "GET" in route.methods and not route.path.startswith("/api"):
                found.append(route.path)

    walk(app.routes)
    return found


def fill_demo(days: int, seed: int) -> dict[str, str]:
    """The demo person across domains (what `unclench demo` runs), a session and an EMG recording; URL ids."""
    from sqlalchemy import select

    from unclench.accounts import devices
    from unclench.core import db as core_db
    from unclench.diary import demo as diary_demo
    from unclench.diary.models import Episode
    from unclench.emg import service as emg_service
    from unclench.screening import demo as screening_demo
    from unclench.screening import service as screening_service
    from unclench.sessions import service as sessions_service
    from unclench.sessions.schemas import SessionOptions
    from unclench.stress import demo as stress_demo
    from unclench.stress import service as stress_service

    with core_db.session_scope() as db:
        summary = diary_demo.create_demo_person(db, days=days, seed=seed)
        for extend in (screening_demo.extend_demo, stress_demo.extend_demo):
            extend(db, seed=seed, first_day=summary.first_day, last_day=summary.last_day)
        episode = db.scalars(select(Episode).order_by(Episode.started_at.desc())).first()
        triage = screening_service.latest_triage(db)
        pss = stress_service.questionnaire_history(db, "pss10")
        session = sessions_service.create_session(db, SessionOptions(minutes=10))
        recording = emg_service.import_file(db, path=EMG_FILE)
        pairing = devices.create_pairing_link(db)  # the page a phone opens from the pairing code
        assert episode is not None and triage is not None and pss
        return {
            "token": pairing.token,
            "episode_id": str(episode.id),
            "result_id": str(triage.id),
            "response_id": str(pss[-1].id),
            "slug": "pss",
            "session_id": str(session.id),
            "recording_id": str(recording.id),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", default="", help="time only pages whose path contains this text")
    args = parser.parse_args()
    runs = max(7, args.runs)

    root = Path(tempfile.mkdtemp(prefix="unclench-bench-pages-"))
    url = f"sqlite:///{root / 'demo.db'}"
    os.environ["UNCLENCH_DATABASE_URL"] = url
    os.environ["UNCLENCH_DATA_DIR"] = str(root / "data")
    try:
        from fastapi.testclient import TestClient

        from unclench.core.migrate import upgrade_database
        from unclench.web.app import create_app

        upgrade_database(url)
        start = time.perf_counter()
        ids = fill_demo(args.days, args.seed)
        print(f"demo diary: {args.days} days, filled in {time.perf_counter() - start:.1f} s")
        app = create_app()
        pages = []
        for path in page_routes(app):
            if path in NOT_PAGES:
                continue
            missing = [n for n in re.findall(r"{(\w+)}", path) if n not in ids]
            if missing:
                print(f"skipped {path}: no demo value for {missing}")
                continue
            pages.append(re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path))
        pages = [p for p in pages if args.only in p]
        over = 0
        print(f"{'page':<48} {'first':>9} {'best':>9} {'median':>9} {'median/target':>14}")
        # The person on this computer: a loopback caller on the app's own host (the request guard refuses others).
        with TestClient(app, base_url="http://127.0.0.1:8000", client=("127.0.0.1", 50000)) as client:
            for page in pages:
                t0 = time.perf_counter()
                warm = client.get(page)
                first = time.perf_counter() - t0
                if warm.status_code >= 400:
                    print(f"{page:<48} HTTP {warm.status_code}")
                    over += 1
                    continue
                times = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    client.get(page)
                    times.append(time.perf_counter() - t0)
                best, median = min(times), statistics.median(times)
                flag = "  OVER" if median > TARGET_S else ""
                over += median > TARGET_S
                print(
                    f"{page:<48} {first * 1000:7.0f} ms {best * 1000:7.0f} ms {median * 1000:7.0f} ms {median / TARGET_S:13.2f}×{flag}"
                )
        print(f"{len(pages)} pages, {over} over the {TARGET_S * 1000:.0f} ms target")
        return 1 if over else 0
    finally:
        from unclench.core import db as core_db

        core_db.dispose_engines()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
