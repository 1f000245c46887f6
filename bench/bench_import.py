"""Benchmark: importing a 200 MB diary CSV (1.3 M episodes) — target ≤ 120 s and ≤ 500 MB peak memory.

Writes the file into a temporary folder, then imports it into a fresh SQLite database in a child process,
so the peak resident memory printed is the import's alone. Before the streaming import (issue "bad input never
breaks the app"), this file took ~25 min and 11.3 GB.

Run: .venv/bin/python bench/bench_import.py [--episodes 1300000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TARGET_S = 120.0
TARGET_PEAK_MB = 500.0
REGIONS = ["calf:left", "calf:right", "eyelid:left", "jaw:both", "foot:right"]
KINDS = ["twitch", "tic", "cramp", "spasm", "tension"]
NOTE = "woke with it after a long day at the desk; stretched, warm shower, then it eased off slowly " * 1


def write_episodes(folder: Path, count: int) -> Path:
    """`count` valid episodes, one every ~7 minutes back from 2026-01-01, with ~100-character notes."""
    from unclench.diary.csvio import EPISODE_COLUMNS, EPISODES_FILE

    rng = random.Random(7)
    path = folder / EPISODES_FILE
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(EPISODE_COLUMNS)
        for i in range(count):
            moment = (start - timedelta(minutes=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            writer.writerow(
                [
                    f"{i:032x}",
                    moment,
                    "Europe/Berlin",
                    rng.randint(5, 3600),
                    "no",
                    rng.choice(KINDS),
                    rng.randint(0, 10),
                    rng.randint(0, 10),
                    rng.choice(REGIONS),
                    "stretching",
                    NOTE,
                    moment,
                ]
            )
    return path


def child(folder: Path) -> None:
    """Import `folder` into a fresh database under a temporary data dir; print the seconds taken."""
    data_dir = Path(tempfile.mkdtemp(prefix="unclench-bench-import-"))
    os.environ["UNCLENCH_DATA_DIR"] = str(data_dir)
    os.environ["UNCLENCH_DATABASE_URL"] = f"sqlite:///{data_dir / 'bench.db'}"
    from unclench.core.db import session_scope
    from unclench.core.migrate import upgrade_database
    from unclench.diary import csvio

    upgrade_database(os.environ["UNCLENCH_DATABASE_URL"])
    start = time.perf_counter()
    with session_scope() as db:
        summary = csvio.import_diary(db, folder)
    print(f"{time.perf_counter() - start:.3f} {summary.episodes}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=1_300_000)
    parser.add_argument("--child", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="unclench-bench-csv-") as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        path = write_episodes(folder, args.episodes)
        size_mb = path.stat().st_size / 1e6
        print(f"wrote {args.episodes:,} episodes, {size_mb:.0f} MB, in {time.perf_counter() - began:.1f} s")
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(folder)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
            raise SystemExit(done.returncode)
        seconds_text, imported = done.stdout.split()
        seconds = float(seconds_text)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux reports KiB
        assert int(imported) == args.episodes, (imported, args.episodes)
        scale = 1_300_000 / args.episodes
        print(f"import: {seconds:7.1f} s   target {TARGET_S:.0f} s   ratio {seconds / TARGET_S:.2f}", end="")
        print(f"   (scaled to 1.3 M: {seconds * scale:.1f} s)" if scale != 1 else "")
        print(f"peak RSS: {peak_mb:7.0f} MB  target {TARGET_PEAK_MB:.0f} MB  ratio {peak_mb / TARGET_PEAK_MB:.2f}")


if __name__ == "__main__":
    main()
