"""Sign-in benchmark: the Argon2id parameters, what one password check costs, and that an unknown email costs
the same as a known one (so the time taken does not tell whether an account exists).

Run: .venv/bin/python bench/bench_login.py [--runs 25]
Prints medians of wall and CPU time (CPU time is what the hashing itself costs; wall time includes other load on
the machine). Targets: a password check costs >= 50 ms; unknown / known email within 0.8-1.25.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from unclench.accounts import logins
from unclench.core.db import make_engine
from unclench.core.migrate import upgrade_database

PASSWORD = "a calm blue lake at dawn"


def _medians(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(wall, cpu) median in milliseconds."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=25)
    runs = parser.parse_args().runs
    logging.getLogger("unclench.accounts.logins").setLevel(logging.ERROR)  # each failed try logs a warning
    hasher = logins.password_hasher()
    print(
        f"argon2id: time_cost={hasher.time_cost} memory_cost={hasher.memory_cost} KiB "
        f"parallelism={hasher.parallelism} hash_len={hasher.hash_len} salt_len={hasher.salt_len}"
    )
    stored = hasher.hash(PASSWORD)
    wall, cpu = _medians(lambda: hasher.verify(stored, PASSWORD), runs)
    print(f"one password check: median {wall:.1f} ms wall, {cpu:.1f} ms CPU (target >= 50 ms)")

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_database(url)
        engine = make_engine(url)
        with Session(engine) as db:
            logins.create_admin(db, "admin@clinic.example", PASSWORD)
            db.commit()

        def attempt(email: str, password: str) -> Callable[[], object]:
            def run() -> object:
                with Session(engine) as db:
                    outcome = logins.authenticate(db, email, password, address=f"bench-{time.perf_counter_ns()}")
                    db.rollback()  # keep the failure counters (and the lock-out) out of the measurement
                    return outcome

            return run

        logins.authenticate(Session(engine), "warm@up.example", "x", address="warm")  # the dummy hash, made once
        results = {
            "known email, right password": _medians(attempt("admin@clinic.example", PASSWORD), runs),
            "known email, wrong password": _medians(attempt("admin@clinic.example", "not it"), runs),
            "unknown email": _medians(attempt("nobody@clinic.example", "not it"), runs),
        }
        engine.dispose()
    for name, (wall, cpu) in results.items():
        print(f"login, {name}: median {wall:.1f} ms wall, {cpu:.1f} ms CPU ({runs} runs)")
    known = results["known email, wrong password"]
    unknown = results["unknown email"]
    print(f"unknown / known email: {unknown[0] / known[0]:.2f} wall, {unknown[1] / known[1]:.2f} CPU (target 0.8-1.25)")


if __name__ == "__main__":
    main()
