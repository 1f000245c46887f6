"""`unclench accounts`: the clinic server's first admin (everyone after is invited from the web pages)."""

from __future__ import annotations

import typer
from rich.console import Console

from unclench.core.cli_db import cli_session

console = Console()
accounts_app = typer.Typer(help="Clinic server accounts (unclench serve --clinic).", no_args_is_help=True)


@accounts_app.command("create-admin")
def create_admin(
    email: str = typer.Argument(..., help="The admin's email, used to sign in"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when not given"
    ),
) -> None:
    """Make the clinic server's first admin account (a second factor is set up at first sign-in).

    Example: unclench accounts create-admin admin@clinic.example
    """
    from unclench.accounts import logins
    from unclench.accounts.schemas import AcceptInvitationIn
    from unclench.core.validation import parse_input

    valid = parse_input(AcceptInvitationIn, {"email": email, "password": password, "password_again": password})
    with cli_session() as db:
        account = logins.create_admin(db, valid.email, valid.password)
        console.print(f"[green]Admin account made:[/] {account.email}. Sign in at /login to set up the second step.")


def register(app: typer.Typer) -> None:
    app.add_typer(accounts_app, name="accounts")
