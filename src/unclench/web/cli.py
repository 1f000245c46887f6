"""`unclench serve`: the web app on this computer."""

from __future__ import annotations

import os

import typer
from rich.console import Console

console = Console()


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Keep 127.0.0.1 unless you mean to share."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    clinic: bool = typer.Option(
        False, "--clinic", help="Run as a clinic server: accounts and sign-in (PostgreSQL only; run it behind TLS)."
    ),
) -> None:
    """Start the web app (migrating the database first if it is behind).

    Example: unclench serve --port 8000
    """
    # Imported here, not at the top: every other command would otherwise pay for loading the web stack.
    import uvicorn

    from unclench.core.cli_db import ensure_schema
    from unclench.core.settings import get_settings, reset_settings_cache
    from unclench.web.app import create_app

    if clinic:
        os.environ["UNCLENCH_CLINIC"] = "1"
        reset_settings_cache()
    settings = get_settings()
    if settings.clinic and settings.is_sqlite:
        console.print(
            "[red]A clinic server keeps many people's data and needs PostgreSQL.[/] "
            "Set UNCLENCH_DATABASE_URL=postgresql://… and start again."
        )
        raise typer.Exit(2)
    ensure_schema()
    console.print(f"unclench is running at [bold]http://{host}:{port}[/] (data in {settings.data_dir})")
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command()(serve)
