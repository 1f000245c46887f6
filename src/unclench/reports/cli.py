"""`unclench report`: the doctor's report as PDF, or a FHIR R4 Bundle."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from unclench.core.cli_db import cli_session
from unclench.core.console import lazy_console
from unclench.core.errors import UserInputError
from unclench.reports.sections import SECTIONS

console = lazy_console()


def report(
    first: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD); default: 90 days ago"),
    last: str | None = typer.Option(None, "--to", help="Last day (YYYY-MM-DD); default: today"),
    pdf: Path | None = typer.Option(None, "--pdf", help="Write the doctor's report (PDF) to this file"),
    fhir_file: Path | None = typer.Option(None, "--fhir", help="Write a FHIR R4 Bundle (JSON) to this file"),
    sections: str | None = typer.Option(
        None, "--sections", help=f"Comma-separated sections; default all: {','.join(SECTIONS)}"
    ),
    kind: str | None = typer.Option(None, "--kind", "-k", help="Only twitch, tic, cramp, spasm or tension"),
) -> None:
    """Write the doctor's report (PDF, one to two pages) or a FHIR R4 Bundle for the chosen period.

    Example: unclench report --from 2026-01-01 --to 2026-03-31 --pdf report.pdf
    """
    from unclench.accounts import audit
    from unclench.reports import fhir, service  # WeasyPrint, NumPy and the statistics: only for this command

    if (pdf is None) == (fhir_file is None):
        raise UserInputError.single("--pdf/--fhir", "give exactly one of --pdf FILE or --fhir FILE")
    target = pdf or fhir_file
    assert target is not None
    if not target.parent.exists():
        raise UserInputError.single("--pdf" if pdf else "--fhir", f"the folder {target.parent} does not exist")
    options = service.parse_options(first, last, sections, kind)
    # The period only: a kind filter ("cramp") says what the person has, and the log outlives a deleted account.
    logged = (f"{options.first}..{options.last}",)
    with cli_session() as db:
        if pdf is not None:
            data = service.render_pdf(db, options)
            audit.record_export(db, audit.What("report-pdf", *logged))
            pdf.write_bytes(data)
            console.print(
                f"Wrote the report for {options.first} – {options.last} to [bold]{pdf}[/] ({len(data) // 1024} KB)."
            )
        else:
            bundle = fhir.fhir_bundle(db, options)
            audit.record_export(db, audit.What("report-fhir", *logged))
            assert fhir_file is not None
            fhir_file.write_text(json.dumps(bundle, indent=2), encoding="utf-8")
            console.print(f"Wrote {len(bundle['entry'])} FHIR resources to [bold]{fhir_file}[/].")


def register(app: typer.Typer) -> None:
    app.command()(report)
