"""`unclench emg …` commands against a real database; bad input exits 2 with a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from unclench.cli import app
from unclench.emg import cli as emg_cli

runner = CliRunner()
DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emg_cli, "console", Console(width=200))


def test_analyze_prints_table_writes_png_and_saves(app_env: Path, tmp_path: Path) -> None:
    png = tmp_path / "p.png"
    result = runner.invoke(
        app, ["emg", "analyze", str(DATA / "emg_fatigue.csv"), "--plot", str(png), "--region", "emg_mV=upper_arm:left"]
    )
    assert result.exit_code == 0, result.output
    assert "emg_mV" in result.output and " 30 " in result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    listed = runner.invoke(app, ["emg", "list"])
    assert "upper_arm left" in listed.output


def test_analyze_bad_input_exits_2(app_env: Path, tmp_path: Path) -> None:
    csv = tmp_path / "x.csv"
    csv.write_text("a\n1\n2\n3\n")
    result = runner.invoke(app, ["emg", "analyze", str(csv), "--no-save"])
    assert result.exit_code == 2 and "sample rate is missing" in result.output
    result = runner.invoke(app, ["emg", "live", "--board", "nosuchboard"])
    assert result.exit_code == 2 and "unknown board" in result.output
    result = runner.invoke(app, ["emg", "live", "--board", "cyton"])
    assert result.exit_code == 2 and "serial port" in result.output


def test_analyze_json_matches_its_schema(app_env: Path) -> None:
    import json

    import jsonschema

    result = runner.invoke(app, ["emg", "analyze", str(DATA / "emg_bursts.csv"), "--no-save", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    schema = json.loads((Path(emg_cli.__file__).parent / "analysis.schema.json").read_text())
    jsonschema.validate(doc, schema)
    (channel,) = doc["channels"]
    assert channel["name"] == "emg_mV" and channel["fs"] == 1000.0
    assert len(channel["bursts"]) == 9 and {b["kind"] for b in channel["bursts"]} == {"burst"}
    assert channel["quality"]["ecg"] is False
    broken = {**doc, "channels": [{**channel, "bursts": [{**channel["bursts"][0], "kind": "spasm"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_delete_asks_first_and_takes_the_start_of_the_id(app_env: Path) -> None:
    from unclench.core.db import session_scope
    from unclench.emg import service

    with session_scope() as db:
        rec_id = service.import_file(db, path=DATA / "emg_bursts.csv").id
    kept = runner.invoke(app, ["emg", "delete", rec_id[:8]], input="n\n")
    assert kept.exit_code == 1 and "Nothing was deleted" in kept.output
    assert rec_id[:8] in runner.invoke(app, ["emg", "list"]).output
    deleted = runner.invoke(app, ["emg", "delete", rec_id[:8], "--yes"])
    assert deleted.exit_code == 0 and "Deleted the recording emg_bursts.csv" in deleted.output
    assert rec_id[:8] not in runner.invoke(app, ["emg", "list"]).output
    unknown = runner.invoke(app, ["emg", "delete", rec_id[:8], "--yes"])
    assert unknown.exit_code == 2 and "No EMG recording" in unknown.output
