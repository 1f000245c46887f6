"""Diary commands: log, checkin, episodes, factors, export, import."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from unclench.body.taxonomy import load_taxonomy, split_region_side
from unclench.core import clock
from unclench.core.cli_db import cli_session
from unclench.core.console import lazy_console
from unclench.core.errors import UserInputError
from unclench.core.formatting import duration_words, local_time

# Services, schemas and the database are imported inside each command: `--help` and the other domains' commands
# then never load them, and `log` loads only the diary's part.

console = lazy_console()

DURATION_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr)?\s*$", re.IGNORECASE)


def parse_duration(text: str | None) -> int | None:
    """'90s', '5m', '1.5h' or plain minutes → seconds."""
    if text is None or not text.strip():
        return None
    match = DURATION_PATTERN.match(text)
    if not match:
        raise UserInputError.single("--duration", f"'{text}' is not a duration; use e.g. 90s, 5m or 1.5h")
    value = float(match.group(1))
    unit = (match.group(2) or "m").lower()[0]
    return round(value * {"s": 1, "m": 60, "h": 3600}[unit])


def parse_when(text: str | None) -> datetime:
    if text is None or not text.strip():
        return clock.now()
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        raise UserInputError.single("--at", f"'{text}' is not a date and time; use e.g. '2026-03-01 07:30'") from None


def log(
    where: list[str] = typer.Argument(
        ...,
        metavar="REGION[:SIDE]...",
        help="Body region id(s), optionally with :left, :right or :both. See `unclench regions`.",
    ),
    kind: str = typer.Option(..., "--kind", "-k", help="twitch, tic, cramp, spasm or tension"),
    intensity: int = typer.Option(..., "--intensity", "-i", help="How strong, 0–10"),
    pain: int = typer.Option(0, "--pain", "-p", help="Pain, 0–10"),
    at: str | None = typer.Option(
        None,
        "--at",
        help="Start time in your time zone, e.g. '2026-03-01 07:30' (default: now, or now minus --duration)",
    ),
    duration: str | None = typer.Option(None, "--duration", "-d", help="How long: 90s, 5m, 1.5h"),
    ongoing: bool = typer.Option(
        False, "--ongoing", help="It is still going (close it later from the web page or API)"
    ),
    helped: str = typer.Option("", "--helped", help="What helped"),
    notes: str = typer.Option("", "--notes", help="Anything else"),
) -> None:
    """Log an episode.

    Example: unclench log calf:left --kind cramp --intensity 7 --duration 2m --helped "stretching"
    """
    from unclench.core.validation import parse_input
    from unclench.diary import service
    from unclench.diary.schemas import KIND_LABELS, EpisodeIn

    regions = [{"region": region, "side": side} for region, side in map(split_region_side, where)]
    duration_s = parse_duration(duration)
    started = parse_when(at)
    if at is None and duration_s is not None:
        started -= timedelta(seconds=duration_s)  # "it lasted 45 minutes" logged now means it ended now
    data = parse_input(
        EpisodeIn,
        {
            "started_at": started,
            "duration_s": duration_s,
            "ongoing": ongoing,
            "kind": kind,
            "intensity": intensity,
            "pain": pain,
            "regions": regions,
            "helped": helped,
            "notes": notes,
        },
    )
    with cli_session("diary") as db:
        episode = service.create_episode(db, data)
        console.print(
            f"[green]Logged[/] {KIND_LABELS[episode.kind].lower()} ({episode.intensity}/10) — id {episode.id}"
        )


def checkin(
    day: str | None = typer.Option(None, "--day", help="Which day (YYYY-MM-DD); default today"),
    stress: int | None = typer.Option(None, "--stress", help="Stress 0–10"),
    source: str | None = typer.Option(None, "--source", help="Main source of stress: work, home, health, money, other"),
    sleep: float | None = typer.Option(None, "--sleep", help="Hours slept"),
    sleep_quality: int | None = typer.Option(None, "--sleep-quality", help="Sleep quality 0–10"),
    caffeine: int | None = typer.Option(None, "--caffeine", help="Caffeinated drinks"),
    alcohol: float | None = typer.Option(None, "--alcohol", help="Alcohol units"),
    exercise: int | None = typer.Option(None, "--exercise", help="Exercise minutes"),
    exercise_type: str = typer.Option("", "--exercise-type", help="Type of exercise"),
    sitting: float | None = typer.Option(None, "--sitting", help="Hours sitting or in a static posture"),
    fluids: float | None = typer.Option(None, "--fluids", help="Fluids in litres"),
    medication: list[str] = typer.Option([], "--medication", "-m", help="A medicine taken (repeat for several)"),
    mood: int | None = typer.Option(None, "--mood", help="Mood 0–10"),
    factor: list[str] = typer.Option(
        [], "--factor", "-f", help="One of your factors as NAME=VALUE (yes/no, a number, or 0–10)"
    ),
    notes: str = typer.Option("", "--notes", help="Notes"),
) -> None:
    """Record the day's context (replaces that day's check-in).

    Example: unclench checkin --stress 7 --source work --sleep 5.5 --caffeine 4 --factor "Argument at home=yes"
    """
    from unclench.core.validation import parse_input
    from unclench.diary import service
    from unclench.diary.schemas import CheckInIn

    factors: dict[str, Any] = {}
    for item in factor:
        name, sep, value = item.rpartition("=")
        if not sep or not name.strip():
            raise UserInputError.single("--factor", f"'{item}' should look like NAME=VALUE")
        factors[name.strip()] = {"yes": 1, "no": 0}.get(value.strip().lower(), value.strip())
    data = parse_input(
        CheckInIn,
        {
            "day": day or clock.today().isoformat(),
            "stress": stress,
            "stress_source": source,
            "sleep_hours": sleep,
            "sleep_quality": sleep_quality,
            "caffeine_drinks": caffeine,
            "alcohol_units": alcohol,
            "exercise_minutes": exercise,
            "exercise_type": exercise_type,
            "sitting_hours": sitting,
            "fluids_litres": fluids,
            "medications": medication,
            "mood": mood,
            "notes": notes,
            "factors": factors,
        },
    )
    with cli_session("diary") as db:
        saved = service.upsert_checkin(db, data)
        console.print(f"[green]Check-in saved[/] for {saved.day.isoformat()}")


def episodes(
    days: int = typer.Option(30, "--days", min=1, max=3650, help="How many days back"),
    region: str | None = typer.Option(None, "--region", "-r", help="Only this region id"),
    kind: str | None = typer.Option(None, "--kind", "-k", help="Only this kind"),
) -> None:
    """List episodes, newest first.

    Example: unclench episodes --days 14 --region jaw
    """
    from rich.table import Table

    from unclench.diary import service
    from unclench.diary.schemas import KIND_LABELS

    if kind and kind not in KIND_LABELS:
        raise UserInputError.single("--kind", f"use one of {', '.join(KIND_LABELS)}")
    if region:
        from unclench.body.taxonomy import get_region

        get_region(region, field="--region")
    labels = load_taxonomy().by_id()
    with cli_session("diary") as db:
        found = service.list_episodes(db, start=clock.now() - timedelta(days=days), region=region, kind=kind)
        table = Table(title=f"{len(found)} episode(s) in the last {days} days")
        for column in ("When", "Kind", "Where", "Intensity", "Pain", "Duration", "Id"):
            table.add_column(column)
        for e in found:
            where = ", ".join(
                labels[r.region_id].describe(r.side) if r.region_id in labels else r.region_id for r in e.regions
            )
            table.add_row(
                local_time(e.started_at, tz=e.timezone),
                KIND_LABELS.get(e.kind, e.kind),
                where,
                str(e.intensity),
                str(e.pain),
                "still going" if e.ongoing else duration_words(e.duration_s),
                e.id[:8],
            )
        console.print(table)


def regions() -> None:
    """List body region ids (use them with `unclench log`).

    Example: unclench regions
    """
    from rich.table import Table

    table = Table(title="Body regions")
    for column in ("Id", "Region", "Sides", "Muscles"):
        table.add_column(column)
    for r in load_taxonomy().regions:
        table.add_row(r.id, r.label, "/".join(r.allowed_sides), ", ".join(m.name for m in r.muscles))
    console.print(table)


factors_app = typer.Typer(help="Your own factors to track in the daily check-in.", no_args_is_help=True)


@factors_app.command("add")
def factors_add(
    name: str = typer.Argument(..., help="What to call it"),
    kind: str = typer.Option("yesno", "--kind", help="yesno, number or scale (0–10)"),
    unit: str = typer.Option("", "--unit", help="Unit for numbers, e.g. 'hours'"),
) -> None:
    """Add a factor.

    Example: unclench factors add "Screen after 22:00" --kind yesno
    """
    from unclench.core.validation import parse_input
    from unclench.diary import service
    from unclench.diary.schemas import FactorIn

    with cli_session("diary") as db:
        factor = service.create_factor(db, parse_input(FactorIn, {"name": name, "kind": kind, "unit": unit}))
        console.print(f"[green]Now tracking[/] {factor.name} ({factor.kind})")


@factors_app.command("list")
def factors_list() -> None:
    """List your factors.

    Example: unclench factors list
    """
    from rich.table import Table

    from unclench.diary import service

    with cli_session("diary") as db:
        table = Table(title="Your factors")
        table.add_column("Name")
        table.add_column("Kind")
        table.add_column("Unit")
        for f in service.list_factors(db):
            table.add_row(f.name, f.kind, f.unit)
        console.print(table)


def export(
    folder: Path = typer.Argument(..., help="Folder to write episodes.csv, checkins.csv and custom_factors.csv into"),
) -> None:
    """Export the diary as CSV files.

    Example: unclench export ~/unclench-export
    """
    from unclench.accounts import audit
    from unclench.diary import csvio

    with cli_session("diary") as db:
        summary = csvio.export_diary(db, folder)
        audit.record_export(db, audit.What("diary-csv"))
    console.print(
        f"[green]Exported[/] {summary.episodes} episodes, {summary.checkins} check-ins and {summary.factors} factors to {summary.folder}"
    )


def import_(folder: Path = typer.Argument(..., help="Folder written by `unclench export`")) -> None:
    """Import CSV files written by `unclench export`. Any bad row: nothing is imported and every bad row is listed.

    Example: unclench import ~/unclench-export
    """
    from unclench.diary import csvio

    with cli_session("diary") as db:
        summary = csvio.import_diary(db, folder)
    console.print(
        f"[green]Imported[/] {summary.episodes} episodes, {summary.checkins} check-ins and {summary.factors} new factors"
    )


def register(app: typer.Typer) -> None:
    app.command()(log)
    app.command()(checkin)
    app.command()(episodes)
    app.command()(regions)
    app.add_typer(factors_app, name="factors")
    app.command()(export)
    app.command("import")(import_)
