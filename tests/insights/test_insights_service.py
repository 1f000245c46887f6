"""Insights over a real diary (SQLite and PostgreSQL): service, page, API and CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from unclench.cli import app
from unclench.core.errors import UserInputError
from unclench.insights import service

runner = CliRunner()


def test_planted_factor_is_found_through_the_diary_services(db: Session, seeded: date) -> None:
    result = service.compute_insights(db)
    assert result.data.first == seeded
    assert result.triggers.days >= 90
    top = result.triggers.findings[0]
    assert top.factor_name == "late screen" and top.timing == "day before" and top.status == "clear"
    assert top.estimate is not None and top.estimate > 1.8
    assert top.sentence.startswith("On days after a day with “late screen” you logged")
    # Sleep never varies in this diary: it says so instead of crashing.
    assert any("same value (7 h)" in m.sentence for m in result.triggers.missing)
    practice = result.practice
    assert any("listening log" in n for n in practice.notes) or (
        practice.weeks is not None and practice.weeks.sentence.startswith("Not enough weeks")
    )
    cramps = service.compute_insights(db, kind="cramp")
    assert cramps.data.noun == "cramps" and cramps.triggers.episodes < result.triggers.episodes


def test_day_start_setting_and_bad_input(db: Session, seeded: date) -> None:
    assert service.get_day_start(db) == 6
    service.set_day_start(db, 4)
    assert service.get_day_start(db) == 4
    with pytest.raises(UserInputError, match="between 0"):
        service.set_day_start(db, 13)
    with pytest.raises(UserInputError, match="not a date"):
        service.parse_period("yesterday", None)
    with pytest.raises(UserInputError, match="before its start"):
        service.compute_insights(db, first=date(2026, 3, 1), last=date(2026, 2, 1))
    with pytest.raises(UserInputError, match="kind"):
        service.compute_insights(db, kind="sneeze")


def test_a_period_with_no_data_gives_a_message(db: Session, seeded: date) -> None:
    far = seeded - timedelta(days=400)
    result = service.compute_insights(db, first=far, last=far + timedelta(days=30))
    assert result.triggers.findings == []
    assert any("No episodes were logged in these 31 days" in n for n in result.triggers.notes)


def test_insights_page_and_api(client: TestClient, db: Session, seeded: date) -> None:
    page = client.get("/insights")
    assert page.status_code == 200
    assert "What goes with your episodes" in page.text
    assert '<svg class="forest"' in page.text and '<svg class="calendar"' in page.text
    assert "late screen" in page.text and "cdn" not in page.text.lower()
    factor_key = next(f.key for f in service.compute_insights(db).data.factors if f.name == "late screen")
    filtered = client.get("/insights", params={"factor": factor_key, "kind": "cramp"})
    assert filtered.status_code == 200 and "on days with “late screen”" in filtered.text
    api = client.get("/api/insights")
    assert api.status_code == 200
    body = api.json()
    assert body["triggers"]["findings"][0]["factor_name"] == "late screen"
    assert body["day_starts_at"] == 6
    bad = client.get("/api/insights", params={"first": "not-a-date"})
    assert bad.status_code == 422 and "not a date" in bad.text
    assert client.put("/api/insights/day-start", params={"hour": 5}).json() == {"day_starts_at": 5}
    assert client.put("/api/insights/day-start", params={"hour": 20}).status_code == 422
    page_bad = client.get("/insights", params={"first": "2026-13-01"})
    assert page_bad.status_code == 422 and "not a date" in page_bad.text
    assert client.post("/insights/day-start", data={"hour": "20"}).status_code == 422
    assert service.get_day_start(db) == 5
    saved = client.post("/insights/day-start", data={"hour": "3"}, follow_redirects=False)
    assert saved.status_code == 303
    assert 'value="3"' in client.get("/insights").text


def test_insights_cli(app_env: Path, db: Session, seeded: date, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from unclench.insights import cli as insights_cli

    monkeypatch.setattr(insights_cli, "console", Console(width=220))
    result = runner.invoke(app, ["insights"])
    assert result.exit_code == 0, result.output
    assert "late screen" in result.output and "day before" in result.output
    as_json = runner.invoke(app, ["insights", "--json", "--kind", "cramp"])
    assert json.loads(as_json.output)["kind"] == "cramp"
    bad = runner.invoke(app, ["insights", "--from", "soon"])
    assert bad.exit_code == 2 and "not a date" in bad.output


def test_plain_rows_reader_gives_the_same_insights(db: Session, seeded: date, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the diary offers `checkin_values` (plain rows, fast for years of data), it is used and agrees."""
    from unclench.diary import service as diary

    slow = service.compute_insights(db)
    calls: list[object] = []

    def checkin_values(db: Session, *, start: date | None = None, end: date | None = None) -> list[object]:
        calls.append((start, end))
        rows = []
        for c in diary.list_checkins(db, start=start, end=end):
            values = {name: getattr(c, name) for name in service.BUILTIN_FIELDS}
            values.update({service.CUSTOM_PREFIX + v.factor_id: v.value for v in c.factor_values})
            rows.append((c.day, values, list(c.medications)))
        return rows

    monkeypatch.setattr(diary, "checkin_values", checkin_values, raising=False)
    fast = service.compute_insights(db)
    assert calls
    assert [f.sentence for f in fast.triggers.findings] == [f.sentence for f in slow.triggers.findings]
    assert fast.data.medications == slow.data.medications == {"ibuprofen": seeded + timedelta(days=45)}


def test_practice_effect_reads_listens_and_emg_through_the_other_domains(
    db: Session, seeded: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listens (with technique and tension ratings) and EMG resting tone, as the sessions/emg services give them."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    start = datetime.combine(seeded, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    listens = []
    for day in range(0, 84):
        if (day // 7) % 2 == 0 and day % 7 in (0, 2, 4):  # every other week: three sessions
            technique = "pmr" if len(listens) % 2 == 0 else "body_scan"
            after = 2 if technique == "pmr" else 5
            session = SimpleNamespace(options={"technique": technique})
            listens.append(
                SimpleNamespace(
                    started_at=start + timedelta(days=day),
                    heard_s=900.0,
                    tension_before=7,
                    tension_after=after,
                    session=session,
                )
            )
    listens.append(
        SimpleNamespace(started_at=start, heard_s=10.0, tension_before=None, tension_after=None, session=None)
    )
    channel = SimpleNamespace
    recordings = [
        SimpleNamespace(
            recorded_at=start + timedelta(days=7 * i),
            channels=[channel(resting_tone_uv=12.0 - i), channel(resting_tone_uv=None)],
        )
        for i in range(8)
    ]
    fakes = {
        "sessions": SimpleNamespace(recent_listens=lambda db, limit: listens),
        "emg": SimpleNamespace(list_recordings=lambda db, limit: recordings),
    }
    real = service.domain_module
    monkeypatch.setattr(
        service,
        "domain_module",
        lambda domain, name: fakes[domain] if domain in fakes and name == "service" else real(domain, name),
    )
    practice = service.compute_insights(db).practice
    assert practice.notes == []
    assert practice.weeks is not None and practice.weeks.weeks_regular >= 4 and practice.weeks.weeks_without >= 4
    assert practice.weeks.ratio is not None
    assert [t.technique for t in practice.techniques] == ["pmr", "body_scan"]
    assert practice.techniques[0].mean_drop == 5
    assert practice.tone is not None and practice.tone.slope_per_week is not None
    assert abs(practice.tone.slope_per_week + 1.0) < 1e-6


def test_an_empty_diary_shows_pages_with_a_message(client: TestClient) -> None:
    page = client.get("/insights")
    assert page.status_code == 200
    assert "Nothing can be compared yet" in page.text and "No episodes were logged" in page.text
    assert client.get("/api/insights").json()["triggers"]["findings"] == []
    preview = client.get("/reports/preview")
    assert preview.status_code == 200 and "No episodes were logged in this period" in preview.text
    assert client.get("/reports/report.pdf").content.startswith(b"%PDF")
