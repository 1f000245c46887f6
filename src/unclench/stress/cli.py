"""Stress commands: `unclench stress …` (PSS-10, PHQ-4, history, stressor inventory and plan, reflection)."""

from __future__ import annotations

from typing import Any

import typer

from unclench.body.taxonomy import get_region
from unclench.core.cli_db import cli_session
from unclench.core.console import lazy_console
from unclench.core.errors import UserInputError
from unclench.stress.inventory import Plan, load_inventory_data, stressors
from unclench.stress.questionnaires import Score, load_instrument
from unclench.stress.reflection import load_reflection_data, prompts_for_region

# The service (and the database behind it) loads inside the commands that use it, so `--help` and other commands
# do not.

console = lazy_console()

stress_app = typer.Typer(
    help="Stress: the Perceived Stress Scale, a brief anxiety and mood screen, your stressors and a plan.",
    no_args_is_help=True,
)


def parse_answer_list(text: str) -> list[int | None]:
    """'2,1,3,,4' → [2, 1, 3, None, 4] (blank = unanswered)."""
    out: list[int | None] = []
    for n, part in enumerate(text.split(","), start=1):
        part = part.strip()
        if not part:
            out.append(None)
            continue
        try:
            out.append(int(part))
        except ValueError:
            raise UserInputError.single(f"item {n}", f"'{part}' is not a whole number") from None
    return out


def ask_number(question: str, top: int, *, default: int | None = None) -> int:
    """Ask until the answer is a whole number from 0 to top."""
    while True:
        value = typer.prompt(question, type=int, default=default)
        if 0 <= value <= top:
            return int(value)
        console.print(f"[yellow]Please answer with a number from 0 to {top}.[/]")


def ask_items(instrument: str) -> list[int | None]:
    data = load_instrument(instrument)
    options = ", ".join(f"{o['value']} = {o['label']}" for o in data["options"])
    console.print(f"[bold]{data['name']}[/]\n{data['stem']}\n[dim]{options}[/]\n")
    top = max(o["value"] for o in data["options"])
    answers: list[int | None] = []
    for item in data["items"]:
        answers.append(ask_number(f"{item['number']}. {item['text']}", top))
    return answers


def print_score(result: Score) -> None:
    data = load_instrument(result.instrument)
    console.print(f"\n[bold]{data['name']}: {result.total} of {result.maximum}[/] — {result.band_label}")
    if result.subscores:
        labels = {key: spec["label"] for key, spec in data["subscales"].items()}
        for key, value in result.subscores.items():
            flag = " [yellow](positive screen)[/]" if result.positive.get(key) else ""
            console.print(f"  {labels[key]}: {value}{flag}")
    console.print(result.message)
    console.print(f"[dim]Source: {data['source']['title']} — {data['source']['url']}[/]")


def _take(instrument: str, answers: str | None) -> None:
    from unclench.stress import service

    values = parse_answer_list(answers) if answers else ask_items(instrument)
    with cli_session() as db:
        _, result = service.record_questionnaire(db, instrument, values)
    print_score(result)


@stress_app.command("pss")
def pss(
    answers: str = typer.Option(None, "--answers", help="Ten answers 0-4 in item order, comma-separated."),
) -> None:
    """Take the Perceived Stress Scale (PSS-10, about the last month); suggested monthly.

    0 = never, 1 = almost never, 2 = sometimes, 3 = fairly often, 4 = very often.

    Example: unclench stress pss --answers 2,3,2,1,2,3,2,1,2,3
    """
    _take("pss10", answers)


@stress_app.command("phq4")
def phq4(
    answers: str = typer.Option(None, "--answers", help="Four answers 0-3 in item order, comma-separated."),
) -> None:
    """Take the PHQ-4, a brief anxiety and low-mood screen (about the last two weeks).

    0 = not at all, 1 = several days, 2 = more than half the days, 3 = nearly every day.

    Example: unclench stress phq4 --answers 1,1,0,1
    """
    _take("phq4", answers)


@stress_app.command("history")
def history() -> None:
    """Your PSS-10 and PHQ-4 results over time.

    Example: unclench stress history
    """
    from rich.table import Table

    from unclench.stress import service

    with cli_session() as db:
        rows = [
            (r.taken_at, r.instrument, r.total, r.band)
            for instrument in ("pss10", "phq4")
            for r in service.questionnaire_history(db, instrument)
        ]
        due = service.pss_due(db)
    table = Table(title="Questionnaire history")
    for column in ("Date", "Questionnaire", "Score", "Band"):
        table.add_column(column)
    for taken_at, instrument, total, band in sorted(rows):
        maximum = 40 if instrument == "pss10" else 12
        table.add_row(f"{taken_at:%d %b %Y}", instrument.upper(), f"{total} / {maximum}", band)
    console.print(table)
    norms = load_instrument("pss10")["norms"]
    console.print(f"[dim]PSS-10 context: {norms['note']}[/]")
    if due:
        console.print("It is a month or more since your last PSS-10: unclench stress pss")


def print_plan(plan: Plan) -> None:
    if plan.empty:
        console.print("Nothing is weighing on you in the inventory. Rate your stressors with `unclench stress rate`.")
        return
    for title, items in (("Remove", plan.remove), ("Reduce", plan.reduce), ("Manage with relaxation", plan.manage)):
        if not items:
            continue
        console.print(f"\n[bold]{title}[/]")
        for item in items:
            link = f" → {item.href}" if item.href else ""
            console.print(
                f"  • {item.stressor.label} (weighs {item.weight}/4, leeway {item.leeway}/4): {item.suggestion}{link}"
            )
    source = load_inventory_data()["manage"]["source"]
    console.print(f"[dim]Relaxation: {source['title']} — {source['url']}[/]")


@stress_app.command("rate")
def rate(
    rating: list[str] = typer.Option(
        None, "--rate", "-r", help="STRESSOR=WEIGHT:LEEWAY, each 0-4 (repeatable). Without any, you are asked."
    ),
) -> None:
    """Rate your life stressors: how much each weighs and how much leeway you have; prints your plan.

    Stressors: deadlines, message_flood, job_insecurity, work_conflict, workload, relationships, neighbours,
    children, family_illness, isolation, money.

    Example: unclench stress rate --rate deadlines=4:3 --rate money=3:0
    """
    from unclench.stress import service

    raw: dict[str, dict[str, Any]] = {}
    if rating:
        for text in rating:
            key, _, values = text.partition("=")
            weight, _, leeway = values.partition(":")
            if not key or not values:
                raise UserInputError.single("--rate", f"'{text}' should look like deadlines=4:3")
            raw[key.strip()] = {"weight": weight, "leeway": leeway}
    else:
        data = load_inventory_data()
        console.print(f"Weight: {', '.join(f'{n}={w}' for n, w in enumerate(data['weight_scale']))}")
        console.print(f"Leeway: {', '.join(f'{n}={w}' for n, w in enumerate(data['leeway_scale']))}\n")
        for stressor in stressors():
            weighs = ask_number(f"{stressor.label}: how much does it weigh?", 4, default=0)
            room = ask_number("  …and how much leeway do you have over it?", 4) if weighs else 0
            raw[stressor.id] = {"weight": weighs, "leeway": room}
    with cli_session() as db:
        plan = service.save_ratings(db, raw)
        print_plan(plan)


@stress_app.command("plan")
def plan() -> None:
    """Show your stressor plan: what to remove, reduce, or manage with relaxation practice.

    Example: unclench stress plan
    """
    from unclench.stress import service

    with cli_session() as db:
        print_plan(service.current_plan(db))


@stress_app.command("reflect")
def reflect(
    region: str = typer.Argument(..., help="A body region id (see `unclench regions`)."),
    prompt: str = typer.Option(None, "--prompt", help="Id of the prompt you answer (shown in the list)."),
    note: str = typer.Option(None, "--note", help="Your private answer."),
) -> None:
    """Reflection questions for a body region (a tradition, not medical fact); optionally save an answer.

    Example: unclench stress reflect jaw --prompt jaw_unsaid --note "the meeting on Monday"
    """
    from unclench.stress import service

    data = load_reflection_data()
    label = get_region(region).label
    console.print(f"[bold]{label}[/] — [italic]{data['label']}[/]\n[dim]{data['disclaimer']}[/]\n")
    for item in prompts_for_region(region):
        console.print(f"  [cyan]{item.id}[/]  {item.text}")
    if prompt is None and note is None:
        return
    if prompt is None or note is None:
        raise UserInputError.single("--note", "give both --prompt and --note to save an answer")
    with cli_session() as db:
        service.add_reflection_note(db, prompt, note)
    console.print("\n[green]Saved as a private note.[/]")


def register(app: typer.Typer) -> None:
    app.add_typer(stress_app, name="stress")
