"""Benchmark: "Right now" — making the two ready-made sessions, and the time from a press to the first sound.

Run: .venv/bin/python bench/bench_rightnow.py [--presses 7]
On a fresh data dir holding the demo diary (120 days) and an empty phrase cache (as after install), prints the
background render time of the 3- and 5-minute sessions (each, and both), the time a second start-up takes to find
them there (nothing rendered again), then serves the app and, in Debian's Chromium (autoplay allowed, as for a
press), presses "3 minutes" on a freshly loaded home page several times: milliseconds from the press to the
<audio> element's 'playing' event and to its clock first moving. Target: the first sound within 300 ms of a press.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

TARGET_MS = 300.0
CHROMIUM = "/usr/bin/chromium"
PRESS = """async () => {
  const audio = document.getElementById("right-now-audio-3");
  const button = document.querySelector('[data-right-now="3"]');
  const playing = new Promise((ok) => audio.addEventListener("playing", () => ok(performance.now()), { once: true }));
  const moving = new Promise((ok) => {
    const check = () => { if (audio.currentTime > 0) { ok(performance.now()); } else { requestAnimationFrame(check); } };
    requestAnimationFrame(check);
  });
  const t0 = performance.now();
  button.click();
  const [p, m] = await Promise.all([playing, moving]);
  button.click();  // stop
  return [p - t0, m - t0];
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=7)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-rightnow-"))
    os.environ["UNCLENCH_DATA_DIR"] = str(root / "data")
    os.environ["UNCLENCH_DATABASE_URL"] = f"sqlite:///{root / 'bench.db'}"
    os.environ["UNCLENCH_PHRASE_CACHE_DIR"] = str(root / "phrases")  # empty: the first start after install

    from unclench.core.db import session_scope
    from unclench.core.jobs import get_runner
    from unclench.core.migrate import upgrade_database
    from unclench.diary import demo
    from unclench.sessions import right_now

    upgrade_database(os.environ["UNCLENCH_DATABASE_URL"])
    with session_scope() as db:
        demo.create_demo_person(db, days=120, seed=7)

    started = time.perf_counter()
    with session_scope() as db:
        jobs = right_now.prepare(db)
    finished: dict[str, float] = {}
    for job in jobs:
        done = get_runner().wait(job.id, timeout=600)
        finished[job.label] = time.perf_counter() - started
        assert done.status == "done", done.error
    total = time.perf_counter() - started
    previous = 0.0
    for label, at in finished.items():
        print(f"background render, cold phrase cache: {label}: {at - previous:.1f} s")
        previous = at
    print(f"background render of both ready-made sessions: {total:.1f} s (one job worker, as in `serve`)")
    again = time.perf_counter()
    with session_scope() as db:
        assert right_now.prepare(db) == []
    print(
        f"second start-up check, audio already there (same settings hash): {1000 * (time.perf_counter() - again):.0f} ms"
    )

    import uvicorn
    from playwright.sync_api import sync_playwright

    from unclench.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
            )
            page = browser.new_page(base_url=f"http://127.0.0.1:{port}")
            to_playing, to_moving = [], []
            for _ in range(args.presses):
                page.goto("/", wait_until="load")
                playing_ms, moving_ms = page.evaluate(PRESS)
                to_playing.append(playing_ms)
                to_moving.append(moving_ms)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    median = statistics.median(to_moving)
    print(
        f"press → 'playing' event: median {statistics.median(to_playing):.0f} ms, max {max(to_playing):.0f} ms "
        f"({args.presses} presses, each on a freshly loaded home page)"
    )
    print(f"press → audio clock moving: median {median:.0f} ms, max {max(to_moving):.0f} ms")
    print(f"ratio to the {TARGET_MS:.0f} ms target (≤ 1 is good): {median / TARGET_MS:.2f}")


if __name__ == "__main__":
    main()
