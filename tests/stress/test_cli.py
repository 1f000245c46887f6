"""`unclench stress` against a real database; incomplete answers exit 2 and say which items are missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from unclench.cli import app
from unclench.stress import cli as stress_cli

pytestmark = pytest.mark.hard_dates

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stress_cli, "console", Console(width=250))


def test_pss_phq4_and_history(app_env: Path) -> None:
    result = runner.invoke(app, ["stress", "pss", "--answers", "3,2,3,1,2,3,2,1,2,3"])
    assert result.exit_code == 0, result.output
    assert "26 of 40" in result.output and "commonly used band" in result.output
    phq = runner.invoke(app, ["stress", "phq4"], input="2\n9\n1\n0\n0\n")
    assert phq.exit_code == 0, phq.output
    assert "number from 0 to 3" in phq.output
    assert "talk to a doctor" in phq.output
    history = runner.invoke(app, ["stress", "history"])
    assert "26 / 40" in history.output and "3 / 12" in history.output


def test_incomplete_answers_exit_2(app_env: Path) -> None:
    result = runner.invoke(app, ["stress", "pss", "--answers", "1,2,,3"])
    assert result.exit_code == 2
    assert "missing items 3, 5, 6, 7, 8, 9, 10" in " ".join(result.output.split())


def test_rate_and_plan(app_env: Path) -> None:
    result = runner.invoke(app, ["stress", "rate", "-r", "deadlines=4:3", "-r", "money=3:0"])
    assert result.exit_code == 0, result.output
    assert "Remove" in result.output and "/sessions" in result.output
    assert "Money worries" in runner.invoke(app, ["stress", "plan"]).output
    bad = runner.invoke(app, ["stress", "rate", "-r", "deadlines=9:1"])
    assert bad.exit_code == 2 and "from 0 to 4" in bad.output


def test_reflect_shows_the_tradition_label(app_env: Path) -> None:
    result = runner.invoke(app, ["stress", "reflect", "jaw", "--prompt", "jaw_unsaid", "--note", "Monday"])
    assert result.exit_code == 0, result.output
    assert "A tradition, not medical fact" in result.output and "Saved" in result.output
    assert runner.invoke(app, ["stress", "reflect", "tail"]).exit_code == 2


def test_help_has_examples() -> None:
    for name in ("pss", "phq4", "history", "rate", "plan", "reflect"):
        assert "Example: unclench stress" in runner.invoke(app, ["stress", name, "--help"]).output
