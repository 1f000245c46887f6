"""Home programmes on real SQLite and PostgreSQL: the schedule, what is due today, adherence from real listens,
validation, and a practitioner acting for a client. Date logic runs at every hard moment (clock changes, new year…)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tests.conftest import FrozenClock
from unclench.accounts.people import create_person
from unclench.core import clock
from unclench.core.db import session_scope
from unclench.core.errors import UserInputError
from unclench.core.identity import Caller, caller_of
from unclench.core.validation import parse_input
from unclench.diary import service as diary
from unclench.diary.schemas import CheckInIn
from unclench.sessions import programmes, service
from unclench.sessions.models import AudioSession, Programme
from unclench.sessions.schemas import ProgrammeForm
from unclench.stress import service as stress

pytestmark = pytest.mark.hard_dates

BREATHING = {"minutes": "5", "technique": "breathing", "region_mode": "chosen", "regions": ["jaw:left"]}


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Caller]]:
    """The renders started (session id and the caller they carry on as); the audio itself is tested elsewhere."""
    started: list[tuple[str, Caller]] = []

    def start_render(db: Session, session: AudioSession, options: Any = None) -> None:
        started.append((session.id, caller_of(db)))
        session.status = "queued"

    monkeypatch.setattr(service, "start_render", start_render)
    return started


def _form(today: date, **changes: Any) -> ProgrammeForm:
    data: dict[str, Any] = {
        "title": "Jaw programme",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(weeks=6)).isoformat(),
        "checkin": "daily",
        "questionnaire": "pss10",
        "questionnaire_every_weeks": "4",
        "items": [{**BREATHING, "per_week": "7"}],
    }
    return parse_input(ProgrammeForm, data | changes)


def _listen(db: Session, frozen_clock: FrozenClock, session_id: str, at: datetime, heard_s: float) -> None:
    """A listen of a 5-minute session (as if rendered): 180 s or more count, less stays 'started'."""
    service.get_session(db, session_id).duration_s = 300.0
    back = clock.now()
    frozen_clock.move_to(at)
    listen = service.start_listen(db, session_id)
    service.update_listen(db, listen.id, heard_s=heard_s)
    frozen_clock.move_to(back)


# --- the schedule ----------------------------------------------------------------------------------------------


def test_a_weeks_quota_adds_up_and_spreads_over_the_week() -> None:
    monday = date(2026, 11, 23)
    week = [monday + timedelta(days=k) for k in range(7)]
    for per_week in range(1, 15):
        assert sum(programmes.quota_on(per_week, d) for d in week) == per_week
    assert [programmes.quota_on(3, d) for d in week] == [0, 0, 1, 0, 1, 0, 1]  # Wednesday, Friday, Sunday
    assert [programmes.quota_on(7, d) for d in week] == [1] * 7
    assert [programmes.quota_on(14, d) for d in week] == [2] * 7
    assert [programmes.quota_on(1, d) for d in week] == [0] * 6 + [1]


def test_listens_count_within_their_week_and_not_across_its_boundary() -> None:
    monday = date(2026, 11, 23)
    start, end = monday - timedelta(days=7), monday + timedelta(days=27)
    # 3 a week: two heard on Tuesday of the first week, three on its Sunday (a day counts once); none in the second.
    heard = Counter({monday - timedelta(days=6): 2, monday - timedelta(days=1): 3})
    # On the second week's Sunday: week 1 due 3, done 2; week 2 due 2 (days over: Wed, Fri; today Sunday's quota
    # counts only once done), done 0. The first week's listens never carry over into the next.
    sunday = monday + timedelta(days=6)
    assert programmes.credited(3, start, end, sunday, heard) == (5, 2)
    # A Monday listen is on track for Wednesday of the same week.
    early = Counter({monday: 1})
    assert programmes.credited(3, monday, end, monday + timedelta(days=2), early) == (1, 1)
    assert programmes.week_standing(3, monday, end, monday + timedelta(days=2), early).due_today == 0
    # Missing Monday and Tuesday of a daily item asks for one listen today, not three.
    standing = programmes.week_standing(7, monday, end, monday + timedelta(days=2), Counter())
    assert standing.due_today == 1 and standing.week_target == 7 and standing.done_week == 0


def test_a_programme_starting_mid_week_is_due_only_from_its_first_day() -> None:
    thursday = date(2026, 11, 26)
    standing = programmes.week_standing(7, thursday, thursday + timedelta(days=20), thursday, Counter())
    assert standing.week_target == 4  # Thursday to Sunday
    assert programmes.credited(7, thursday, thursday + timedelta(days=20), thursday, Counter()) == (0, 0)
    # Next Monday: Thursday to Sunday are over, none heard.
    assert programmes.credited(7, thursday, thursday + timedelta(days=20), thursday + timedelta(days=4), Counter()) == (
        4,
        0,
    )
    # After the programme ends nothing more falls due.
    end = thursday + timedelta(days=6)
    assert programmes.credited(7, thursday, end, end + timedelta(days=30), Counter()) == (7, 0)


# --- making a programme ----------------------------------------------------------------------------------------


def test_a_programme_makes_its_sessions_in_the_library_and_queues_their_renders(
    db: Session, renders: list[tuple[str, Caller]]
) -> None:
    today = clock.today()
    second = {"minutes": "10", "technique": "pmr", "region_mode": "chosen", "regions": ["calf"], "per_week": "3"}
    programme, queued = programmes.save_programme(
        db, _form(today, items=[{**BREATHING, "per_week": "7"}, second]), today=today
    )
    assert (
        {s.id for s in service.list_sessions(db)} == {s.id for s in queued} == {i.session_id for i in programme.items}
    )
    assert [i.per_week for i in programme.items] == [7, 3]
    assert [sid for sid, _ in renders] == [s.id for s in queued]
    assert programme.prescribed_by_account_id is None  # the person's own
    assert programme.questionnaire_every_days == 28 and programme.checkin_every_days == 1
    assert programmes.current_programme(db, today=today) is programme


def test_changing_a_programme_keeps_unchanged_sessions_and_their_listens(
    db: Session, renders: list[tuple[str, Caller]], frozen_clock: FrozenClock
) -> None:
    today = clock.today()
    programme, [first] = programmes.save_programme(db, _form(today), today=today)
    _listen(db, frozen_clock, first.id, clock.now(), 200)
    longer = {**BREATHING, "minutes": "8", "per_week": "7"}
    programme, queued = programmes.save_programme(
        db, _form(today, items=[{**BREATHING, "per_week": "5"}, longer]), today=today, programme_id=programme.id
    )
    assert programme.items[0].session_id == first.id and programme.items[0].per_week == 5
    assert [s.id for s in queued] == [programme.items[1].session_id]  # only the new settings render
    assert programmes.adherence(db, programme, today=today).listens == 1


def test_every_problem_is_named_and_nothing_is_written(db: Session, renders: list[tuple[str, Caller]]) -> None:
    today = clock.today()
    bad_item = {**BREATHING, "minutes": "90", "per_week": "9", "name": "R2D2"}
    form = _form(
        today,
        starts_on=(today - timedelta(days=1)).isoformat(),
        ends_on=(today - timedelta(days=3)).isoformat(),
        questionnaire="pss10",
        questionnaire_every_weeks="0",
        emg_per_week="2",
        emg_region="",
        items=[{**BREATHING, "per_week": "7"}, bad_item],
    )
    with pytest.raises(UserInputError) as caught:
        programmes.save_programme(db, form, today=today)
    fields = {p.field: p.message for p in caught.value.problems}
    assert fields["starts_on"].startswith("A programme cannot start in the past")
    assert fields["ends_on"] in ("The last day cannot be in the past.", "The last day must come after the first day.")
    assert "every 1 to 12 weeks" in fields["questionnaire_every_weeks"]
    assert "region to record" in fields["emg_region"]
    assert "once a week to twice a day" in fields["items.1.per_week"]
    assert "3 to 45 minutes" in fields["items.1.minutes"]
    assert "spoken name" in fields["items.1.name"]
    assert "items.0.minutes" not in fields
    assert db.scalar(select(func.count()).select_from(Programme)) == 0
    assert db.scalar(select(func.count()).select_from(AudioSession)) == 0
    assert renders == []


def test_dates_must_be_given_and_the_end_must_follow_the_start(db: Session, renders: list[tuple[str, Caller]]) -> None:
    today = clock.today()
    with pytest.raises(UserInputError) as caught:
        programmes.save_programme(db, _form(today, starts_on="", ends_on="", items=[]), today=today)
    assert {p.field for p in caught.value.problems} == {"starts_on", "ends_on", "items"}
    with pytest.raises(UserInputError) as caught:
        programmes.save_programme(db, _form(today, ends_on=today.isoformat()), today=today)
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("ends_on", "The last day must come after the first day.")
    ]
    with pytest.raises(UserInputError) as caught:
        programmes.save_programme(db, _form(today, ends_on=(today + timedelta(days=400)).isoformat()), today=today)
    assert "at most a year" in caught.value.problems[0].message
    with pytest.raises(UserInputError) as bad_date:
        parse_input(ProgrammeForm, {"starts_on": "2026-02-30"})
    assert bad_date.value.problems[0].field == "starts_on"


# --- due today and adherence -----------------------------------------------------------------------------------


def test_due_today_follows_the_real_listening_log_checkins_and_questionnaires(
    db: Session, renders: list[tuple[str, Caller]], frozen_clock: FrozenClock
) -> None:
    today = clock.today()
    programme, [session] = programmes.save_programme(
        db, _form(today, emg_per_week="7", emg_region="jaw:left"), today=today
    )

    def due() -> dict[str, bool]:
        return {t.kind: t.due for t in programmes.due_today(db, programme, today=today, emg_recorded_on=emg)}

    emg: Counter[date] = Counter()
    assert due() == {"listen": True, "checkin": True, "questionnaire": True, "emg": True}
    _listen(db, frozen_clock, session.id, clock.now(), 60)  # a short play does not count
    assert due()["listen"] is True
    _listen(db, frozen_clock, session.id, clock.now(), 200)
    diary.upsert_checkin(db, CheckInIn(day=today, stress=3))
    stress.record_questionnaire(db, "pss10", [1] * 10)
    emg[today] = 1
    assert due() == {"listen": False, "checkin": False, "questionnaire": False, "emg": False}
    [listen] = [t for t in programmes.due_today(db, programme, today=today) if t.kind == "listen"]
    assert listen.href == f"/sessions/{session.id}" and "this week 1 of" in listen.detail


def test_a_listen_late_in_the_evening_counts_for_that_local_day(
    db: Session, renders: list[tuple[str, Caller]], frozen_clock: FrozenClock
) -> None:
    today = clock.today()
    yesterday = today - timedelta(days=1)
    programme, [session] = programmes.save_programme(db, _form(today), today=today)
    programme.starts_on = yesterday - timedelta(days=1)  # began two days ago (a start is never in the past when made)
    # 23:50 yesterday, local time (a clock change on either day moves UTC, not the local day).
    _listen(db, frozen_clock, session.id, clock.local_moment(yesterday, time(23, 50)), 200)
    result = programmes.adherence(db, programme, today=today)
    assert (result.due, result.done, result.listens) == (2, 1, 1)  # the day before yesterday missed, yesterday done
    assert result.ratio == 0.5 and result.last_listen_at is not None
    assert clock.local_day(result.last_listen_at) == yesterday
    [listen] = [t for t in programmes.due_today(db, programme, today=today) if t.kind == "listen"]
    assert listen.due  # yesterday's listen does not do today's


def test_adherence_counts_only_listens_that_counted_and_never_more_than_due(
    db: Session, renders: list[tuple[str, Caller]], frozen_clock: FrozenClock
) -> None:
    today = clock.today()
    programme, [session] = programmes.save_programme(db, _form(today), today=today)
    assert programmes.adherence(db, programme, today=today).ratio is None  # nothing due yet this morning
    _listen(db, frozen_clock, session.id, clock.now(), 30)
    assert programmes.adherence(db, programme, today=today).listens == 0
    for _ in range(3):
        _listen(db, frozen_clock, session.id, clock.now(), 200)
    result = programmes.adherence(db, programme, today=today)
    assert (result.due, result.done, result.listens, result.percent) == (1, 1, 3, 100)
    later = programmes.adherence(db, programme, today=today + timedelta(days=3))
    assert (later.due, later.done) == (3, 1)  # three days over, today not yet done; one day counts once


def test_adherence_for_many_people_in_one_query(
    db: Session, renders: list[tuple[str, Caller]], frozen_clock: FrozenClock
) -> None:
    today = clock.today()
    own, [mine] = programmes.save_programme(db, _form(today), today=today)
    _listen(db, frozen_clock, mine.id, clock.now(), 200)
    db.commit()
    client = create_person(db, "Client")
    nobody = create_person(db, "No programme")
    db.commit()
    with session_scope(Caller(kind="account", person_id=client.id, role="person")) as theirs:
        programmes.save_programme(theirs, _form(today, items=[{**BREATHING, "per_week": "14"}]), today=today)
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        found = programmes.adherence_by_person(db, [1, client.id, nobody.id], today=today)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len([s for s in statements if "programme" in s]) == 1
    assert set(found) == {1, client.id}
    assert (found[1].done, found[1].listens) == (1, 1)
    assert (found[client.id].due, found[client.id].done, found[client.id].items[0].per_week) == (0, 0, 14)
    assert found[1] == programmes.adherence(db, own, today=today)


# --- a practitioner acting for a client -------------------------------------------------------------------------


def test_a_practitioner_prescribes_into_the_clients_library(db: Session, renders: list[tuple[str, Caller]]) -> None:
    today = clock.today()
    client = create_person(db, "Client")
    db.commit()
    practitioner = Caller(kind="account", role="practitioner", account_id=7, person_id=client.id)
    with session_scope(practitioner) as acting:
        programme, queued = programmes.save_programme(acting, _form(today), today=today)
        programme_id, session_ids = programme.id, {s.id for s in queued}
    assert [caller for _, caller in renders] == [practitioner]  # the render job carries on as the practitioner
    with session_scope(Caller(kind="account", person_id=client.id, role="person")) as as_client:
        [seen] = programmes.list_programmes(as_client)
        assert seen.id == programme_id and seen.prescribed_by_account_id == 7
        assert {s.id for s in service.list_sessions(as_client)} == session_ids
    assert programmes.list_programmes(db) == [] and service.list_sessions(db) == []  # the local person sees none


# --- the command ------------------------------------------------------------------------------------------------


def test_programme_show_prints_what_is_due_and_the_adherence(
    db: Session, renders: list[tuple[str, Caller]], frozen_clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console
    from typer.testing import CliRunner

    from unclench.cli import app
    from unclench.web import cli as web_cli

    monkeypatch.setattr(web_cli, "console", Console(width=250))

    runner = CliRunner()
    assert "No programme running" in runner.invoke(app, ["programme", "show"]).output
    today = clock.today()
    _, [session] = programmes.save_programme(db, _form(today, title="Evening calm"), today=today)
    _listen(db, frozen_clock, session.id, clock.now(), 200)
    db.commit()
    shown = runner.invoke(app, ["programme", "show"])
    assert shown.exit_code == 0, shown.output
    assert "Evening calm" in shown.output and "✓ done" in shown.output and "○ to do" in shown.output
    assert "1 of 1 listens due so far (100%)" in shown.output
    data = json.loads(runner.invoke(app, ["programme", "show", "--json"]).output)
    assert data["adherence"]["done"] == 1 and {t["kind"]: t["due"] for t in data["due_today"]} == {
        "listen": False,
        "checkin": True,
        "questionnaire": True,
    }


def test_a_programme_exports_as_a_valid_fhir_care_plan_with_its_listens(
    db: Session, renders: list[tuple[str, Caller]], frozen_clock: FrozenClock
) -> None:
    from unclench.reports import fhir
    from unclench.reports import service as reports

    today = clock.today()
    _, [session] = programmes.save_programme(
        db, _form(today, emg_per_week="2", emg_region="jaw:left", note="Slowly, please."), today=today
    )
    _listen(db, frozen_clock, session.id, clock.now(), 200)
    bundle = fhir.fhir_bundle(db, reports.parse_options(today - timedelta(days=7), today))  # validated inside
    [plan] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    [procedure] = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"]
    assert plan["status"] == "active" and plan["intent"] == "plan" and plan["description"] == "Slowly, please."
    assert plan["period"] == {"start": today.isoformat(), "end": (today + timedelta(weeks=6)).isoformat()}
    codes = [a["detail"]["code"]["coding"][0]["code"] for a in plan["activity"]]
    assert codes == ["listen", "checkin", "questionnaire", "emg"]
    listen = plan["activity"][0]
    assert listen["detail"]["scheduledTiming"]["repeat"] == {"frequency": 7, "period": 1, "periodUnit": "wk"}
    assert listen["outcomeReference"] == [{"reference": procedure["fullUrl"]}]


def test_every_questionnaire_a_programme_may_ask_for_has_its_page() -> None:
    from unclench.stress.questionnaires import INSTRUMENTS

    assert set(programmes.QUESTIONNAIRE_PAGES) == set(INSTRUMENTS)


def test_a_running_programme_keeps_its_past_start_when_changed(db: Session, renders: list[tuple[str, Caller]]) -> None:
    today = clock.today()
    programme, _ = programmes.save_programme(db, _form(today), today=today)
    started = today - timedelta(days=3)
    programme.starts_on = started  # as if made three days ago
    kept = _form(today, starts_on=started.isoformat(), title="Still going")
    assert programmes.save_programme(db, kept, today=today, programme_id=programme.id)[0].title == "Still going"
    moved = _form(today, starts_on=(started - timedelta(days=1)).isoformat())
    with pytest.raises(UserInputError) as caught:
        programmes.save_programme(db, moved, today=today, programme_id=programme.id)
    assert [p.field for p in caught.value.problems] == ["starts_on"]


def test_when_two_programmes_overlap_the_batch_and_the_person_agree_on_the_current_one(
    db: Session, renders: list[tuple[str, Caller]]
) -> None:
    today = clock.today()
    programmes.save_programme(db, _form(today, title="First"), today=today)
    programmes.save_programme(db, _form(today, title="Second", items=[{**BREATHING, "per_week": "3"}]), today=today)
    current = programmes.current_programme(db, today=today)
    assert current is not None
    [(person, found)] = programmes.adherence_by_person(db, [1], today=today).items()
    assert person == 1 and found == programmes.adherence(db, current, today=today)
    assert len(found.items) == 1
