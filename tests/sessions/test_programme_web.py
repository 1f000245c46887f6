"""The programme pages on the local app (SQLite and PostgreSQL): make one, see what is due, listen, see it done."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from unclench.core import clock
from unclench.core.db import session_scope
from unclench.sessions import service

ITEM = {
    "s0_per_week": "7",
    "s0_minutes": "5",
    "s0_technique": "breathing",
    "s0_region_mode": "chosen",
    "s0_regions": ["jaw:left"],
    "s0_name": "Anna",
}


@pytest.fixture(autouse=True)
def no_audio(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Renders are queued, not run: the pages are what is tested here (rendering has its own tests)."""
    started: list[str] = []

    def start_render(db: Any, session: Any, options: Any = None) -> None:
        started.append(session.id)

    monkeypatch.setattr(service, "start_render", start_render)
    return started


def _programme(**changes: Any) -> dict[str, Any]:
    today = clock.today()
    return {
        "title": "Jaw weeks",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(weeks=4)).isoformat(),
        "checkin": "daily",
        "questionnaire": "pss10",
        "questionnaire_every_weeks": "4",
        "emg_per_week": "0",
        **ITEM,
        **changes,
    }


def test_a_person_makes_a_programme_and_sees_it_due_then_done(client: TestClient, no_audio: list[str]) -> None:
    form = client.get("/programme/new")
    assert form.status_code == 200 and 'name="s0_minutes"' in form.text and 'name="s2_include"' in form.text
    assert "Due today" not in client.get("/").text
    made = client.post("/programme/new", data=_programme(), follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/programme"
    [session] = client.get("/api/sessions").json()
    assert no_audio == [session["id"]] and session["options"]["name"] == "Anna"
    home = client.get("/").text
    assert 'id="due-today"' in home and f'href="/sessions/{session["id"]}"' in home
    assert "Today&#39;s check-in" in home or "Today's check-in" in home
    card = client.get("/programme/due").text
    assert card.count('class="due-task is-due"') == 3  # listen, check-in, PSS-10
    assert 'hx-get="/programme/due"' in client.get("/sessions").text  # the Relax page loads the same card

    with session_scope() as db:
        service.get_session(db, session["id"]).duration_s = 300.0  # as if rendered
    listen = client.post(f"/api/sessions/{session['id']}/listens", json={}).json()
    client.patch(f"/api/sessions/listens/{listen['id']}", json={"heard_s": 90})  # too short to count
    assert client.get("/programme/due").text.count('class="due-task is-due"') == 3
    client.patch(f"/api/sessions/listens/{listen['id']}", json={"heard_s": 200, "finished": True})
    card = client.get("/programme/due").text
    assert card.count('class="due-task is-due"') == 2 and 'data-kind="listen"' in card
    page = client.get("/programme").text
    assert "1 of 1 listens due so far (100 %)" in page and "Jaw weeks" in page


def test_a_bad_programme_shows_every_problem_beside_its_field_and_keeps_the_input(client: TestClient) -> None:
    today = clock.today()
    bad = _programme(
        starts_on=(today + timedelta(days=5)).isoformat(),
        ends_on=(today + timedelta(days=2)).isoformat(),
        s0_minutes="200",
        s1_include="on",
        s1_per_week="30",
        s1_technique="yoga",
        emg_per_week="3",
    )
    page = client.post("/programme/new", data=bad)
    assert page.status_code == 422
    text = page.text
    assert "Nothing was saved yet" in text
    assert "The last day must come after the first day." in text
    assert "A session lasts 3 to 45 minutes; 200 was asked for." in text
    assert "Choose how often to listen" in text and "is not a known technique" in text
    assert "Choose the region to record" in text
    assert 'id="s0_minutes" name="s0_minutes" min="3" max="45" step="1" value="200"' in text  # kept as typed
    assert client.get("/api/sessions").json() == []
    assert "Your programme" in client.get("/programme").text and "All programmes" not in client.get("/programme").text


def test_changing_a_programme_shows_its_settings_and_keeps_its_session(client: TestClient, no_audio: list[str]) -> None:
    client.post("/programme/new", data=_programme())
    page = client.get("/programme").text
    link = next(part for part in page.split('"') if part.startswith("/programme/") and part.endswith("/edit"))
    form = client.get(link)
    assert form.status_code == 200 and 'value="jaw:left" checked' in form.text and 'value="Anna"' in form.text
    changed = client.post(link, data=_programme(s0_per_week="3", title="Three a week"), follow_redirects=False)
    assert changed.status_code == 303
    assert len(client.get("/api/sessions").json()) == 1 and len(no_audio) == 1  # same settings: no new session
    assert "Three a week" in client.get("/programme").text


def test_deleting_a_programme_takes_it_off_the_pages_keeps_its_sessions_and_can_be_undone(
    client: TestClient,
) -> None:
    client.post("/programme/new", data=_programme(), follow_redirects=False)
    page = client.get("/programme").text
    link = next(part for part in page.split('"') if part.startswith("/programme/") and part.endswith("/edit"))
    programme_id = link.split("/")[2]
    [session] = client.get("/api/sessions").json()
    edit = client.get(f"/programme/{programme_id}/edit").text
    assert f'action="/programme/{programme_id}/delete"' in edit

    gone = client.post(f"/programme/{programme_id}/delete", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == f"/programme?deleted={programme_id}"
    page = client.get(gone.headers["location"]).text
    assert "Programme “Jaw weeks” deleted." in page and f'action="/programme/{programme_id}/restore"' in page
    assert 'id="programmes"' not in page and 'id="due-today"' not in client.get("/").text
    assert [s["id"] for s in client.get("/api/sessions").json()] == [session["id"]]  # the session stays
    assert client.get(f"/programme/{programme_id}/edit").status_code == 404
    assert client.post(f"/programme/{programme_id}/delete").status_code == 404  # already in the bin
    assert "deleted." not in client.get("/programme?deleted=not-a-programme").text  # a stray id shows nothing

    back = client.post(f"/programme/{programme_id}/restore", follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/programme"
    assert "Jaw weeks" in client.get("/programme").text and 'id="due-today"' in client.get("/").text
    assert client.post("/programme/not-a-programme/restore").status_code == 404


def test_the_clinic_builder_saves_for_the_client_in_its_address_only(
    app_env: Path, no_audio: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The practitioner's builder, mounted here on a local app as if the caller acted for person 1 (on a clinic
    server web/clinic_auth.py resolves that caller, from the client's consent)."""
    from tests.conftest import local_client
    from unclench.sessions.views import clinic_router
    from unclench.web import access
    from unclench.web.app import create_app

    monkeypatch.setitem(access.ROUTES, (access.ANY, "/clinic/clients/{person_id}/programme"), "person")
    app = create_app()
    app.include_router(clinic_router)
    with local_client(app) as client:
        assert client.get("/clinic/clients/2/programme").status_code == 404  # not the client the caller acts for
        blank = client.get("/clinic/clients/1/programme")
        assert "Prescribe a home programme" in blank.text and "The client&#39;s first name" in blank.text
        saved = client.post("/clinic/clients/1/programme", data=_programme(), follow_redirects=False)
        assert saved.status_code == 303 and saved.headers["location"] == "/clinic/clients/1/programme?saved=1"
        again = client.get(saved.headers["location"])
        assert "Change the home programme" in again.text and "Saved." in again.text and 'value="Anna"' in again.text
        assert len(no_audio) == 1 and "Jaw weeks" in client.get("/programme").text
