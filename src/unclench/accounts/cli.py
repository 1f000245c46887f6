"""`unclench audit` (check the audit log's chain, list its newest entries, export it as FHIR AuditEvents) and
`unclench accounts` (the clinic server's first admin; everyone after is invited from the web pages)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from unclench.core.cli_db import cli_session
from unclench.core.console import lazy_console
from unclench.core.errors import UserInputError
from unclench.core.formatting import local_time

# The audit service (and SQLAlchemy, fhir.resources) loads inside each command, so `--help` stays fast.

console = lazy_console()
audit_app = typer.Typer(help="The audit log: who did what to whose data, when and from where.", no_args_is_help=True)


@audit_app.command()
def verify(
    expect: str | None = typer.Option(
        None, "--expect", help="A fingerprint noted from an earlier verify: check that entry is still in the log"
    ),
) -> None:
    """Check that no entry of the audit log was altered, deleted, inserted or moved. Exit 1 if one was.

    Example: unclench audit verify --expect "3f2a 9c1b 77d0 e415"
    """
    from unclench.accounts import audit

    with cli_session() as db:
        result = audit.verify(db)
        anchored = audit.entry_with_fingerprint(db, expect) if expect is not None else None
    if not result.intact:
        console.print(f"[bold red]The audit log is broken.[/] {result.message}")
        console.print(f"The first {result.entries} entries check out.")
        raise typer.Exit(1)
    console.print(f"[green]{result.message}[/]")
    if expect is not None and anchored is None:
        console.print(
            "[bold red]No entry has the fingerprint you noted:[/] the log was rewritten since then "
            "(or the fingerprint was mistyped)."
        )
        raise typer.Exit(1)
    if anchored is not None:
        console.print(f"The entry you noted is entry {anchored}, still in the log as it was.")
    if fingerprint := audit.chain_fingerprint(result):
        console.print(f"The newest entry's fingerprint: [bold]{fingerprint}[/] (note it to compare later).")


@audit_app.command("list")
def list_entries(
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=10_000, help="How many of the newest entries"),
) -> None:
    """Show the newest entries, newest first.

    Example: unclench audit list -n 50
    """
    from rich.table import Table

    from unclench.accounts import audit

    with cli_session() as db:
        rows = [audit.describe(entry) for entry in audit.recent_entries(db, limit=limit)]
    if not rows:
        console.print("The audit log is empty.")
        return
    table = Table(title="Audit log (newest first)")
    for column in ("#", "When", "Who", "What", "From where", "Outcome"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row.seq), local_time(row.at, "%d %b %Y %H:%M"), row.who, row.what, row.where, row.outcome)
    console.print(table)


@audit_app.command()
def export(
    fhir_file: Path = typer.Option(..., "--fhir", help="Write a FHIR R4 Bundle of AuditEvents (JSON) to this file"),
) -> None:
    """Export the whole audit log as FHIR R4 AuditEvent resources (the export itself is logged first).

    Example: unclench audit export --fhir audit.json
    """
    from unclench.accounts import audit

    if not fhir_file.parent.exists():
        raise UserInputError.single("--fhir", f"the folder {fhir_file.parent} does not exist")
    with cli_session() as db:
        audit.record_export(db, audit.What("audit-fhir"))
        bundle = audit.fhir_bundle(audit.all_entries(db))
    fhir_file.write_text(json.dumps(bundle, indent=2, ensure_ascii=False), encoding="utf-8")
    console.print(f"Wrote {len(bundle['entry'])} AuditEvents to [bold]{fhir_file}[/].")


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
    app.add_typer(audit_app, name="audit")
    app.add_typer(accounts_app, name="accounts")
