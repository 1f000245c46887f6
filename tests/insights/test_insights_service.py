"""Insights over a real diary (SQLite and PostgreSQL): service, page, API and CLI."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.conftest import FrozenClock
from unclench.cli import app
from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.core.validation import parse_input
from unclench.emg import service as emg
from unclench.emg.simulate import simulate_emg
from unclench.insights import service
from unclench.sessions import service as sessions
from unclench.sessions.options import SessionOptions

runner = CliRunner()
pytestmark = pytest.mark.hard_dates


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
    db: Session, seeded: date, frozen_clock: FrozenClock, tmp_path: Path
) -> None:
    """Listens made through the sessions service and EMG recordings imported through the emg service, each at its
    own moment on the frozen clock, reach the practice-week comparison, the per-technique change and the tone trend."""
    durations = {"pmr": 1200.0, "body_scan": 900.0}
    sessions_by_technique = {}
    for technique, seconds in durations.items():
        made = sessions.create_session(db, SessionOptions(minutes=round(seconds / 60), technique=technique))
        made.duration_s = seconds  # what a render would record; rendering audio is not what this test is about
        sessions_by_technique[technique] = made
    first_monday = clock.week_start(seeded) + timedelta(days=7)  # the first whole calendar week of the diary
    techniques = ["pmr", "body_scan"]
    listened = 0
    for week in range(0, 12, 2):  # every other calendar week: three listens (Monday, Wednesday, Friday at noon)
        for weekday in (0, 2, 4):
            technique = techniques[listened % 2]
            day = first_monday + timedelta(days=7 * week + weekday)
            frozen_clock.move_to(clock.local_moment(day, time(12)))
            listen = sessions.start_listen(db, sessions_by_technique[technique].id, tension_before=7)
            sessions.update_listen(
                db, listen.id, heard_s=600, finished=True, tension_after=2 if technique == "pmr" else 5
            )
            listened += 1
    frozen_clock.move_to(clock.local_moment(first_monday + timedelta(days=8), time(13)))
    sessions.start_listen(db, sessions_by_technique["pmr"].id)  # opened and closed at once: does not count

    planted_slope = -1.0  # µV a week
    for i in range(8):
        frozen_clock.move_to(clock.local_moment(first_monday + timedelta(days=7 * i), time(19)))
        sim = simulate_emg(
            20,
            1000,
            seed=100 + i,
            rest_uv=12.0 + planted_slope * i,
            first_burst_after_s=30.0,
            mains_hz=None,
            motion_per_min=0.0,
        )
        path = tmp_path / f"rest-{i}.csv"
        np.savetxt(
            path,
            np.column_stack([np.arange(sim.signal.size) / 1000, sim.signal]),
            delimiter=",",
            header="time,emg_uV",
            comments="",
        )
        emg.import_file(db, path=path)
    frozen_clock.move_to(frozen_clock.moment.instant)
    db.commit()

    practice = service.compute_insights(db).practice
    assert practice.notes == []
    assert practice.weeks is not None
    assert practice.weeks.weeks_regular == 6 and practice.weeks.weeks_without >= 5
    assert practice.weeks.ratio is not None
    assert [t.technique for t in practice.techniques] == ["pmr", "body_scan"]
    assert practice.techniques[0].mean_drop == 5 and practice.techniques[1].mean_drop == 2
    assert practice.tone is not None and practice.tone.slope_per_week is not None
    assert practice.tone.slope_per_week == pytest.approx(planted_slope, rel=0.15)


def test_an_empty_diary_shows_pages_with_a_message(client: TestClient) -> None:
    page = client.get("/insights")
    assert page.status_code == 200
    assert "Nothing can be compared yet" in page.text and "No episodes were logged" in page.text
    assert client.get("/api/insights").json()["triggers"]["findings"] == []
    preview = client.get("/reports/preview")
    assert preview.status_code == 200 and "No episodes were logged in this period" in preview.text
    assert client.get("/reports/report.pdf").content.startswith(b"%PDF")


def test_insights_for_one_region_count_only_its_episodes(db: Session) -> None:
    from tests.insights.insights_seed import seed_diary

    seed_diary(db)
    whole = service.compute_insights(db)
    calf = service.compute_insights(db, region="calf")
    eyelid = service.compute_insights(db, region="eyelid")
    assert 0 < calf.triggers.episodes < whole.triggers.episodes
    assert calf.triggers.episodes + eyelid.triggers.episodes == whole.triggers.episodes
    assert all(r == "calf" for e in calf.data.episodes for r, _ in e.regions)
    with pytest.raises(UserInputError, match="not a known body region"):
        service.compute_insights(db, region="elbowz")


def test_the_kept_trigger_report_is_the_fresh_fit_and_a_changed_diary_is_fitted_again(
    db: Session, seeded: date
) -> None:
    from unclench.diary import service as diary
    from unclench.diary.schemas import CheckInIn
    from unclench.insights.triggers import analyse_triggers

    first = service.compute_insights(db)
    fresh = analyse_triggers(first.table, first.data.factors, noun=first.data.noun)
    again = service.compute_insights(db)
    assert again.triggers.as_dict() == first.triggers.as_dict() == fresh.as_dict()
    again.triggers.findings[0].sentence = "changed by a caller"
    assert service.compute_insights(db).triggers.findings[0].sentence == fresh.findings[0].sentence
    # One check-in changes: the day table differs, so the report is fitted again, never served from before.
    day = seeded + timedelta(days=3)
    diary.upsert_checkin(db, parse_input(CheckInIn, {"day": day, "stress": 10, "sleep_hours": 4.0}))
    db.flush()
    changed = service.compute_insights(db)
    refit = analyse_triggers(changed.table, changed.data.factors, noun=changed.data.noun)
    assert changed.triggers.as_dict() == refit.as_dict() != fresh.as_dict()
