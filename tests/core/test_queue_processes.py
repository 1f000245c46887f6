"""The clinic's job queue with real processes on PostgreSQL: `unclench worker` killed mid-render, and whole flows
across two web processes and two workers (no process keeps state of its own): a person's own session, and issue 18's
loop (a practitioner invites a client, who consents; the practitioner prescribes a programme; a worker renders it;
the client listens and rates; the practitioner's roster shows the adherence and the tension drop).

The renders are real (a 3-minute breathing session); the voice's phrases are cached between runs
(`clinic_cluster.PHRASE_CACHE`), so a render takes seconds once the cache is warm (the first run ever waits for the
voice). One xdist group: these tests start processes of their own and should not share the two cores with more.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from tests.clinic_cluster import (
    accept_invitation,
    browser,
    clinic,
    enrol_second_factor,
    fresh_database,
    sign_in,
    use_cookies_on,
)
from tests.conftest import FrozenClock
from unclench.accounts import logins
from unclench.core import db as core_db
from unclench.core import jobs
from unclench.core.identity import Caller
from unclench.core.settings import reset_settings_cache
from unclench.sessions import service
from unclench.sessions.options import SessionOptions
from unclench.sessions.render import settings_key

pytestmark = pytest.mark.xdist_group("clinic_processes")

PASSWORD = "a calm blue lake at dawn"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
RENDER_TIMEOUT_S = 240.0  # seconds once the phrase cache is warm; a cold voice on a busy machine needs minutes
SHORT = SessionOptions(minutes=3.0, technique="breathing", regions=(), ending="wake")


@pytest.fixture
def clinic_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A fresh clinic database; this test process points at it too (to make accounts and read rows)."""
    previous = logins.use_password_hasher(CHEAP)
    with fresh_database("queue") as url:
        monkeypatch.setenv("UNCLENCH_DATABASE_URL", url)
        monkeypatch.setenv("UNCLENCH_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("UNCLENCH_CLINIC", "1")
        reset_settings_cache()
        core_db.dispose_engines()
        try:
            yield url
        finally:
            from unclench.core.queue import close_web_app

            close_web_app()
            core_db.dispose_engines()
            reset_settings_cache()
            logins.use_password_hasher(previous)


def _person(email: str) -> Caller:
    with core_db.session_scope() as db:
        account = logins.create_account(db, email=email, password=PASSWORD, role="person")
        return logins.caller_for(account)


def _practitioner(email: str) -> None:
    """A practitioner account, brought in as on a clinic: the admin invites, the practitioner accepts."""
    with core_db.session_scope() as db:
        admin = logins.create_admin(db, "admin@clinic.example", PASSWORD)
        logins.accept_invitation(db, logins.invite(db, admin, "practitioner"), email, PASSWORD)


def _job_state(caller: Caller, job_id: str) -> jobs.Job:
    with core_db.session_scope(caller) as db:
        return jobs.get_job(db, job_id)


def _procrastinate_jobs(url: str, queueing_lock: str) -> list[tuple[str, int, list[str]]]:
    """Each queued job of this lock: its status, its attempts and its events in order."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT job.status::text, job.attempts, array_agg(event.type::text ORDER BY event.id) "
                "FROM procrastinate_jobs job JOIN procrastinate_events event ON event.job_id = job.id "
                "WHERE job.queueing_lock = :lock GROUP BY job.id"
            ),
            {"lock": queueing_lock},
        ).all()
    engine.dispose()
    return [(row[0], row[1], list(row[2])) for row in rows]


def test_a_worker_killed_mid_render_leaves_the_job_to_another_which_makes_one_set_of_files(
    clinic_database: str, tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    caller = _person("kill@clinic.example")
    with core_db.session_scope(caller) as db:
        session = service.create_session(db, SHORT, title="Killed midway")
        session_id = session.id
        key = settings_key(service.options_of(session))
        job = service.start_render(db, session)
    audio = tmp_path / "data" / "audio"
    with clinic(clinic_database, tmp_path, UNCLENCH_NOW=frozen_clock.moment.instant.isoformat()) as running:
        first = running.start_worker()
        deadline = time.monotonic() + RENDER_TIMEOUT_S
        # The render writes its files from the "encoding" stage on: killed there, it has written some, not all.
        while (state := _job_state(caller, job.id)).stage != "encoding":
            assert not state.finished, f"the render ended before it could be stopped: {state}"
            assert first.poll() is None, running.log_tail()
            assert time.monotonic() < deadline, running.log_tail()
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        assert _job_state(caller, job.id).status == "running"  # as the killed worker left it
        assert [p.name for p in audio.glob(f".{key}.*.partial")], "the killed render had started writing files"
        assert not (audio / key).exists()

        # Asked for again while it waits: the same job, not a second one.
        with core_db.session_scope(caller) as db:
            again = service.start_render(db, service.get_session(db, session_id))
        assert again.id == job.id

        running.start_worker()
        running.start_worker()  # two workers, one lock per settings hash: still one render
        finished = jobs.wait_job(job.id, caller, timeout=RENDER_TIMEOUT_S)
        assert finished.status == "done", (finished.error, running.log_tail())

    assert sorted(p.name for p in audio.iterdir() if p.name != "_phrases") == [key]  # one folder, no leftovers
    manifest = json.loads((audio / key / "session.json").read_text())
    assert set(manifest["files"]) == {"wav", "ogg", "mp3"}
    assert all((audio / key / name).stat().st_size > 0 for name in manifest["files"].values())
    with core_db.session_scope(caller) as db:
        stored = service.get_session(db, session_id)
        assert (stored.status, stored.artefact_key, stored.job_id) == ("ready", key, job.id)
    # One job in the queue for this render: started, found stalled and queued again, started, finished once.
    [(status, attempts, events)] = _procrastinate_jobs(clinic_database, f"session-render:{session_id}:{key}")
    assert (status, attempts, events.count("succeeded")) == ("succeeded", 2, 1), events
    assert events.count("started") >= 2, events


def test_a_whole_flow_across_two_web_processes_and_two_workers(
    clinic_database: str, tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    """Made via web-1, rendered by a worker, played and rated via web-2, seen via web-1.

    The practitioner's programme (issue 18) extends this: a practitioner signed in on web-1 prescribes the session
    instead of the person making it; the person's steps on web-2 and the dashboard on web-1 follow the same pattern.
    """
    _person("flow@clinic.example")
    with clinic(clinic_database, tmp_path, UNCLENCH_NOW=frozen_clock.moment.instant.isoformat()) as running:
        web_1, web_2 = running.start_web(), running.start_web()
        workers = [running.start_worker(), running.start_worker()]
        one = browser(web_1)
        sign_in(one, "flow@clinic.example", PASSWORD)  # signed in on web-1; the login session is a database row
        made = one.post(
            "/sessions",
            data={"title": "Across processes", "minutes": "3", "technique": "breathing", "ending": "wake"},
        )
        assert made.status_code == 303, made.text
        session_id = made.headers["location"].rsplit("/", 1)[1]

        two = use_cookies_on(one, web_2)
        deadline = time.monotonic() + RENDER_TIMEOUT_S
        seen_progress = set()
        while (shown := two.get(f"/api/sessions/{session_id}").json())["status"] != "ready":
            assert shown["status"] in ("queued", "rendering"), (shown, running.log_tail())
            assert time.monotonic() < deadline, running.log_tail()
            seen_progress.add(shown["stage"])
            time.sleep(0.1)
        assert shown["progress"] == 1.0 and seen_progress  # web-2 followed the worker's progress from the database
        # the workers yield the cores to the web processes (niceness 10 more than ours), the web processes do not
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert [os.getpriority(os.PRIO_PROCESS, w.pid) for w in workers] == [min(ours + 10, 19)] * 2
        assert {os.getpriority(os.PRIO_PROCESS, p.pid) for p in running.processes if p not in workers} == {ours}

        listen = two.post(f"/api/sessions/{session_id}/listens", json={"tension_before": 6})
        assert listen.status_code == 201, listen.text
        rated = two.patch(
            f"/api/sessions/listens/{listen.json()['id']}",
            json={"heard_s": shown["duration_s"], "finished": True, "tension_after": 3},
        )
        assert rated.status_code == 200, rated.text

        assert one.get(f"/api/sessions/{session_id}").json()["status"] == "ready"
        listens = one.get("/api/sessions/listens").json()
        assert [(x["session_id"], x["status"], x["tension_before"], x["tension_after"]) for x in listens] == [
            (session_id, "listened", 6, 3)
        ]
        assert "1 day in a row" in one.get("/sessions").text
        audio = one.get(f"/sessions/{session_id}/files/session.ogg")  # written by a worker, served by web-1
        assert audio.status_code == 200 and audio.content[:4] == b"OggS"


def _roster_cell(page: str, label: str) -> str:
    """The text of the roster's one client's cell under `label`, its tags stripped."""
    found = re.search(rf'<td data-label="{re.escape(label)}">(.*?)</td>', page, re.S)
    assert found is not None, page
    return " ".join(re.sub(r"<[^>]+>", " ", found[1]).split())


def test_a_prescribed_programme_across_two_web_processes_and_two_workers(
    clinic_database: str, tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    """Issue 18's flow: invited and consented via HTTP, prescribed via web-1, rendered by a worker, played and rated
    via web-2, the adherence and the tension drop on the roster via web-1."""
    _practitioner("carer@clinic.example")
    today = frozen_clock.moment.instant.date()
    with clinic(clinic_database, tmp_path, UNCLENCH_NOW=frozen_clock.moment.instant.isoformat()) as running:
        web_1, web_2 = running.start_web(), running.start_web()
        running.start_worker()
        running.start_worker()
        carer = browser(web_1)
        assert sign_in(carer, "carer@clinic.example", PASSWORD) == "/account/second-factor"
        enrol_second_factor(carer, running.now())
        invited = carer.post("/clients/invite", data={"role": "person"})
        link = re.search(r'class="invite-link">[^<]*(/invite/[^<]+)</code>', invited.text)
        assert invited.status_code == 200 and link is not None, invited.text

        # The client signs up on web-2 and is taken to the consent page, where nothing is shared yet.
        accept_invitation(web_2, link[1], "client@clinic.example", PASSWORD)
        client = browser(web_2)
        assert sign_in(client, "client@clinic.example", PASSWORD) == "/sharing/consent"
        roster = carer.get("/clinic").text
        assert "has not shared anything yet" in roster
        consent = client.get("/sharing/consent").text
        link_id = re.search(r'name="link_id" value="(\d+)"', consent)
        assert link_id is not None and "carer@clinic.example" in consent
        given = client.post("/sharing/consent", data={"link_id": link_id[1], "categories": ["diary", "sessions"]})
        assert given.status_code == 303, given.text

        roster = carer.get("/clinic").text
        person = re.search(r'href="/clinic/clients/(\d+)"', roster)
        assert person is not None, roster
        assert _roster_cell(roster, "Listening adherence against the programme") == "no programme"
        assert _roster_cell(roster, "Tension drop per listen") == "no rated listens in 4 weeks"
        programme = {
            "title": "Breathing weeks",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(weeks=4)).isoformat(),
            "checkin": "none",
            "questionnaire": "none",
            "emg_per_week": "0",
            "s0_per_week": "7",
            "s0_minutes": "3",
            "s0_technique": "breathing",
            "s0_region_mode": "chosen",
            "s0_ending": "wake",
        }
        prescribed = carer.post(f"/clinic/clients/{person[1]}/programme", data=programme)
        assert prescribed.status_code == 303, (prescribed.text, running.log_tail())
        assert "Saved." in carer.get(prescribed.headers["location"]).text
        roster = carer.get("/clinic").text
        assert _roster_cell(roster, "Listening adherence against the programme") == "nothing due yet"

        # The session is in the client's library (seen on web-2) and a worker renders it.
        [session] = client.get("/api/sessions").json()
        deadline = time.monotonic() + RENDER_TIMEOUT_S
        while (shown := client.get(f"/api/sessions/{session['id']}").json())["status"] != "ready":
            assert shown["status"] in ("queued", "rendering"), (shown, running.log_tail())
            assert time.monotonic() < deadline, running.log_tail()
            time.sleep(0.1)
        due = client.get("/programme/due").text
        assert f'href="/sessions/{session["id"]}"' in due and due.count('class="due-task is-due"') == 1

        # Played on web-2: a 3-minute session counts once 60 % of it was heard (the rule, not the player, decides).
        listen = client.post(f"/api/sessions/{session['id']}/listens", json={"tension_before": 7})
        assert listen.status_code == 201, listen.text
        heard = 0.6 * shown["duration_s"] + 1.0
        rated = client.patch(
            f"/api/sessions/listens/{listen.json()['id']}",
            json={"heard_s": heard, "finished": True, "tension_after": 3},
        )
        assert rated.status_code == 200 and rated.json()["status"] == "listened", rated.text
        assert 'class="due-task is-due"' not in client.get("/programme/due").text

        roster = carer.get("/clinic").text  # on web-1, from the database the other processes wrote
        assert _roster_cell(roster, "Listening adherence against the programme") == "100 % (1 of 1 listens)"
        assert _roster_cell(roster, "Tension drop per listen") == "4.0 points (0–10) over 1 rated listen"
        assert _roster_cell(roster, "Last activity") == f"{today:%d %b %Y}"
