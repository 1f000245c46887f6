"""`unclench serve`: the web app on this computer."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console()


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Keep 127.0.0.1 unless you mean to share."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
) -> None:
    """Start the web app (migrating the database first if it is behind).

    Example: unclench serve --port 8000
    """
    # Imported here, not at the top: every other command would otherwise pay for loading the web stack.
    import uvicorn

    from unclench.core.cli_db import ensure_schema
    from unclench.core.settings import get_settings
    from unclench.web.app import create_app

    settings = get_settings()
    ensure_schema()
    console.print(f"unclench is running at [bold]http://{host}:{port}[/] (data in {settings.data_dir})")
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command()(serve)
