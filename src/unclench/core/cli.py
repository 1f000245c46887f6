"""Commands that belong to the whole app: serve, migrate."""

from __future__ import annotations

import typer
from rich.console import Console

from unclench.core.migrate import upgrade_database
from unclench.core.settings import get_settings

console = Console()


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Keep 127.0.0.1 unless you mean to share."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
) -> None:
    """Start the web app (migrating the database first).

    Example: unclench serve --port 8000
    """
    import uvicorn

    from unclench.web.app import create_app

    settings = get_settings()
    upgrade_database(settings.database_url)
    console.print(f"unclench is running at [bold]http://{host}:{port}[/] (data in {settings.data_dir})")
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


def migrate() -> None:
    """Create or upgrade the database schema.

    Example: unclench migrate
    """
    settings = get_settings()
    upgrade_database(settings.database_url)
    console.print(f"Database is up to date: {settings.database_url}")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(migrate)
