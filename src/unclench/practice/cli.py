"""`unclench consents EMAIL`: a client's consent history as FHIR R4 Consent resources (a clinic's records)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from unclench.core.cli_db import cli_session
from unclench.core.console import lazy_console
from unclench.core.errors import UserInputError

console = lazy_console()


def consents(
    email: str = typer.Argument(..., help="The client's account email"),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the FHIR Bundle (JSON) here; default: print it"),
) -> None:
    """Export every version of a client's consents (who may see which categories, when) as a FHIR R4 Bundle.

    Example: unclench consents client@example.org --out consents.fhir.json
    """
    from unclench.accounts import audit, logins
    from unclench.practice import service
    from unclench.practice.fhir import consent_bundle

    if out is not None and not out.parent.exists():
        raise UserInputError.single("--out", f"the folder {out.parent} does not exist")
    with cli_session() as db:
        account = logins.find_account(db, email)
        if account is None or account.person_id is None:
            raise UserInputError.single("email", f"no client account has the email {email}")
        bundle = consent_bundle(service.client_links(db, account.person_id, include_ended=True), account.person_id)
        audit.record(db, "export", subject_person_id=account.person_id, what=audit.What("consent-fhir"))
    text = json.dumps(bundle, indent=2, ensure_ascii=False)
    if out is None:
        print(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {len(bundle['entry'])} FHIR Consent resources to [bold]{out}[/].")


def register(app: typer.Typer) -> None:
    app.command()(consents)
