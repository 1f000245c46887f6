"""Benchmark the audit log: what an append costs, how long verifying 100 000 entries takes, and what the access hooks
cost the person's own queries.

Each figure is printed with its ratio to its target (ratio ≤ 1 means met):
- one append committed on its own (a request that records one entry): ≤ 5 ms beyond a one-row write committed
  alone (the commit's flush to disk is the database's cost, and on a busy shared disk it alone can exceed 5 ms);
- verifying a chain of --entries (default 100 000) entries: ≤ 5 s;
- the access hooks on a query by the person themself: ≤ 20 µs a statement (they read the caller and return),
  measured on SQLite, where no network round trip hides it.
It also prints appends inside one transaction, and concurrent appends from four threads (PostgreSQL: they queue on
the advisory lock; SQLite: on its one write lock).

The chain for the verify figure is built directly (hashes computed as `record` does, rows bulk-inserted), since a
100 000-request history would take minutes to make one request at a time.

Run: .venv/bin/python bench/bench_audit.py [--database sqlite|postgresql|both] [--entries 100000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from unclench.accounts import audit
from unclench.accounts.models import AuditEntry, AuditHead
from unclench.core.db import make_engine
from unclench.core.migrate import upgrade_database

APPEND_TARGET_MS = 5.0
VERIFY_TARGET_S = 5.0
HOOK_TARGET_US = 20.0
POSTGRES_ADMIN_URL = os.environ.get("UNCLENCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def ratio_line(label: str, value: float, target: float, unit: str) -> str:
    return f"  {label:<52} {value:10.3f} {unit:<3} target ≤ {target:g} {unit}  ratio {value / target:.2f}"


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh, migrated database of this kind, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench-audit.db'}"
            upgrade_database(url)
            yield url
        return
    name = f"unclench_bench_audit_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_log(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE audit_entry"))
        else:
            conn.execute(text("DELETE FROM audit_entry"))
        conn.execute(text("UPDATE audit_head SET seq = 0, entry_hash = :g"), {"g": audit.GENESIS})


def time_committed_appends(factory: sessionmaker[Session], count: int) -> list[float]:
    times = []
    for i in range(count):
        start = time.perf_counter()
        with factory() as db:
            audit.record(db, "export", subject_person_id=1, what=f"diary-csv {i}")
            db.commit()
        times.append(time.perf_counter() - start)
    return times


def time_appends_in_one_transaction(factory: sessionmaker[Session], count: int) -> float:
    """Median seconds per append when many share one transaction (a commit at the end)."""
    times = []
    with factory() as db:
        for i in range(count):
            start = time.perf_counter()
            audit.record(db, "data_read", subject_person_id=1, what=f"episode {i}")
            times.append(time.perf_counter() - start)
        db.commit()
    return statistics.median(times)


def time_floor(factory: sessionmaker[Session], count: int = 300) -> float:
    """Median seconds of a one-row write committed alone: the database's own round trip and commit, for scale."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        with factory() as db:
            db.execute(text("UPDATE audit_head SET seq = seq"))
            db.commit()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_concurrent_appends(factory: sessionmaker[Session], writers: int, each: int) -> float:
    """Entries per second from `writers` threads, each committing one entry at a time."""
    barrier = threading.Barrier(writers)

    def write() -> None:
        barrier.wait()
        for i in range(each):
            with factory() as db:
                audit.record(db, "data_read", subject_person_id=1, what=f"episode {i}")
                db.commit()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return writers * each / (time.perf_counter() - start)


def build_chain(engine: Engine, count: int) -> None:
    """A valid chain of `count` entries, hashed exactly as `record` hashes, inserted in batches."""
    empty_log(engine)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    prev = audit.GENESIS
    batch: list[dict[str, object]] = []
    actions = ("login", "export", "data_read", "device_paired", "logout")
    with engine.begin() as conn:
        for seq in range(1, count + 1):
            entry = AuditEntry(
                seq=seq,
                at=at + timedelta(seconds=seq),
                actor_kind="account",
                actor_role="practitioner",
                actor_person_id=None,
                actor_account_id=7,
                actor_device_id=None,
                subject_person_id=1 + seq % 50,
                action=actions[seq % len(actions)],
                resource="episode",
                resource_ref=f"{seq:032x}",
                resource_label="",
                address="192.0.2.7",
                user_agent="Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0",
                outcome="success",
                prev_hash=prev,
            )
            entry.entry_hash = audit.compute_hash(audit.hashed_fields(entry))
            prev = entry.entry_hash
            batch.append({name: getattr(entry, name) for name in (*audit.HASHED_FIELDS, "entry_hash")})
            if len(batch) == 5000:
                conn.execute(AuditEntry.__table__.insert(), batch)  # type: ignore[attr-defined]
                batch = []
        if batch:
            conn.execute(AuditEntry.__table__.insert(), batch)  # type: ignore[attr-defined]
        conn.execute(AuditHead.__table__.update().values(seq=count, entry_hash=prev))  # type: ignore[attr-defined]


def time_hook_cost(factory: sessionmaker[Session], statements: int) -> tuple[float, float]:
    """Seconds per statement for the person's own query, without and with the access hooks (best of 5 each)."""

    def run() -> float:
        with factory() as db:
            query = select(AuditHead.seq).where(AuditHead.id == audit.HEAD_ID)
            start = time.perf_counter()
            for _ in range(statements):
                db.execute(query).scalar()
            return (time.perf_counter() - start) / statements

    without, with_hooks = [], []
    for _ in range(5):  # alternate, so a busy moment on a shared machine hits both sides alike
        for name, hook in audit._HOOKS:
            if event.contains(Session, name, hook):
                event.remove(Session, name, hook)
        without.append(run())
        audit.install_access_audit()
        with_hooks.append(run())
    return min(without), min(with_hooks)


def bench(kind: str, entries: int, appends: int) -> None:
    with database(kind) as url:
        engine = make_engine(url)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        print(f"\n{kind}")
        floor_ms = time_floor(factory) * 1000
        print(f"  {'a one-row write committed alone, for scale':<52} {floor_ms:10.3f} ms")
        times = time_committed_appends(factory, appends)
        median_ms = statistics.median(times) * 1000
        print(f"  {f'append, committed alone (median of {appends})':<52} {median_ms:10.3f} ms")
        # The commit itself (a WAL flush to disk) is the database's cost, whatever was written.
        print(
            ratio_line("  of which beyond that one-row write", max(median_ms - floor_ms, 0.0), APPEND_TARGET_MS, "ms")
        )
        print(
            f"  {'append, 1000 in one transaction':<52} {time_appends_in_one_transaction(factory, 1000) * 1000:10.3f} ms"
        )
        rate = time_concurrent_appends(factory, 4, max(25, appends // 8))
        print(f"  {'appends from 4 threads at once':<52} {rate:10.0f} entries/s")
        with factory() as db:
            result = audit.verify(db)
            assert result.intact, result.message
        build_chain(engine, entries)
        with factory() as db:
            start = time.perf_counter()
            result = audit.verify(db)
            seconds = time.perf_counter() - start
        assert result.intact and result.entries == entries, result.message
        print(ratio_line(f"verify {entries} entries", seconds, VERIFY_TARGET_S, "s"))
        print(f"  {'  that is':<52} {entries / seconds:10.0f} entries/s")
        if kind == "sqlite":  # the hooks are the same Python on both; a local file keeps network noise out
            without, with_hooks = time_hook_cost(factory, 2000)
            overhead_us = (with_hooks - without) * 1e6
            print(f"  {'own query without hooks':<52} {without * 1e6:10.1f} µs")
            print(
                ratio_line("access hooks' cost on the person's own query", max(overhead_us, 0.0), HOOK_TARGET_US, "µs")
            )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--appends", type=int, default=400)
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    for kind in kinds:
        bench(kind, args.entries, args.appends)


if __name__ == "__main__":
    main()
