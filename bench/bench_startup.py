"""Benchmark start-up: wall time of everyday CLI commands, and `unclench serve` until its first page.

Each figure is printed with its ratio to the target it must meet (ratio ≤ 1 means met), best and median of --runs:
- `unclench --help`, `log`, `episodes`, `checkin`: ≤ 0.3 s wall each, on a data dir that already holds the demo diary;
- `unclench serve`: the first HTTP 200 of `/` ≤ 2 s after the process starts; that first page itself ≤ 0.3 s; the
  first /insights, opened 4 s after start, ≤ 0.3 s (its statistics modules load in the background meanwhile).

The diary is made once in a temporary data dir (`unclench demo`); the server listens on a free loopback port and is
polled on 127.0.0.1 only, for at most 60 s. For scale it also prints Python's own start-up and the time to import
the libraries every database command needs.

Run: .venv/bin/python bench/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI_TARGET_S = 0.3
SERVE_TARGET_S = 2.0
FIRST_PAGE_TARGET_S = 0.3
INSIGHTS_AFTER_S = 4.0  # a person opens Insights some seconds after the app starts, not in the first one
SERVE_POLL_LIMIT_S = 60.0

# What any command that touches the database must load (the CLI framework, the ORM, input validation): printed
# beside the commands, so a slow machine shows as a slow floor rather than as slow code.
LIBRARY_FLOOR = "import typer, rich.console, sqlalchemy.orm, pydantic"

CLI_COMMANDS: dict[str, list[str]] = {
    "unclench --help": ["--help"],
    "unclench log jaw --kind spasm --intensity 5": ["log", "jaw", "--kind", "spasm", "--intensity", "5"],
    "unclench episodes": ["episodes"],
    "unclench checkin --stress 4 --sleep 7": ["checkin", "--stress", "4", "--sleep", "7"],
}


def unclench_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "unclench", *args]


def wall_seconds(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_root(port: int, path: str = "/") -> int | None:
    """Status of GET `path` on loopback, or None while nothing answers yet."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def serve_once(env: dict[str, str]) -> tuple[float, float, float]:
    """(seconds from spawning `unclench serve` to the first 200 of /, seconds that first page took, seconds the
    first /insights took when opened INSIGHTS_AFTER_S later — after the statistics modules loaded in the background)."""
    port = free_port()
    start = time.perf_counter()
    process = subprocess.Popen(
        unclench_command("serve", "--port", str(port)), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        while time.perf_counter() - start < SERVE_POLL_LIMIT_S:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited early: {process.stderr.read().decode() if process.stderr else ''}")
            # Wait for the port first, so the timed request is the page itself, not the connection attempts.
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            except OSError:
                time.sleep(0.01)
                continue
            page_start = time.perf_counter()
            status = get_root(port)
            if status == 200:
                done = time.perf_counter()
                time.sleep(INSIGHTS_AFTER_S)
                insights_start = time.perf_counter()
                if get_root(port, "/insights") != 200:
                    raise RuntimeError("GET /insights failed")
                return done - start, done - page_start, time.perf_counter() - insights_start
            if status is not None:
                raise RuntimeError(f"GET / answered {status}")
        raise RuntimeError(f"no answer within {SERVE_POLL_LIMIT_S:.0f} s")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def report(label: str, samples: list[float], target: float) -> None:
    best, median = min(samples), statistics.median(samples)
    print(
        f"{label:<46} best {best:6.3f} s  median {median:6.3f} s  (n={len(samples)})  "
        f"target ≤ {target:g} s: ratio {median / target:5.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (default 7)")
    parser.add_argument("--skip-serve", action="store_true", help="only the CLI commands")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="unclench-bench-"))
    # The ready-made "Right now" sessions are left unmade: this measures start-up, not rendering.
    env = {**os.environ, "UNCLENCH_DATA_DIR": str(data_dir), "UNCLENCH_PREPARE_READY": "0"}
    env.pop("UNCLENCH_DATABASE_URL", None)  # the benchmark measures the default: SQLite in the data dir
    # An installed package has its bytecode compiled (pip does it); let the untimed first run write it here too.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        subprocess.run(unclench_command("demo"), env=env, check=True, stdout=subprocess.DEVNULL)
        # One untimed run of each, so every figure is for a warm file cache and compiled bytecode.
        for command in CLI_COMMANDS.values():
            wall_seconds(unclench_command(*command), env)

        for label, code in (
            ("python -c pass (for scale)", "pass"),
            ("import typer, rich, sqlalchemy.orm, pydantic", LIBRARY_FLOOR),
        ):
            samples = [wall_seconds([sys.executable, "-c", code], env) for _ in range(args.runs)]
            print(f"{label:<46} best {min(samples):6.3f} s  median {statistics.median(samples):6.3f} s  (for scale)")
        for label, command in CLI_COMMANDS.items():
            report(label, [wall_seconds(unclench_command(*command), env) for _ in range(args.runs)], CLI_TARGET_S)

        if not args.skip_serve:
            serve_runs = [serve_once(env) for _ in range(args.runs)]
            report("unclench serve → first 200 of /", [total for total, _, _ in serve_runs], SERVE_TARGET_S)
            report("  of which the first page itself", [page for _, page, _ in serve_runs], FIRST_PAGE_TARGET_S)
            report(
                f"first /insights, {INSIGHTS_AFTER_S:g} s after start",
                [insights for _, _, insights in serve_runs],
                FIRST_PAGE_TARGET_S,
            )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
