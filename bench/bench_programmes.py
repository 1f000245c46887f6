"""Programme adherence for a practitioner's roster: `adherence_by_person` (one Core query for every client) against
the same figures read client by client (a scoped session, the current programme and `adherence` per client).

Run: .venv/bin/python bench/bench_programmes.py [--clients 200] [--runs 9] [--database-url postgresql+psycopg://…]
Each client has a programme that began four weeks ago with two sessions (daily and 3 a week) and about 40 listens
that counted. Prints wall and CPU medians in ms and the ratio per-client / batch; the roster's target is a 200-client
dashboard within 300 ms at p99 (issue 18), of which adherence should be a small part.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench_login import _medians  # (wall, CPU) medians in ms

from unclench.accounts.people import create_person
from unclench.core import clock
from unclench.core import db as core_db
from unclench.core.identity import Caller
from unclench.core.migrate import upgrade_database
from unclench.core.settings import reset_settings_cache
from unclench.core.validation import parse_input
from unclench.sessions import programmes, service
from unclench.sessions.models import LISTEN_LISTENED, Listen
from unclench.sessions.schemas import ProgrammeForm


def _fill(clients: int) -> list[int]:
    """`clients` people, each with a running programme and its listens; their ids."""
    service.start_render = lambda *args, **kwargs: None  # type: ignore[assignment]  # no audio in a benchmark
    today = clock.today()
    rng = random.Random(7)
    form = parse_input(
        ProgrammeForm,
        {
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(weeks=8)).isoformat(),
            "checkin": "daily",
            "items": [
                {"minutes": "5", "technique": "breathing", "per_week": "7"},
                {"minutes": "10", "technique": "pmr", "per_week": "3"},
            ],
        },
    )
    ids = []
    for _ in range(clients):
        with core_db.session_scope() as db:
            person_id = create_person(db, "Client").id
        with core_db.session_scope(Caller(kind="account", person_id=person_id, role="person")) as db:
            programme, sessions = programmes.save_programme(db, form, today=today)
            programme.starts_on = today - timedelta(weeks=4)
            for _ in range(40):
                moment = clock.now() - timedelta(days=rng.uniform(0, 28))
                session = rng.choice(sessions)
                db.add(Listen(session_id=session.id, started_at=moment, heard_s=200.0, status=LISTEN_LISTENED))
        ids.append(person_id)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        os.environ["UNCLENCH_DATABASE_URL"] = url
        os.environ["UNCLENCH_DATA_DIR"] = str(Path(tmp) / "data")
        reset_settings_cache()
        core_db.dispose_engines()
        upgrade_database(url)
        started = time.perf_counter()
        ids = _fill(args.clients)
        print(f"{url.split(':')[0]}: {args.clients} clients filled in {time.perf_counter() - started:.1f} s")
        today = clock.today()

        def batch() -> dict[int, Any]:
            with core_db.session_scope() as db:
                return programmes.adherence_by_person(db, ids, today=today)

        def one_by_one() -> dict[int, Any]:
            found = {}
            for person_id in ids:
                with core_db.session_scope(Caller(kind="account", person_id=person_id, role="person")) as db:
                    programme = programmes.current_programme(db, today=today)
                    if programme is not None:
                        found[person_id] = programmes.adherence(db, programme, today=today)
            return found

        assert batch() == one_by_one(), "the batch and the per-client figures differ"
        fast, fast_cpu = _medians(batch, args.runs)
        slow, slow_cpu = _medians(one_by_one, max(3, args.runs // 3))
        print(f"adherence_by_person ({args.clients} clients, one query): {fast:.1f} ms wall, {fast_cpu:.1f} ms CPU")
        print(f"per client (scoped session + 3 queries each): {slow:.1f} ms wall, {slow_cpu:.1f} ms CPU")
        print(f"ratio per-client / batch (CPU): {slow_cpu / fast_cpu:.1f}x")
        core_db.dispose_engines()


if __name__ == "__main__":
    main()
