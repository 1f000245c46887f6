"""The diary CLI: real commands against a real database; bad input exits 2 without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from unclench.cli import app
from unclench.diary import cli as diary_cli

pytestmark = pytest.mark.hard_dates

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables wrap at 80 columns; give them room so assertions see whole cells."""
    monkeypatch.setattr(diary_cli, "console", Console(width=200))


def test_log_list_checkin_and_export(app_env: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["log", "jaw:right", "neck_back", "--kind", "tension", "--intensity", "6", "--duration", "45m"]
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["episodes", "--days", "2"])
    assert "Jaw (masseter, TMJ) (right)" in listed.output and "45 min" in listed.output
    assert runner.invoke(app, ["factors", "add", "Cold weather"]).exit_code == 0
    result = runner.invoke(
        app, ["checkin", "--stress", "7", "--source", "work", "--sleep", "5.5", "--factor", "Cold weather=yes"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["export", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert "Cold weather" in (tmp_path / "out" / "checkins.csv").read_text()


def test_bad_input_exits_2_with_a_message(app_env: Path) -> None:
    for args, expected in [
        (["log", "calf:up", "--kind", "cramp", "--intensity", "12"], "must be at most 10"),
        (["log", "calf", "--kind", "cramp", "--intensity", "5", "--duration", "forever"], "not a duration"),
        (["log", "calf", "--kind", "cramp", "--intensity", "5", "--at", "yesterday"], "not a date"),
        (["checkin", "--stress", "5", "--factor", "Nope=1"], "not one of your factors"),
        (["episodes", "--region", "tail"], "not a known body region"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_demo_is_reproducible_and_only_fills_an_empty_diary(app_env: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--days", "120", "--seed", "11"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 2 and "already has entries" in again.output
    runner.invoke(app, ["export", str(tmp_path / "a")])
    episodes = (tmp_path / "a" / "episodes.csv").read_text().splitlines()
    checkins = (tmp_path / "a" / "checkins.csv").read_text().splitlines()
    assert len(checkins) == 121
    assert len(episodes) > 100
