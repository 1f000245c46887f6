"""Whatever dates are stored (even ones no form accepts today), the insights pages, API and CLI still answer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from unclench.cli import app
from unclench.diary.models import CheckIn, Episode, EpisodeRegion


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_an_episode_from_year_1_does_not_break_insights(
    client: TestClient, db: Session, app_env: Path, timezone: str
) -> None:
    # Written straight to the tables, as an older version without the date range could have stored it.
    for moment in (datetime(1, 1, 1, tzinfo=UTC), datetime(1676, 6, 1, tzinfo=UTC), datetime(2026, 1, 5, tzinfo=UTC)):
        db.add(
            Episode(
                started_at=moment,
                timezone=timezone,
                kind="cramp",
                intensity=5,
                regions=[EpisodeRegion(region_id="calf", side="left")],
            )
        )
    db.add(CheckIn(day=date(1, 1, 1), stress=5))
    db.commit()
    assert client.get("/insights").status_code == 200
    api = client.get("/api/insights")
    assert api.status_code == 200, api.text
    result = CliRunner().invoke(app, ["insights"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_a_period_out_of_range_is_a_message(client: TestClient) -> None:
    r = client.get("/api/insights", params={"first": "0001-01-01"})
    assert r.status_code == 422 and "use a date from 1900-01-01" in r.text
