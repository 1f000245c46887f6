"""`unclench insights`: the ranked factors as a table, the practice effect, what is missing."""

from __future__ import annotations

import json

import typer

from unclench.core.cli_db import cli_session
from unclench.core.console import lazy_console

console = lazy_console()


def insights(
    first: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD); default: the start of the diary"),
    last: str | None = typer.Option(None, "--to", help="Last day (YYYY-MM-DD); default: today"),
    kind: str | None = typer.Option(None, "--kind", "-k", help="Only twitch, tic, cramp, spasm or tension"),
    day_starts: int | None = typer.Option(
        None, "--day-starts", min=0, max=12, help="Hour (0–12) a diary day starts for this run; default: your setting"
    ),
    save_day_start: bool = typer.Option(False, "--save-day-start", help="Keep --day-starts as your setting"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables"),
    show_all: bool = typer.Option(False, "--all", help="Also list comparisons that may be chance"),
) -> None:
    """Which factors go with more episodes (ranked), and whether practice helps.

    "Goes with" is not "causes". Each factor needs at least 14 days with it and 14 without.

    Example: unclench insights --from 2026-01-01 --kind cramp --day-starts 6
    """
    from rich.table import Table

    from unclench.insights import service  # pandas and statsmodels: only for this command

    start, end = service.parse_period(first, last)
    with cli_session() as db:
        if save_day_start and day_starts is not None:
            service.set_day_start(db, day_starts)
        result = service.compute_insights(db, first=start, last=end, kind=kind, day_starts_at=day_starts)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2, default=str))
        return
    report = result.triggers
    data = result.data
    console.print(
        f"[bold]{data.first:%d %b %Y} – {data.last:%d %b %Y}[/]: {report.days} days, {report.episodes} {data.noun}; "
        f"diary days start at {data.day_starts_at:02d}:00."
    )
    for note in report.notes:
        console.print(note, style="dim")
    shown = report.findings if show_all else report.clear
    if shown:
        table = Table(title="Factors that go with your " + data.noun)
        table.add_column("#", justify="right")
        table.add_column("Factor")
        table.add_column("When")
        table.add_column("Effect (likely range)", justify="right")
        table.add_column("q", justify="right")
        table.add_column("Evidence")
        for i, f in enumerate(shown, 1):
            unit = "×" if f.outcome == "rate" else " pts"
            what = "rate" if f.outcome == "rate" else "intensity"
            effect = f"{what} {f.estimate:.2f}{unit} ({f.low:.2f}–{f.high:.2f})" if f.estimate is not None else "–"
            style = "bold" if f.status == "clear" else "dim"
            evidence = "clear" if f.status == "clear" else "may be chance"
            table.add_row(str(i), f.factor_name, f.timing, effect, f"{f.q_value:.3f}", evidence, style=style)
        console.print(table)
        for i, f in enumerate(shown, 1):
            console.print(f"{i}. {f.sentence}")
    elif report.findings:
        console.print(
            f"None of the {report.tests} comparisons is clear after allowing for how many were made. "
            "Use --all to see them anyway."
        )
    for pair in report.collinear:
        console.print(f"[yellow]Note:[/] {pair.sentence}")
    practice = result.practice
    if practice.weeks:
        console.print(practice.weeks.sentence)
    for technique in practice.techniques:
        console.print(technique.sentence)
    if practice.tone:
        console.print(practice.tone.sentence)
    for note in practice.notes:
        console.print(note, style="dim")
    if report.missing:
        console.print("[bold]Not enough data yet[/]")
        for missing in report.missing:
            console.print(f"  • {missing.sentence}")


def register(app: typer.Typer) -> None:
    app.command()(insights)
