"""Clinic load benchmark: N `unclench serve --clinic` processes and M `unclench worker`s on a fresh PostgreSQL database
(loopback only), 50 practitioners and 500 clients signed in; clients log episodes and check-ins and play sessions
(listen started, then finished and rated), a few make new sessions (rendered by the workers), practitioners open their
dashboard (the roster /clinic): 50 practitioners with 10 clients each, and one with 200 (reported apart). Every client
has twelve weeks of diary (bench_roster.history), consents to every category, and a few follow a home programme
(the roster's adherence column; they open /programme). Every request goes to the web processes in turn, as a proxy spreads them.

Run: PYTHONPATH=src .venv/bin/python bench/bench_clinic_load.py [--web 2] [--workers 1] [--clients 500]
     [--practitioners 50] [--rate 5] [--concurrency 8] [--renders 10] [--big-roster 200] [--big-dashboards 50]
     [--programmes 20] [--max-seconds 300]
Two runs on the same clinic, each with every visit once:
- **offered load** (`--rate` visits per second, Poisson arrivals, open loop): a visit starts when it is due, whether or
  not others are still waiting, as people do. At 5 visits/s the whole clinic's day (every client's episodes, check-ins
  and listen, every practitioner's dashboards, ten new sessions) arrives in under three minutes: far above a real
  clinic's busiest hour. The latency targets apply to this run.
- **saturation** (`--concurrency` visits at once, each starting as another ends, closed loop): the most this machine
  serves. Here a request's latency is only the in-flight count over the throughput (Little's law), so it says how much
  headroom there is, not how long a person waits.
Prints throughput, p50/p95/p99 per request kind, errors, and the job queue's wait (queued → started) and run time.
Targets (this 2-core machine): logging (episode, check-in, listen) p99 ≤ 150 ms, dashboard of 200 clients p99 ≤ 300 ms,
no errors, the job queue keeps up. The load average is sampled during the run (other programs share the cores).
Accounts and login sessions are made directly through the services with cheap Argon2 parameters (sign-in is timed by
bench_login.py), links and consents through the practice service, diaries by Core inserts: set-up is direct, not HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.clinic_cluster starts the processes

from argon2 import PasswordHasher
from sqlalchemy import select

from tests.clinic_cluster import clinic, fresh_database

DASHBOARD_URL = "/clinic"
"""The practitioner's roster and dashboard (issue 18): measured once it answers."""
PASSWORD = "a calm blue lake at dawn"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
LOGGING_KINDS = ("episode", "check-in", "listen-start", "listen-finish")
TARGET_MS = {**dict.fromkeys(LOGGING_KINDS, 150.0), "dashboard-200": 300.0, "dashboard-10": 300.0}


@dataclass(frozen=True)
class User:
    role: str
    cookie: str  # the Cookie header: login session and CSRF cookie
    csrf: str
    session_id: str | None = None  # a client's session to play
    programme: bool = False  # the client follows a programme of that session (and opens /programme)


@dataclass
class Results:
    latencies: dict[str, list[float]]
    errors: dict[str, list[str]]
    load_averages: list[float] = field(default_factory=list)


def seed(clients: int, practitioners: int, big_roster: int, programmes: int, data_dir: Path) -> list[User]:
    """Accounts, login sessions (second factor done) and a CSRF cookie each; every client gets one ready session and
    twelve weeks of diary (bench_roster.history), is linked to one of the practitioners (they share the clients
    evenly) and consents to every category; one more practitioner ("big") has the first `big_roster` clients too;
    the first `programmes` clients follow a home programme of their session (the roster's adherence column)."""
    from sqlalchemy import insert

    from bench.bench_roster import history
    from unclench.accounts import logins
    from unclench.accounts.views import SESSION_COOKIE
    from unclench.core import clock
    from unclench.core.db import session_scope
    from unclench.core.identity import LOCAL_CALLER, set_caller
    from unclench.practice import service as practice
    from unclench.practice.schemas import SHAREABLE, ConsentIn
    from unclench.sessions import service
    from unclench.sessions.composer import compose
    from unclench.sessions.models import Programme, ProgrammeItem
    from unclench.sessions.options import SessionOptions, validate_options
    from unclench.web.security import CSRF_COOKIE, csrf_token

    logins.use_password_hasher(CHEAP)
    options = validate_options(compose(validate_options(SessionOptions(minutes=3.0, technique="breathing"))).options)
    everything = ConsentIn(categories=list(SHAREABLE))
    today = clock.today()
    users: list[User] = []
    accounts = []
    sessions: dict[int, str] = {}
    with session_scope() as db:  # one transaction; the session's caller changes to each client for their rows
        roles = ["practitioner"] * practitioners + ["big"] * (big_roster > 0) + ["person"] * clients
        for index, role in enumerate(roles):
            account = logins.create_account(
                db, email=f"{role}{index}@clinic.example", password=PASSWORD, role=role.replace("big", "practitioner")
            )
            accounts.append(account)
            token = logins.start_session(db, account, second_factor_done=True)
            session_id = None
            if role == "person":
                number = len([u for u in users if u.role == "person"])
                set_caller(db, logins.caller_for(account))
                row = service.create_session(db, options, title="Bench session")
                row.status, row.duration_s = "ready", 180.0
                db.flush()
                session_id = sessions[int(account.person_id)] = row.id
                carers = [accounts[number % practitioners]] + ([accounts[practitioners]] if number < big_roster else [])
                for carer in carers:  # the client consents to everything, as on the consent page
                    practice.give_consent(
                        db, account.person_id, practice.link_client(db, carer.id, account.person_id).id, everything
                    )
                if number < programmes:
                    plan = Programme(
                        title="Bench programme",
                        starts_on=today - timedelta(days=10),
                        ends_on=today + timedelta(days=60),
                    )
                    plan.items = [ProgrammeItem(session=row, position=0, per_week=5)]
                    db.add(plan)
                    db.flush()
                set_caller(db, LOCAL_CALLER)
            csrf_cookie = uuid.uuid4().hex
            users.append(
                User(
                    role=role,
                    cookie=f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={csrf_cookie}",
                    csrf=csrf_token(csrf_cookie, data_dir),
                    session_id=session_id,
                    programme=number < programmes if role == "person" else False,
                )
            )
        for model, rows in history(list(sessions), random.Random(7), clock.now(), sessions):
            if rows:
                db.execute(insert(model.__table__), rows)
    return users


async def timed(
    client: httpx.AsyncClient, results: Results, kind: str, user: User, method: str, url: str, expect: int, **kw: object
) -> httpx.Response | None:
    headers = {"Cookie": user.cookie, "X-CSRF-Token": user.csrf}
    started = time.perf_counter()
    try:
        response = await client.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        results.errors[kind].append(f"{type(exc).__name__}: {exc}")
        return None
    results.latencies[kind].append((time.perf_counter() - started) * 1000)
    if response.status_code != expect:
        results.errors[kind].append(f"{response.status_code} {url}: {response.text[:200]}")
        return None
    return response


def client_script(
    user: User, now: datetime, today: str, yesterday: str, rng: random.Random
) -> list[tuple[str, dict[str, object]]]:
    """One client's visits: three episodes, two days' check-ins, one listen (started, then finished and rated)."""
    steps: list[tuple[str, dict[str, object]]] = []
    for _ in range(3):
        body = {
            "started_at": (now - timedelta(minutes=rng.randrange(5, 600))).isoformat(),
            "kind": rng.choice(["tension", "twitch", "cramp"]),
            "intensity": rng.randrange(1, 9),
            "regions": [{"region": rng.choice(["forehead", "jaw", "scalp"])}],
        }
        steps.append(("episode", body))
    for day in (yesterday, today):
        steps.append(("check-in", {"day": day, "stress": rng.randrange(11), "sleep_hours": 7.0}))
    steps.append(("listen", {}))
    if user.programme:
        steps.append(("programme", {}))
    return steps


async def run_client(
    clients: list[httpx.AsyncClient], user: User, results: Results, steps: list[tuple[str, dict[str, object]]]
) -> None:
    for kind, body in steps:
        client = clients[random.randrange(len(clients))]
        if kind == "programme":
            await timed(client, results, "programme-page", user, "GET", "/programme", 200)
        elif kind == "episode":
            await timed(client, results, kind, user, "POST", "/api/episodes", 201, json=body)
        elif kind == "check-in":
            await timed(client, results, kind, user, "PUT", "/api/checkins", 200, json=body)
        else:
            started = await timed(
                client,
                results,
                "listen-start",
                user,
                "POST",
                f"/api/sessions/{user.session_id}/listens",
                201,
                json={"tension_before": 6},
            )
            if started is not None:
                listen_id = started.json()["id"]
                other = clients[random.randrange(len(clients))]
                await timed(
                    other,
                    results,
                    "listen-finish",
                    user,
                    "PATCH",
                    f"/api/sessions/listens/{listen_id}",
                    200,
                    json={"heard_s": 180, "finished": True, "tension_after": 3},
                )


async def load(
    bases: list[str],
    users: list[User],
    *,
    rate: float,
    concurrency: int,
    renders: int,
    render_seed: int,
    dashboards_each: int,
    big_dashboards: int,
    measure_dashboard: bool,
    max_seconds: float,
) -> tuple[Results, float, int]:
    from unclench.core import clock

    rng = random.Random(18)
    today = clock.today()
    results = Results(defaultdict(list), defaultdict(list))
    # Open loop: enough connections that no request waits in this client for one (it would be counted as latency).
    connections = concurrency if rate <= 0 else 200
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    clients = [httpx.AsyncClient(base_url=b, timeout=30.0, limits=limits) for b in bases]
    gate = asyncio.Semaphore(concurrency)
    work: list[asyncio.Future[None] | object] = []
    persons = [u for u in users if u.role == "person"]
    practitioners = [u for u in users if u.role in ("practitioner", "big")]

    async def guarded(coro: object) -> None:
        async with gate:
            await coro  # type: ignore[misc]

    async def when_due(delay: float, coro: object) -> None:
        await asyncio.sleep(delay)
        await coro  # type: ignore[misc]

    tasks = []
    for user in persons:
        steps = client_script(user, clock.now(), today.isoformat(), (today - timedelta(days=1)).isoformat(), rng)
        tasks.append(run_client(clients, user, results, steps))
    for user in rng.sample(persons, min(renders, len(persons))):
        # a new seed per run: the same settings again would be the render already made, not a job
        form = {"title": "Bench render", "minutes": "3", "technique": "breathing", "ending": "wake"}
        form["seed"] = str(render_seed * 10_000 + len(tasks))
        client = clients[rng.randrange(len(clients))]
        tasks.append(timed(client, results, "session-create", user, "POST", "/sessions", 303, data=form))
    if measure_dashboard:
        for user in practitioners:
            kind, visits = (
                ("dashboard-200", big_dashboards) if user.role == "big" else ("dashboard-10", dashboards_each)
            )
            for _ in range(visits):
                client = clients[rng.randrange(len(clients))]
                tasks.append(timed(client, results, kind, user, "GET", DASHBOARD_URL, 200))
    rng.shuffle(tasks)

    async def sample_load() -> None:  # other programs share these cores: the load average says how much
        while True:
            results.load_averages.append(os.getloadavg()[0])
            await asyncio.sleep(2.0)

    if rate > 0:  # Poisson arrivals: each visit starts when it is due
        due, at = [], 0.0
        for task in tasks:
            at += rng.expovariate(rate)
            due.append(when_due(at, task))
        running = due
    else:
        running = [guarded(t) for t in tasks]
    sampler = asyncio.create_task(sample_load())
    started = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*running), timeout=max_seconds)
    except TimeoutError:
        results.errors["bench"].append(f"did not finish in {max_seconds} s")
    elapsed = time.perf_counter() - started
    sampler.cancel()
    for client in clients:
        await client.aclose()
    del work
    return results, elapsed, len(tasks)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def queue_figures(since: datetime, max_wait_s: float) -> tuple[list[float], list[float], int]:
    """Queue wait (queued → started) and run time of the render jobs queued since `since`, in seconds, once they are
    all done."""
    from unclench.core.db import session_scope
    from unclench.core.job_state import JobState

    deadline = time.monotonic() + max_wait_s
    while True:
        with session_scope() as db:
            # A bench reads every person's rows: the owner listeners are bypassed by a Core select on the table.
            rows = db.execute(select(JobState.__table__).where(JobState.__table__.c.created_at >= since)).all()
        unfinished = [r for r in rows if r.status in ("queued", "running")]
        if not unfinished or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    waits = [(r.started_at - r.created_at).total_seconds() for r in rows if r.started_at is not None]
    runs = [(r.finished_at - r.started_at).total_seconds() for r in rows if r.finished_at and r.started_at]
    return waits, runs, len(unfinished)


def report(results: Results, elapsed: float, planned: int, measure_dashboard: bool, queue: tuple) -> None:
    total = sum(len(v) for v in results.latencies.values())
    print(f"\n{total} requests ({planned} planned visits) in {elapsed:.1f} s: {total / elapsed:.1f} requests/s")
    print(f"{'kind':<16}{'count':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}  target")
    kinds = sorted(set(results.latencies) | set(results.errors) - {"bench"})
    for kind in kinds:
        values = results.latencies.get(kind, [])
        target = TARGET_MS.get(kind)
        p99 = percentile(values, 0.99) if values else float("nan")
        verdict = "" if target is None else f"p99 ≤ {target:.0f} ms: {'met' if p99 <= target else 'NOT met'}"
        print(
            f"{kind:<16}{len(values):>7}{len(values) / elapsed:>8.1f}"
            f"{percentile(values, 0.5) if values else float('nan'):>9.1f}"
            f"{percentile(values, 0.95) if values else float('nan'):>9.1f}{p99:>9.1f}"
            f"{len(results.errors.get(kind, [])):>8}  {verdict}"
        )
    if not measure_dashboard:
        print(
            f"{'dashboard':<16} not measured yet: {DASHBOARD_URL} answered 404 (the practitioner roster is not built)"
        )
    logging = [x for k in LOGGING_KINDS for x in results.latencies.get(k, [])]
    if logging:
        print(f"logging, all kinds: p50 {percentile(logging, 0.5):.1f} ms, p99 {percentile(logging, 0.99):.1f} ms")
    errors = sum(len(v) for v in results.errors.values())
    print(f"errors: {errors}")
    if results.load_averages:
        print(
            f"load average (1 min) during the run: mean {statistics.mean(results.load_averages):.1f}, "
            f"max {max(results.load_averages):.1f} (cores: {os.cpu_count()})"
        )
    for kind, found in results.errors.items():
        for line in found[:3]:
            print(f"  {kind}: {line}")
    waits, runs, unfinished = queue
    if waits:
        print(
            f"job queue: {len(waits)} renders; wait (queued → started) p50 {statistics.median(waits):.2f} s, "
            f"p95 {percentile(waits, 0.95):.2f} s, max {max(waits):.2f} s; run p50 {statistics.median(runs):.2f} s, "
            f"max {max(runs):.2f} s; unfinished {unfinished}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--web", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--practitioners", type=int, default=50)
    parser.add_argument("--rate", type=float, default=5.0, help="visits per second offered (open loop; 0: skip)")
    parser.add_argument("--concurrency", type=int, default=8, help="visits at once at saturation (0: skip)")
    parser.add_argument("--renders", type=int, default=10, help="clients who make a new session (a render job)")
    parser.add_argument("--dashboards", type=int, default=5, help="dashboard visits per practitioner (10 clients)")
    parser.add_argument("--big-roster", type=int, default=200, help="clients of the one practitioner with many")
    parser.add_argument("--big-dashboards", type=int, default=50, help="dashboard visits of that practitioner")
    parser.add_argument("--programmes", type=int, default=20, help="clients following a home programme")
    parser.add_argument("--max-seconds", type=float, default=300.0)
    args = parser.parse_args()

    from unclench.core import db as core_db
    from unclench.core.settings import reset_settings_cache
    from unclench.web.security import install_secret

    root = Path(tempfile.mkdtemp(prefix="unclench-clinic-load-"))
    with fresh_database("load") as url:
        os.environ.update(
            UNCLENCH_DATABASE_URL=url,
            UNCLENCH_DATA_DIR=str(root / "data"),
            UNCLENCH_CLINIC="1",
            UNCLENCH_TIMEZONE="UTC",
        )
        reset_settings_cache()
        core_db.dispose_engines()
        install_secret(root / "data")  # before the web processes start, so all of them and this script share it
        made = time.perf_counter()
        users = seed(args.clients, args.practitioners, args.big_roster, args.programmes, root / "data")
        print(
            f"seeded {args.practitioners} practitioners (+1 with {args.big_roster} clients), {args.clients} clients "
            f"(12 weeks of diary each, {args.programmes} with a programme), links and consents in {time.perf_counter() - made:.1f} s"
        )
        with clinic(url, root, UNCLENCH_TIMEZONE="UTC", UNCLENCH_WORKER_STALLED_AFTER_S="30") as running:
            bases = [running.start_web() for _ in range(args.web)]
            for _ in range(args.workers):
                running.start_worker()
            probe = httpx.get(bases[0] + DASHBOARD_URL, headers={"Cookie": users[0].cookie}, timeout=30.0)
            measure_dashboard = probe.status_code != 404
            # Each process loads a page's modules (SciPy for the roster's tone trend) at its first request of a
            # kind: one of each before the clock starts, so the figures are the steady state a clinic runs in.
            warm = [*[u for u in users if u.role == "big" or u.programme][:2], users[0]]
            for base in bases:
                for user in warm:
                    url = DASHBOARD_URL if user.role != "person" else "/programme"
                    httpx.get(base + url, headers={"Cookie": user.cookie}, timeout=60.0)
            web_pids = [p.pid for p in running.processes[: args.web]]
            phases = [
                (f"offered load: {args.rate:g} visits/s, Poisson arrivals", args.rate, 0),
                (f"saturation: {args.concurrency} visits at once", 0.0, args.concurrency),
            ]
            for number, (title, rate, concurrency) in enumerate(p for p in phases if p[1] > 0 or p[2] > 0):
                print(
                    f"\n== {title} ({args.web} web processes, {args.workers} workers; load average "
                    f"{os.getloadavg()[0]:.1f} at the start: other programs share these cores)"
                )
                cpu_before = sum(cpu_seconds(pid) for pid in web_pids)
                since = datetime.now(UTC)
                results, elapsed, planned = asyncio.run(
                    load(
                        bases,
                        users,
                        rate=rate,
                        concurrency=concurrency,
                        renders=args.renders,
                        render_seed=number,
                        dashboards_each=args.dashboards,
                        big_dashboards=args.big_dashboards,
                        measure_dashboard=measure_dashboard,
                        max_seconds=args.max_seconds,
                    )
                )
                web_cpu = sum(cpu_seconds(pid) for pid in web_pids) - cpu_before
                queue = queue_figures(since, max_wait_s=args.max_seconds)
                report(results, elapsed, planned, measure_dashboard, queue)
                served = sum(len(v) for v in results.latencies.values())
                print(
                    f"web processes' CPU: {web_cpu:.1f} s over {elapsed:.1f} s ({web_cpu / elapsed:.2f} cores), "
                    f"{1000 * web_cpu / max(served, 1):.1f} ms per request (independent of the other programs' load)"
                )
                print(f"load average at the end: {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")
        core_db.dispose_engines()


if __name__ == "__main__":
    main()
