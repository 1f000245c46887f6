"""Commands that belong to the whole app: migrate. (`serve` belongs to the web package: web/cli.py.)"""

from __future__ import annotations

import typer
from rich.console import Console

from unclench.core.settings import get_settings

console = Console()


def migrate() -> None:
    """Create or upgrade the database schema.

    Example: unclench migrate
    """
    from unclench.core.migrate import upgrade_database  # loads SQLAlchemy and Alembic: only for this command

    settings = get_settings()
    upgrade_database(settings.database_url)
    console.print(f"Database is up to date: {settings.database_url}")


def register(app: typer.Typer) -> None:
    app.command()(migrate)
