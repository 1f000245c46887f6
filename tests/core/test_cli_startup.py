"""Everyday commands load only what they use: no numeric, plotting, voice, PDF or web library, and no Alembic
when the schema is current. Each check runs in a fresh interpreter, so imports made by other tests cannot hide
(or fake) a heavy import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("scipy", "statsmodels", "pandas", "matplotlib", "piper", "brainflow", "weasyprint", "fastapi", "alembic")

# Runs the given commands in order in one interpreter, then prints what each printed and which modules are loaded.
PROBE = """
import json, sys
from typer.testing import CliRunner
from unclench.cli import app
runner = CliRunner()
outputs = []
for args in json.loads(sys.argv[1]):
    result = runner.invoke(app, args, catch_exceptions=False)
    outputs.append([result.exit_code, result.output])
print(json.dumps({"outputs": outputs, "modules": sorted(sys.modules)}))
"""


def run_commands(*commands: list[str]) -> tuple[list[tuple[int, str]], set[str]]:
    """Run CLI commands in a fresh interpreter: (exit code, output) of each, and the modules loaded at the end."""
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(commands)],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(completed.stdout)
    return [(code, output) for code, output in report["outputs"]], set(report["modules"])


def heavy_libraries(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules} & set(HEAVY)


def test_help_loads_no_service_view_or_heavy_library() -> None:
    [(code, output)], modules = run_commands(["--help"])
    assert code == 0
    assert "log" in output and "serve" in output and "episodes" in output
    assert heavy_libraries(modules) == set()
    assert "sqlalchemy" not in modules
    assert "rich" not in {name.split(".")[0] for name in modules}  # the console is made when a command first prints
    assert sorted(m for m in modules if m.startswith("unclench.") and m.endswith((".views", ".service"))) == []


def test_log_checkin_and_episodes_load_no_heavy_library(app_env: Path) -> None:
    # app_env points at a database the session fixtures already migrated, as after `unclench demo`.
    outputs, modules = run_commands(
        ["log", "jaw", "--kind", "spasm", "--intensity", "5"],
        ["checkin", "--stress", "4", "--sleep", "7"],
        ["episodes", "--days", "2"],
    )
    assert [code for code, _ in outputs] == [0, 0, 0], outputs
    assert "Logged spasm (5/10)" in outputs[0][1]
    assert "Check-in saved" in outputs[1][1]
    assert "1 episode(s) in the last 2 days" in outputs[2][1]
    assert heavy_libraries(modules) == set(), "an everyday command loaded a heavy library"
    # Only the diary's models and those of the domains before it were mapped, yet the rows were written.
    mapped = {m.split(".")[1] for m in modules if m.startswith("unclench.") and m.endswith(".models")}
    assert mapped == {"accounts", "diary"}, mapped


def test_a_tables_foreign_keys_name_only_its_own_or_an_earlier_domains_tables() -> None:
    """What `import_models_through` relies on: a diary command that maps only the domains up to the diary can flush."""
    from unclench.core.db import Base
    from unclench.core.models_registry import DOMAINS, import_all_models

    import_all_models()
    domain_of_table: dict[str, str] = {}
    for mapper in Base.registry.mappers:
        module = mapper.class_.__module__.split(".")
        domain = module[1] if module[1] in DOMAINS else "core"
        for table in mapper.tables:
            domain_of_table[table.name] = domain
    order = {domain: index for index, domain in enumerate(DOMAINS)}
    order["core"] = 0  # the job queue's table is imported with every set, as is the first domain's (accounts)
    backwards = [
        f"{table.name} ({domain_of_table[table.name]}) -> {key.column.table.name}"
        for table in Base.metadata.sorted_tables
        for key in table.foreign_keys
        if order[domain_of_table[key.column.table.name]] > order[domain_of_table[table.name]]
    ]
    assert len(domain_of_table) == len(Base.metadata.tables)
    assert backwards == []


def test_log_on_a_fresh_data_dir_creates_the_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNCLENCH_DATA_DIR", str(tmp_path / "fresh"))
    monkeypatch.delenv("UNCLENCH_DATABASE_URL", raising=False)
    outputs, modules = run_commands(["log", "calf:left", "--kind", "cramp", "--intensity", "7"], ["episodes"])
    assert [code for code, _ in outputs] == [0, 0], outputs
    assert "cramp" in outputs[1][1].lower()
    assert "alembic" in modules  # the schema was behind (absent), so it was migrated


def test_a_command_that_loads_one_domain_can_save_a_row_that_names_another(app_env: Path) -> None:
    """An EMG recording's foreign key names the sessions' listen table: saving it from a fresh `emg analyze`, which
    imports no sessions module, must still work (every domain's tables are known before the first flush)."""
    data = Path(__file__).resolve().parents[1] / "emg" / "data" / "emg_bursts.csv"
    outputs, _ = run_commands(["emg", "analyze", str(data), "--plot", str(app_env / "plot.png")], ["emg", "list"])
    (code, output), (list_code, listing) = outputs
    assert code == 0 and "saved as recording" in output
    assert list_code == 0 and "emg_bursts" in listing
