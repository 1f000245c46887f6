"""Benchmark the practitioner's roster (practice/roster.py) and the cost of narrowing a caller to categories.

Figures:
- the roster of 200 clients on PostgreSQL, each with a realistic diary (about 3 episodes a week over 12 weeks,
  daily check-ins, listens with tension ratings, a PSS-10 a month), each sharing every category: median and p95
  of building it (queries + figures + the batched audit entries), against the 300 ms the load benchmark asks of a
  whole dashboard request;
- one ORM query as the person themself and as a practitioner narrowed to some categories (core/db.py's listener
  adds one "no rows" criterion per hidden model): median per query and the ratio.

Needs PostgreSQL (UNCLENCH_BENCH_PG, default postgresql+psycopg://postgres@127.0.0.1:5432/test; a database
`bench_roster` is made and dropped).

Run: .venv/bin/python bench/bench_roster.py [--clients 200] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from typing import Any

TARGET_MS = 300.0


def history(
    person_ids: list[int], rng: random.Random, now: datetime, session_ids: dict[int, str] | None = None
) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Twelve weeks of a realistic diary per person, as rows for Core inserts: (model, rows) in insert order.

    About 3 episodes a week, daily check-ins, 20 rated listens of one session (`session_ids[person]`, else a new
    session each), a PSS-10 a month.
    """
    from unclench.diary.models import CheckIn, Episode
    from unclench.sessions.models import AudioSession, Listen
    from unclench.stress.models import QuestionnaireResponse

    episodes, checkins, sessions, listens, pss = [], [], [], [], []
    for pid in person_ids:
        for _ in range(36):
            episodes.append(
                {
                    "id": os.urandom(16).hex(),
                    "person_id": pid,
                    "started_at": now - timedelta(hours=rng.uniform(1, 84 * 24)),
                    "timezone": "Europe/Berlin",
                    "kind": "cramp",
                    "intensity": rng.randint(1, 9),
                    "notes": "",
                }
            )
        for day in range(84):
            checkins.append(
                {
                    "id": os.urandom(16).hex(),
                    "person_id": pid,
                    "day": (now - timedelta(days=day)).date(),
                    "stress": rng.randint(0, 10),
                    "medications": [],
                    "exercise_type": "",
                    "notes": "",
                }
            )
        session_id = (session_ids or {}).get(pid)
        if session_id is None:
            session_id = os.urandom(16).hex()
            sessions.append(
                {"id": session_id, "person_id": pid, "title": "bench", "options": {"technique": "breathing"}}
            )
        for _ in range(20):
            before = rng.randint(3, 9)
            listens.append(
                {
                    "id": os.urandom(16).hex(),
                    "person_id": pid,
                    "session_id": session_id,
                    "started_at": now - timedelta(hours=rng.uniform(1, 40 * 24)),
                    "status": "listened",
                    "heard_s": 600.0,
                    "tension_before": before,
                    "tension_after": max(0, before - rng.randint(0, 4)),
                }
            )
        for month in range(3):
            pss.append(
                {
                    "id": os.urandom(16).hex(),
                    "person_id": pid,
                    "instrument": "pss10",
                    "taken_at": now - timedelta(days=30 * month + 1),
                    "answers": [2] * 10,
                    "total": 20,
                    "band": "moderate",
                }
            )
    return [
        (Episode, episodes),
        (CheckIn, checkins),
        (AudioSession, sessions),
        (Listen, listens),
        (QuestionnaireResponse, pss),
    ]


def _setup(url: str, clients: int) -> int:
    from sqlalchemy import insert

    from unclench.accounts import logins
    from unclench.accounts.people import create_person
    from unclench.core import clock
    from unclench.core.db import Base, get_engine, session_scope
    from unclench.core.models_registry import import_all_models
    from unclench.practice import service as practice
    from unclench.practice.schemas import SHAREABLE, ConsentIn

    import_all_models()
    Base.metadata.create_all(get_engine())
    rng = random.Random(7)
    now = clock.now()
    with session_scope() as db:
        practitioner = logins.create_account(db, email="carer@bench.example", password="x" * 12, role="practitioner")
        person_ids = [create_person(db, f"client {i}").id for i in range(clients)]
        everything = ConsentIn(categories=list(SHAREABLE))
        for pid in person_ids:
            practice.give_consent(db, pid, practice.link_client(db, practitioner.id, pid).id, everything)
        for model, rows in history(person_ids, rng, now):
            db.execute(insert(model.__table__), rows)
        return practitioner.id


def _scoping(runs: int) -> tuple[float, float]:
    from sqlalchemy import select

    from unclench.core.db import session_factory
    from unclench.core.identity import Caller, set_caller
    from unclench.diary.models import Episode

    own = Caller(kind="account", person_id=2, role="person")
    narrowed = Caller(
        kind="account",
        person_id=2,
        role="practitioner",
        account_id=1,
        categories=frozenset({"diary", "stress", "programme", "notes"}),
        writes=frozenset({"notes"}),
    )
    medians = []
    for caller in (own, narrowed):
        with session_factory()() as db:
            set_caller(db, caller)
            query = select(Episode).limit(5)
            db.scalars(query).all()
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                for _ in range(200):
                    db.scalars(query).all()
                times.append((time.perf_counter() - start) / 200 * 1000)
            medians.append(statistics.median(times))
    return medians[0], medians[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    base = os.environ.get("UNCLENCH_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    from sqlalchemy import create_engine, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS bench_roster"))
        conn.execute(text("CREATE DATABASE bench_roster"))
    url = base.rsplit("/", 1)[0] + "/bench_roster"
    os.environ["UNCLENCH_DATABASE_URL"] = url
    os.environ["UNCLENCH_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-roster-")
    try:
        from unclench.core.db import dispose_engines, session_scope
        from unclench.core.identity import Caller
        from unclench.practice.roster import build_roster

        practitioner_id = _setup(url, args.clients)
        caller = Caller(kind="account", person_id=None, role="practitioner", account_id=practitioner_id)
        times = []
        for _ in range(args.runs + 2):
            with session_scope(caller) as db:
                start = time.perf_counter()
                rows = build_roster(db, practitioner_id)
                times.append((time.perf_counter() - start) * 1000)
        times = times[2:]  # the first builds warm the statement cache and load SciPy
        assert len(rows) == args.clients
        p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
        median = statistics.median(times)
        print(
            f"roster of {args.clients} clients (PostgreSQL, {args.runs} builds): median {median:.1f} ms, "
            f"p95 {p95:.1f} ms; ratio to {TARGET_MS:.0f} ms: {p95 / TARGET_MS:.2f}"
        )
        own, narrowed = _scoping(args.runs)
        print(
            f"one ORM query (5 episodes): as the person {own:.3f} ms, as a narrowed practitioner {narrowed:.3f} ms; "
            f"ratio {narrowed / own:.2f}"
        )
        dispose_engines()
    finally:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS bench_roster WITH (FORCE)"))


if __name__ == "__main__":
    main()
