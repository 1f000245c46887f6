"""`unclench data export` and `unclench data delete`: the person's data rights from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from unclench.core.cli_db import cli_session
from unclench.core.console import lazy_console
from unclench.core.errors import UserInputError

console = lazy_console()
data_app = typer.Typer(help="Your data: export all of it, or delete all of it.", no_args_is_help=True)


@data_app.command("export")
def export(
    out: Path | None = typer.Option(None, "--out", "-o", help="Where to write the ZIP; default: today's name here"),
) -> None:
    """Write everything unclench keeps about you to one ZIP (CSV tables, diary CSV, FHIR, audio and EMG file list).

    Example: unclench data export --out my-data.zip
    """
    from unclench.privacy import service

    target = out or Path(service.export_file_name())
    if not target.parent.exists():
        raise UserInputError.single("--out", f"the folder {target.parent} does not exist")
    partial = target.with_name(target.name + ".part")
    try:
        with cli_session() as db, partial.open("wb") as handle:
            summary = service.export_everything(db, handle)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    rows = sum(summary.rows.values())
    console.print(
        f"Wrote {rows} rows in {len(summary.files)} files to [bold]{target}[/]. README.txt inside explains them."
    )


@data_app.command("delete")
def delete(
    confirm: str = typer.Option(..., "--confirm", prompt="This deletes all your data for good. Type DELETE to confirm"),
) -> None:
    """Delete everything unclench keeps about you: diary, sessions and their audio, EMG recordings, paired phones.

    Audio and EMG files another person's rows also use stay. The access log keeps one line saying so.
    """
    from unclench.privacy import service

    with cli_session() as db:
        deletion = service.delete_everything(db, {"confirm": confirm})
    removed = service.remove_files(deletion)  # after the commit: never a row naming a missing file
    rows = sum(deletion.rows.values())
    console.print(f"Deleted {rows} rows and {len(removed)} files. Your data here is gone.")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
