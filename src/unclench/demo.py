"""`unclench demo`: the seeded sample person, across domains (the diary first, then each domain's part).

It spans several domains, so, like the web app, it sits above them; the command imports them when it runs.
"""

from __future__ import annotations

import typer

from unclench.core.cli_db import cli_session
from unclench.core.console import lazy_console
from unclench.core.settings import get_settings

console = lazy_console()


def demo_command(
    days: int = typer.Option(
        180, "--days", help="How many days of diary to create (at least 120 gives every page something to show)"
    ),
    seed: int = typer.Option(7, "--seed", help="Same seed, same person"),
) -> None:
    """Fill an empty diary with a realistic sample person.

    Example: UNCLENCH_DATA_DIR=/tmp/unclench-demo unclench demo --days 180 --seed 7
    """
    from unclench.diary import demo as diary_demo
    from unclench.screening import demo as screening_demo
    from unclench.stress import demo as stress_demo

    with cli_session() as db:
        summary = diary_demo.create_demo_person(db, days=days, seed=seed)
        for extend in (screening_demo.extend_demo, stress_demo.extend_demo):
            extend(db, seed=seed, first_day=summary.first_day, last_day=summary.last_day)
    console.print(
        f"[green]Demo person created:[/] {summary.checkins} check-ins and {summary.episodes} episodes "
        f"from {summary.first_day} to {summary.last_day}. Start the app with `unclench serve`."
    )
    if get_settings().prepare_ready:
        _prepare_right_now()


def _prepare_right_now() -> None:
    """Make the home page's two ready-made sessions for the demo person (about a minute; once per settings)."""
    from unclench.core.identity import LOCAL_CALLER
    from unclench.core.jobs import wait_job
    from unclench.sessions import right_now

    with cli_session() as db:
        jobs = right_now.prepare(db)
    if not jobs:
        return
    console.print("Making the two ready-made sessions for “Right now” on the home page (about a minute)…")
    for job in jobs:
        finished = wait_job(job.id, LOCAL_CALLER)
        if finished.status == "failed":
            console.print(f"[yellow]{job.label}: not made ({finished.error}). `unclench serve` tries again.[/]")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
