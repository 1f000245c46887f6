"""Commands that belong to the whole app: migrate, worker. (`serve` belongs to the web package: web/cli.py.)"""

from __future__ import annotations

import os

import typer

from unclench.core.console import lazy_console
from unclench.core.settings import get_settings

console = lazy_console()


def migrate() -> None:
    """Create or upgrade the database schema.

    Example: unclench migrate
    """
    from unclench.core.migrate import upgrade_database  # loads SQLAlchemy and Alembic: only for this command

    settings = get_settings()
    upgrade_database(settings.database_url)
    console.print(f"Database is up to date: {settings.database_url}")


def worker(
    concurrency: int = typer.Option(1, min=1, max=32, help="Jobs run at once (a render uses about two cores)."),
    nice: int = typer.Option(
        10,
        min=0,
        max=19,
        help="How far this worker yields the cores to the web processes (Unix niceness, 0 = not at all).",
    ),
) -> None:
    """Run the clinic's background jobs (session rendering, EMG analysis) from the PostgreSQL queue until stopped.

    Start as many as the server's cores allow; `unclench serve --clinic` only queues. Example: unclench worker
    """
    from unclench.core.cli_db import ensure_schema
    from unclench.core.queue import run_worker

    settings = get_settings()
    if settings.is_sqlite:
        console.print(
            "[red]The worker runs a clinic's job queue, which lives in PostgreSQL.[/] The app on your own computer "
            "runs its jobs itself: `unclench serve` is all it needs."
        )
        raise typer.Exit(2)
    ensure_schema()
    # A person waits for a page; nobody waits on a render's every second. On a server where web processes and workers
    # share the cores, the renders take what the pages leave (the threads the render starts inherit this).
    if nice and hasattr(os, "nice"):
        os.nice(nice)
    console.print(f"unclench worker: running jobs (data in {settings.data_dir}); Ctrl+C stops after the running ones.")
    run_worker(concurrency=concurrency)


def register(app: typer.Typer) -> None:
    app.command()(migrate)
    app.command()(worker)
