"""Benchmark the request guard (web/security.py): what it adds to each request.

Figures, each the median of --runs rounds of --requests requests, with its ratio to the target (≤ 1 means met):
- the guard alone, around an app that answers "ok" at once, called directly over ASGI (no HTTP client):
  a page view from this computer, a write with its CSRF header, a form whose first field is the token, a 20 MB
  multipart upload checked from its first part, and a paired phone (one indexed SELECT in a worker thread);
  target: ≤ 0.1 ms added per request from this computer, ≤ 1 ms for the whole upload (the guard reads its first
  part only; the rest streams through), ≤ 2 ms for a paired phone;
- the whole app through TestClient, `GET /api/regions`, with and without the guard; target: ≤ 10 % slower.

The phone's device is paired in a temporary SQLite database made for the run.

Run: .venv/bin/python bench/bench_guard.py [--requests 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

LOCAL_TARGET_MS = 0.1
UPLOAD_TARGET_MS = 1.0  # for the whole upload: saving 20 MB takes far longer
DEVICE_TARGET_MS = 2.0
APP_TARGET_RATIO = 1.10
UPLOAD_BYTES = 20 * 2**20
CHUNK = 64 * 1024


async def _ok(scope: dict[str, Any], receive: Callable[[], Coroutine[Any, Any, dict[str, Any]]], send: Any) -> None:
    if scope["method"] == "POST":  # read the body to its end, as a route would
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _scope(method: str, headers: list[tuple[bytes, bytes]], client: str = "127.0.0.1") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": "/x",
        "query_string": b"",
        "scheme": "http",
        "headers": [(b"host", b"127.0.0.1:8000"), *headers],
        "client": (client, 50000),
        "state": {},
    }


async def _call(app: Any, scope: dict[str, Any], body_chunks: list[bytes]) -> int:
    chunks = list(body_chunks) or [b""]
    status = 0

    async def receive() -> dict[str, Any]:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def _time(app: Any, scope: dict[str, Any], body: list[bytes], requests: int) -> float:
    """Seconds per request, best of nothing: the median is taken across runs by the caller."""

    async def many() -> float:
        started = time.perf_counter()
        for _ in range(requests):
            status = await _call(app, dict(scope, state={}), body)
            assert status == 200, status
        return (time.perf_counter() - started) / requests

    return asyncio.run(many())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="unclench-bench-guard-"))
    os.environ["UNCLENCH_DATA_DIR"] = str(folder)
    os.environ["UNCLENCH_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"

    from unclench.core.db import session_scope
    from unclench.core.migrate import upgrade_database
    from unclench.core.settings import get_settings
    from unclench.web import security

    upgrade_database(get_settings().database_url)
    from unclench.accounts import devices

    with session_scope() as db:
        link = devices.create_pairing_link(db)
        _device, device_secret = devices.pair_device(db, link.token, "bench")

    guard = security.RequestGuard(_ok, shared_hosts=("127.0.0.1",))
    cookie_value = "bench-cookie-value-0123456789abcdef"
    token = security.csrf_token(cookie_value).encode()
    cookie = (b"cookie", f"unclench_csrf={cookie_value}".encode())
    boundary = "benchboundary"
    first_part = f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token.decode()}\r\n'
    file_head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n\r\n'
    upload = (first_part + file_head).encode() + b"\0" * UPLOAD_BYTES + f"\r\n--{boundary}--\r\n".encode()
    upload_chunks = [upload[i : i + CHUNK] for i in range(0, len(upload), CHUNK)]
    form = b"csrf_token=" + token + b"&kind=cramp&intensity=5&regions=calf%3Aleft"
    cases: list[tuple[str, dict[str, Any], list[bytes], float, int]] = [
        ("page view (GET)", _scope("GET", [cookie]), [], LOCAL_TARGET_MS, args.requests),
        ("JSON write, X-CSRF-Token", _scope("POST", [cookie, (b"x-csrf-token", token)]), [b"{}"], LOCAL_TARGET_MS,
         args.requests),
        ("form, token first field", _scope("POST", [cookie, (b"content-type", b"application/x-www-form-urlencoded")]),
         [form], LOCAL_TARGET_MS, args.requests),
        (f"{UPLOAD_BYTES // 2**20} MB multipart upload",
         _scope("POST", [cookie, (b"content-type", f"multipart/form-data; boundary={boundary}".encode())]),
         upload_chunks, UPLOAD_TARGET_MS, max(args.requests // 50, 5)),
        ("paired phone (GET)",
         _scope("GET", [(b"cookie", f"unclench_csrf={cookie_value}; unclench_device={device_secret}".encode())],
                client="192.168.1.23"), [], DEVICE_TARGET_MS, args.requests),
    ]  # fmt: skip
    print(f"guard alone, median of {args.runs} runs (ms per request: bare app, guarded, added; ratio to target)")
    for name, scope, body, target_ms, requests in cases:
        pairs = [(_time(_ok, scope, body, requests), _time(guard, scope, body, requests)) for _ in range(args.runs)]
        bare = statistics.median(p[0] for p in pairs) * 1000
        guarded = statistics.median(p[1] for p in pairs) * 1000
        added = guarded - bare
        print(f"  {name:32s} {bare:8.4f} {guarded:8.4f} {added:+8.4f}   ratio {added / target_ms:5.2f}")

    from fastapi.testclient import TestClient

    from unclench.core.identity import LOCAL_CALLER
    from unclench.web.app import create_app

    guarded_app = create_app()
    unguarded = create_app()
    del unguarded.build_middleware_stack  # the class's own: the same app without the guard

    async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope.setdefault("state", {})["caller"] = LOCAL_CALLER  # what the guard would have said, for the access rule
        await unguarded(scope, receive, send)

    def per_request(app: Any) -> float:
        with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as client:
            client.get("/api/regions")
            started = time.perf_counter()
            for _ in range(args.requests):
                assert client.get("/api/regions").status_code == 200
            return (time.perf_counter() - started) / args.requests

    # Interleaved, so a busy machine slows both alike.
    bare_runs, guarded_runs = [], []
    for _ in range(args.runs):
        bare_runs.append(per_request(bare_app))
        guarded_runs.append(per_request(guarded_app))
    bare_s, guarded_s = statistics.median(bare_runs), statistics.median(guarded_runs)
    ratio = guarded_s / bare_s
    print(
        f"whole app, GET /api/regions: {bare_s * 1000:.3f} ms bare, {guarded_s * 1000:.3f} ms guarded "
        f"(×{ratio:.3f}; ratio to target {ratio / APP_TARGET_RATIO:.2f})"
    )


if __name__ == "__main__":
    main()
