"""Safety commands: `unclench screen …` (triage, causes, all clear, red flags) and `unclench meds …`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import typer

from unclench.core.cli_db import cli_session
from unclench.core.console import lazy_console
from unclench.core.errors import UserInputError
from unclench.screening.knowledge import load_medications, load_physical_causes, load_red_flags, load_triage

# The service (and the database behind it) and the fuzzy medicine matcher load inside the commands that use them,
# so `--help` and other commands do not.
if TYPE_CHECKING:
    from unclench.screening.meds import MedicationMatch
    from unclench.screening.triage import TriageOutcome

console = lazy_console()

TONE_STYLE = {"urgent": "bold white on red", "warn": "bold black on yellow", "calm": "bold green"}

screen_app = typer.Typer(
    help="Safety first: red-flag triage, physical causes to ask about, and your doctor's all clear.",
    no_args_is_help=True,
)
meds_app = typer.Typer(
    help="Check your medicines against known muscle cramp, spasm and twitch side effects.", no_args_is_help=True
)


def print_outcome(outcome: TriageOutcome) -> None:
    from rich.panel import Panel

    level = outcome.level
    style = TONE_STYLE.get(level.tone, "bold")
    body = f"[{style}] {level.title.upper()} [/]\n\n{level.action}\n\n[bold]Why:[/]\n" + "\n".join(
        f"  • {reason}" for reason in outcome.reasons
    )
    body += "\n\n[bold]Sources:[/]\n" + "\n".join(f"  {s.title} — {s.url}" for s in outcome.sources)
    console.print(Panel(body, title="Safety check result", border_style="red" if level.tone == "urgent" else "green"))
    console.print("[dim]This is not a diagnosis. If you are worried, see a doctor whatever the result.[/]")


@screen_app.command("triage")
def triage(
    yes: list[str] = typer.Option(
        None, "--yes", "-y", help="Id of a question you answer yes to (repeatable). Without any, you are asked."
    ),
    none: bool = typer.Option(False, "--none", help="Answer no to every question without being asked."),
) -> None:
    """Take the red-flag safety check and store the result.

    Asks each question in plain words (answer y/n), or takes the yes answers as --yes ids (see `unclench screen rules`).

    Example: unclench screen triage --yes dvt --yes brief_cramps
    """
    from unclench.screening import service

    book = load_triage()
    answers = list(yes or [])
    if not answers and not none:
        console.print("[bold]Answer each question about how you are now.[/] (y = yes, n or Enter = no)\n")
        for level, rules in book.rules_by_level():
            for rule in rules:
                if typer.confirm(rule.question, default=False):
                    answers.append(rule.id)
            if level.id == "emergency" and answers:
                break  # an emergency answer decides it: do not keep the person reading
    with cli_session() as db:
        _, outcome = service.record_triage(db, answers)
    print_outcome(outcome)


@screen_app.command("rules")
def rules() -> None:
    """List the triage questions with their ids, outcome levels and sources.

    Example: unclench screen rules
    """
    from rich.table import Table

    table = Table(title="Safety check questions", show_lines=True)
    table.add_column("Id", style="cyan", no_wrap=True)
    table.add_column("Outcome if yes")
    table.add_column("Question")
    table.add_column("Source")
    for level, items in load_triage().rules_by_level():
        for rule in items:
            table.add_row(rule.id, level.title, rule.question, "\n".join(s.url for s in rule.sources))
    console.print(table)


@screen_app.command("causes")
def causes() -> None:
    """Physical causes worth asking a doctor about (what to ask, not a diagnosis).

    Example: unclench screen causes
    """
    from rich.panel import Panel

    checklist = load_physical_causes()
    console.print(checklist.intro + "\n")
    for item in checklist.items:
        sources = "; ".join(f"{s.title} {s.url}" for s in item.sources)
        console.print(
            Panel(f"{item.why}\n\n[bold]Ask:[/] {item.ask}\n[dim]{sources}[/]", title=item.title, title_align="left")
        )
    console.print(f"[dim]{checklist.blood_tests_note}[/]")


@screen_app.command("all-clear")
def all_clear(
    on: str = typer.Option(..., "--date", help="The day the doctor checked you (YYYY-MM-DD)."),
    note: str = typer.Option("", "--note", help="Optional note, e.g. what was tested."),
) -> None:
    """Record that a doctor has checked you (the home page stops reminding you).

    Example: unclench screen all-clear --date 2026-03-01 --note "bloods normal, thyroid fine"
    """
    from unclench.screening import service

    try:
        checked_on = date.fromisoformat(on.strip())
    except ValueError:
        raise UserInputError.single("--date", f"'{on}' is not a date; use e.g. 2026-03-01") from None
    with cli_session() as db:
        service.record_all_clear(db, checked_on, note)
    console.print(f"[green]Recorded:[/] a doctor checked you on {checked_on:%d %B %Y}.")


@screen_app.command("flag")
def flag(
    episode_id: str = typer.Argument(..., help="The diary episode's id (see `unclench episodes`)."),
    feature: list[str] = typer.Option(
        None, "--feature", "-f", help="A red-flag feature id (repeatable); none clears them."
    ),
) -> None:
    """Mark warning signs on a diary episode; this brings the safety check back.

    Features: weakness, numbness, spreading, swallowing_breathing, fever_stiff_neck, after_injury, dark_urine,
    swollen_calf, long_cramp, bladder_bowel, new_medicine, face_speech.

    Example: unclench screen flag 3f2a9c… --feature weakness --feature numbness
    """
    from unclench.screening import service

    with cli_session() as db:
        chosen = service.set_episode_red_flags(db, episode_id, list(feature or []))
    if chosen:
        labels = {f.id: f.label for f in load_red_flags()}
        console.print(f"[yellow]Noted:[/] {', '.join(labels[c] for c in chosen)}.")
        console.print("[bold]Please take the safety check again:[/] unclench screen triage")
    else:
        console.print("Warning signs cleared for this episode.")


@screen_app.command("status")
def status() -> None:
    """Where you stand: the last safety check, warning signs waiting, the doctor's all clear.

    Example: unclench screen status
    """
    from unclench.screening import service

    with cli_session() as db:
        last = service.latest_triage(db)
        clear = service.latest_all_clear(db)
        notices = service.safety_notices(db)
        outcome = service.outcome_of(last) if last else None
        taken = last.taken_at if last else None
    if outcome and taken:
        console.print(f"Last safety check: [bold]{outcome.level.title}[/] ({taken:%d %b %Y})")
    else:
        console.print("You have not taken the safety check yet: unclench screen triage")
    if clear:
        console.print(
            f"Physical all clear: checked on {clear.checked_on:%d %b %Y}" + (f" — {clear.note}" if clear.note else "")
        )
    for notice in notices:
        style = "bold red" if notice["level"] == "urgent" else "green"
        console.print(f"[{style}]• {notice['text']}[/]")


def print_match(match: MedicationMatch) -> None:
    if match.entry is None:
        console.print(f"[dim]• {match.message}[/]" if match.recognised else f"[yellow]✗ {match.message}[/]")
        return
    entry = match.entry
    evidence = f" [dim](evidence: {entry.evidence}{'; ' + entry.evidence_note if entry.evidence_note else ''})[/]"
    console.print(f"[bold]✓ {match.message}[/]{evidence}")
    for source in entry.sources:
        console.print(f"  [dim]{source.title} — {source.url}[/]")


@meds_app.command("check")
def check(names: list[str] = typer.Argument(..., help="Medicine names as you would write them.")) -> None:
    """Check medicine names without saving them.

    Example: unclench meds check "Lipitor 20mg" ventolin sertaline
    """
    from unclench.screening.meds import match_medication

    for name in names:
        print_match(match_medication(name))
    console.print(f"\n[bold]{load_medications().advice}[/]")


@meds_app.command("add")
def add(
    name: str = typer.Argument(..., help="The medicine as you would write it."),
    note: str = typer.Option("", "--note", help="Optional note (dose, since when)."),
    keep: bool = typer.Option(False, "--keep", help="Keep a name we do not know (after checking the spelling)."),
) -> None:
    """Add a medicine to your list (it shows in the doctor's report).

    Example: unclench meds add "atorvastatin 20 mg" --note "since January"
    """
    from unclench.screening import service

    with cli_session() as db:
        _, match = service.add_medication(db, name, note=note, keep_unknown=keep)
    print_match(match)
    console.print(f"[green]Added to your list.[/] {load_medications().advice}")


@meds_app.command("list")
def list_() -> None:
    """Your medicines (your list and names from check-ins) with known muscle effects.

    Example: unclench meds list
    """
    from rich.table import Table

    from unclench.screening import service

    with cli_session() as db:
        meds = [
            (m.id, m.name if m.typed in ("", m.name) else f"{m.name} (you typed {m.typed})", m.note)
            for m in service.list_medications(db)
        ]
        matches = service.medication_matches(db)
    table = Table(title="Your medicines")
    table.add_column("Id", style="dim")
    table.add_column("Medicine")
    table.add_column("Note")
    for med_id, name, note in meds:
        table.add_row(med_id, name, note)
    console.print(table)
    for item in matches:
        if item["found"]:
            entry = item["entry"]
            console.print(
                f"[bold]{item['name']}[/] ({item['origin']}): {entry['class']} — {entry['effect']} "
                f"[dim](evidence: {entry['evidence']}; {entry['sources'][0]['url']})[/]"
            )
        else:
            what = (
                "a medicine we know; our sources list no muscle cramps or spasms for it"
                if item["recognised"]
                else "we don't recognise this name"
            )
            console.print(f"[dim]{item['name']} ({item['origin']}): {what}.[/]")
    console.print(f"\n[bold]{load_medications().advice}[/]")


@meds_app.command("remove")
def remove(medication_id: str = typer.Argument(..., help="The id shown by `unclench meds list`.")) -> None:
    """Remove a medicine from your list.

    Example: unclench meds remove 3f2a9c…
    """
    from unclench.screening import service

    with cli_session() as db:
        service.remove_medication(db, medication_id)
    console.print("Removed.")


def register(app: typer.Typer) -> None:
    app.add_typer(screen_app, name="screen")
    app.add_typer(meds_app, name="meds")
