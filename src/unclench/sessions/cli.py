"""Session commands: `unclench session render …`, `unclench session list`, `unclench session practice`."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from unclench.body.taxonomy import get_region, split_region_side
from unclench.core.cli_db import cli_session
from unclench.core.console import lazy_console
from unclench.core.errors import UserInputError
from unclench.sessions.options import BINAURAL_BEATS, SessionOptions, TargetRegion

# The service and the renderer (NumPy, SciPy, the Piper voice) load inside the commands that use them,
# so `--help` and other commands do not.

console = lazy_console()
session_app = typer.Typer(
    help="Guided relaxation sessions: render personalised audio, list your sessions.", no_args_is_help=True
)


def parse_regions(text: str) -> tuple[list[TargetRegion], bool]:
    """'auto' or 'jaw:left,suboccipitals' → target regions (and whether to take them from the diary)."""
    if text.strip().lower() in ("auto", ""):
        return [], True
    if text.strip().lower() == "none":
        return [], False
    regions = []
    for part in text.split(","):
        region_id, side = split_region_side(part)
        region = get_region(region_id, field="--regions")
        regions.append(TargetRegion(region.id, side or ("both" if region.lateral else "centre")))
    return regions, False


@session_app.command("render")
def render(
    minutes: float = typer.Option(10.0, "--minutes", "-m", help="Length, 3 to 45 minutes."),
    technique: str = typer.Option("pmr", help="pmr, breathing, body_scan, autogenic or hypnotic."),
    groups: int = typer.Option(7, help="PMR muscle groups: 16, 7 or 4."),
    release_only: bool = typer.Option(False, "--release-only", help="PMR without tensing (for muscles that spasm)."),
    regions: str = typer.Option("auto", help="'auto' (from your diary), 'none', or ids like jaw:left,suboccipitals."),
    background: str = typer.Option("pink", help="none, pink, brown, rain or ocean."),
    binaural: str = typer.Option("none", help=f"Binaural beat (headphones only): {', '.join(BINAURAL_BEATS)}."),
    ending: str = typer.Option("wake", help="wake or sleep."),
    pace: str = typer.Option("calm", help="slow, calm or natural."),
    voice: str = typer.Option("joe", help="Voice id."),
    name: str = typer.Option("", help="Your first name, spoken in the session (optional)."),
    seed: int | None = typer.Option(None, help="Variation number: same number and settings = same audio. Default: 1."),
    adaptive: bool = typer.Option(
        False, "--adaptive", help="Also render the alternatives a sensor can choose between (pmr, body_scan, hypnotic)."
    ),
    fmt: str = typer.Option(
        "wav", "--format", help="Formats to copy with --out, comma-separated (every one is made): wav, ogg, mp3."
    ),
    out: Path | None = typer.Option(None, help="Also copy the audio and transcript into this folder."),
) -> None:
    """Render a personalised session with a progress bar, store it in your library.

    Example: unclench session render --minutes 10 --technique pmr --groups 7 --regions auto --background rain
    """
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from unclench.sessions import service

    targets, auto = parse_regions(regions)
    formats = tuple(f.strip() for f in fmt.split(",") if f.strip())
    options = SessionOptions(
        minutes=minutes,
        technique=technique,
        pmr_groups=groups,
        pmr_style="release_only" if release_only else "tense_release",
        regions=tuple(targets),
        voice=voice,
        pace=pace,
        background=background,
        binaural=binaural,
        ending=ending,
        name=name,
        seed=service.FIRST_VARIATION if seed is None else seed,
        adaptive=adaptive,
    )
    for f in formats:
        if f not in ("wav", "ogg", "mp3"):
            raise UserInputError.single("--format", f"'{f}' is not a format; use wav, ogg or mp3.")
    with cli_session() as db:
        options = service.personal_options(db, options, auto_regions=auto)
        from unclench.sessions.composer import describe_short_session

        shortened = describe_short_session(options)
        if shortened:
            console.print(shortened)
        session = service.create_session(db, options)
        session_id = session.id
        title = session.title
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("starting", total=1.0)
        result = service.render_now(
            session_id,
            lambda stage, fraction: bar.update(task, completed=fraction, description=stage),
            options=options,  # checked when the session was saved: not checked again
        )
    console.print(f"[green]Rendered[/green] {title}: {result.duration_s / 60:.1f} min, {result.loudness_lufs} LUFS.")
    if options.regions:
        console.print("Target regions: " + ", ".join(get_region(r.region_id).describe(r.side) for r in options.regions))
    if options.binaural != "none":
        console.print("[yellow]Binaural beat: use headphones.[/yellow]")
    console.print(f"Session id {session_id}; files in {result.folder}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for f in formats:
            shutil.copy2(result.folder / f"session.{f}", out / f"session-{session_id[:8]}.{f}")
        shutil.copy2(result.folder / "transcript.vtt", out / f"session-{session_id[:8]}.vtt")
        console.print(f"Copied to {out}")


@session_app.command("list")
def list_sessions() -> None:
    """List your sessions with their status and how often you listened.

    Example: unclench session list
    """
    from rich.table import Table

    from unclench.sessions import service

    with cli_session() as db:
        table = Table("id", "title", "status", "length", "listens", "created")
        for session in service.list_sessions(db):
            length = f"{session.duration_s / 60:.1f} min" if session.duration_s else "-"
            table.add_row(
                session.id[:8],
                session.title,
                service.current_status(session),
                length,
                str(sum(listen.status == "listened" for listen in session.listens)),
                session.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        console.print(table)


@session_app.command("practice")
def practice(
    streaks: bool | None = typer.Option(None, "--streaks/--no-streaks", help="Show your practice streak or not."),
    reminder: str | None = typer.Option(None, help="Daily reminder on the home page from this time (hh:mm), or 'off'."),
) -> None:
    """Show or change your practice settings: the streak and a daily reminder, both optional.

    Example: unclench session practice --reminder 20:30 --no-streaks
    """
    from unclench.sessions import service

    with cli_session() as db:
        preference = service.set_practice_preference(db, streaks_on=streaks, reminder=reminder)
        streak = f", {service.streak_days(db)} day(s) in a row" if preference.streaks_on else ""
        console.print(
            f"Streak: {'on' if preference.streaks_on else 'off'}{streak}. "
            f"Reminder: {service.reminder_label(preference)}."
        )


def register(app: typer.Typer) -> None:
    app.add_typer(session_app, name="session")
