"""`unclench insights --json` follows its documented JSON Schema (docs/insights.schema.json)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from unclench.cli import app
from unclench.insights.daytable import build_day_table
from unclench.insights.schemas import InsightsOut, json_schema
from unclench.insights.simulate import simulate_confounded_diary
from unclench.insights.triggers import analyse_triggers

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "insights.schema.json"


def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_documented_schema_is_the_one_the_models_give_and_is_valid() -> None:
    # Regenerate with: python -c "from pathlib import Path; from unclench.insights.schemas import
    # write_json_schema; write_json_schema(Path('docs/insights.schema.json'))"
    assert _schema() == json_schema()
    jsonschema.Draft202012Validator.check_schema(_schema())


def test_insights_json_output_validates_against_the_schema(app_env: Path, db: Session, seeded: date) -> None:
    result = CliRunner().invoke(app, ["insights", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    jsonschema.validate(data, _schema(), cls=jsonschema.Draft202012Validator)
    InsightsOut.model_validate(data)
    assert data["triggers"]["findings"], "the seeded diary has findings, so their shape was checked"


def test_adjusted_findings_and_pairs_validate_and_a_missing_field_does_not() -> None:
    diary = simulate_confounded_diary(days=240, seed=0)
    table = build_day_table(diary.episodes, diary.checkins, first=diary.first, last=diary.last)
    data = json.loads(json.dumps(analyse_triggers(table, diary.factors).as_dict()))
    schema = _schema()
    triggers_schema = {"$ref": "#/$defs/TriggersOut", "$defs": schema["$defs"]}
    jsonschema.validate(data, triggers_schema, cls=jsonschema.Draft202012Validator)
    adjusted = [f["adjusted"] for f in data["findings"] if f["adjusted"] is not None]
    assert {a["verdict"] for a in adjusted} >= {"holds", "shrinks"}
    assert data["collinear"] and data["collinear"][0]["level"] == "often_together"
    del adjusted[0]["verdict"]
    with pytest.raises(jsonschema.ValidationError, match="verdict"):
        jsonschema.validate(data, triggers_schema, cls=jsonschema.Draft202012Validator)
