"""`unclench screen` and `unclench meds` against a real database; bad input exits 2 and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from unclench.cli import app
from unclench.screening import cli as screening_cli

pytestmark = pytest.mark.hard_dates

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screening_cli, "console", Console(width=250))


def test_triage_with_flags_then_status(app_env: Path) -> None:
    result = runner.invoke(app, ["screen", "triage", "--yes", "dvt", "--yes", "brief_cramps"])
    assert result.exit_code == 0, result.output
    assert "SEE A DOCTOR TODAY" in result.output
    assert "https://www.nhs.uk/conditions/deep-vein-thrombosis-dvt/" in result.output
    status = runner.invoke(app, ["screen", "status"])
    assert "Last safety check: See a doctor today" in status.output


def test_interactive_triage_stops_after_an_emergency_answer(app_env: Path) -> None:
    # Yes to the first question (stroke signs); the emergency block ends with 7 more "no".
    result = runner.invoke(app, ["screen", "triage"], input="y\n" + "n\n" * 7)
    assert result.exit_code == 0, result.output
    assert "EMERGENCY NOW" in result.output
    assert "stroke" in result.output


def test_unknown_rule_exits_2(app_env: Path) -> None:
    result = runner.invoke(app, ["screen", "triage", "--yes", "bogus"])
    assert result.exit_code == 2
    assert "unknown triage question" in result.output


def test_all_clear_and_bad_date(app_env: Path) -> None:
    assert runner.invoke(app, ["screen", "all-clear", "--date", "2026-01-05", "--note", "bloods ok"]).exit_code == 0
    bad = runner.invoke(app, ["screen", "all-clear", "--date", "05/01/2026"])
    assert bad.exit_code == 2 and "is not a date" in bad.output
    assert "Physical all clear: checked on 05 Jan 2026 — bloods ok" in runner.invoke(app, ["screen", "status"]).output


def test_rules_and_causes_list_sources(app_env: Path) -> None:
    rules = runner.invoke(app, ["screen", "rules"])
    assert "stroke_signs" in rules.output and "https://www.nhs.uk/conditions/stroke/symptoms/" in rules.output
    causes = runner.invoke(app, ["screen", "causes"])
    assert "Thyroid" in causes.output and "Ask:" in causes.output


def test_meds_check_add_list_remove(app_env: Path) -> None:
    checked = runner.invoke(app, ["meds", "check", "Lipitor 20mg", "sertaline", "prednis"])
    assert checked.exit_code == 0
    assert "Statins" in checked.output and "we read 'sertaline' as sertraline" in checked.output
    assert (
        "We don't recognise 'prednis' as a medicine name — check the spelling. Did you mean: prednisone,"
        in " ".join(checked.output.split())
    )
    assert "Do not stop" in checked.output
    refused = runner.invoke(app, ["meds", "add", "xyzzy"])
    assert refused.exit_code == 2 and "We don't recognise 'xyzzy'" in refused.output
    assert runner.invoke(app, ["meds", "add", "ventolin", "--note", "2 puffs"]).exit_code == 0
    listed = runner.invoke(app, ["meds", "list"])
    assert "ventolin" in listed.output and "Beta-2 agonist" in listed.output


def test_every_command_has_an_example_in_help() -> None:
    for args in (["screen"], ["meds"]):
        for name in (
            ("triage", "rules", "causes", "all-clear", "flag", "status")
            if args == ["screen"]
            else ("check", "add", "list", "remove")
        ):
            result = runner.invoke(app, [*args, name, "--help"])
            assert result.exit_code == 0
            assert "Example: unclench" in result.output, name


def test_flag_an_episode_brings_the_triage_back(app_env: Path) -> None:
    logged = runner.invoke(app, ["log", "calf:left", "--kind", "cramp", "--intensity", "7"])
    assert logged.exit_code == 0, logged.output
    from unclench.core.db import session_scope
    from unclench.diary.service import list_episodes

    with session_scope() as db:
        episode_id = list_episodes(db)[0].id
    flagged = runner.invoke(app, ["screen", "flag", episode_id, "--feature", "swollen_calf"])
    assert flagged.exit_code == 0 and "One swollen calf" in flagged.output
    assert "take the safety check again" in runner.invoke(app, ["screen", "status"]).output
    bad = runner.invoke(app, ["screen", "flag", episode_id, "--feature", "glowing"])
    assert bad.exit_code == 2
    assert runner.invoke(app, ["screen", "flag", "nope", "--feature", "weakness"]).exit_code == 2
