""" "Right now": the ready-made sessions, their start-up preparation, the home card and the listen it logs."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from unclench.core import clock
from unclench.core.db import session_scope
from unclench.core.jobs import get_runner
from unclench.core.settings import reset_settings_cache
from unclench.diary import service as diary
from unclench.diary.schemas import EpisodeIn, RegionIn
from unclench.sessions import render, right_now, service
from unclench.sessions.composer import compose, estimated_timeline
from unclench.sessions.options import SessionOptions, TargetRegion


def _episode(db: Session, region: str, side: str, intensity: int, days_ago: int = 1) -> None:
    diary.create_episode(
        db,
        EpisodeIn(
            started_at=clock.now() - timedelta(days=days_ago),
            kind="tension",
            intensity=intensity,
            regions=[RegionIn(region=region, side=side)],
        ),
    )


@dataclass
class FakeRender:
    """Stands in for the voice and encoders: writes a finished render's files under the real settings hash."""

    calls: list[float] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)

    def __call__(self, options: SessionOptions, root: Path, **_: Any) -> Any:
        self.gate.wait(30)
        key = render.settings_key(options)
        folder = root / key
        folder.mkdir(parents=True, exist_ok=True)
        for fmt in ("wav", "ogg", "mp3"):
            (folder / f"session.{fmt}").write_bytes(b"audio")
        duration = options.minutes * 60
        manifest = {
            "key": key,
            "duration_s": duration,
            "loudness_lufs": -16.0,
            "true_peak_dbtp": -1.5,
            "channels": 1,
            "files": {fmt: f"session.{fmt}" for fmt in ("wav", "ogg", "mp3")},
            "chapters": [{"title": "Welcome", "start": 0.0, "end": duration}],
            "segments": [],
        }
        (folder / "session.json").write_text(json.dumps(manifest), encoding="utf-8")
        self.calls.append(options.minutes)
        return render.load_result(folder)


@pytest.fixture
def fake_render(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRender]:
    fake = FakeRender()
    fake.gate.set()
    monkeypatch.setattr(render, "render_session", fake)
    yield fake
    fake.gate.set()


def _finish(jobs: list[Any]) -> None:
    for job in jobs:
        assert get_runner().wait(job.id, timeout=60).status == "done"


def test_ready_made_sessions_are_composed_within_their_length(db: Session) -> None:
    assert right_now.ready_options(db, 5).regions == ()  # no diary yet: a general session
    for _ in range(3):
        _episode(db, "jaw", "left", 8)
    _episode(db, "suboccipitals", "both", 5)
    own = SessionOptions(minutes=20, technique="body_scan", pace="slow", background="rain", name="Anna")
    service.create_session(db, own)
    db.flush()

    short, longer = right_now.ready_options(db, 3), right_now.ready_options(db, 5)
    assert (short.minutes, short.technique, short.ending, short.regions) == (3.0, "breathing", "wake", ())
    assert (longer.minutes, longer.ending, longer.pmr_style) == (5.0, "sleep", "release_only")
    assert longer.regions[:2] == (TargetRegion("jaw", "left"), TargetRegion("suboccipitals", "both"))
    for options in (short, longer):
        # the person's own voice settings carry over
        assert (options.pace, options.background, options.name) == ("slow", "rain", "Anna")
        script = compose(options)
        planned = estimated_timeline(script)
        assert abs(planned.duration - options.seconds) <= 0.05 * options.seconds
        assert "machinery" in script.spoken_text()  # the safety note stays in the shortest session
    assert "jaw" in compose(longer).spoken_text()


def test_start_up_renders_only_what_is_missing(db: Session, fake_render: FakeRender) -> None:
    first = right_now.prepare(db)
    assert len(first) == 2
    _finish(first)
    assert sorted(fake_render.calls) == [3.0, 5.0]
    db.expire_all()
    assert [c.status for c in right_now.cards(db)] == ["ready", "ready"]

    assert right_now.prepare(db) == []  # same settings hash, audio there: nothing to do
    assert len(service.list_sessions(db)) == 2  # one row per length, reused

    # The diary's places changed: only the 5-minute one (which names them) is made again, in the same row.
    for _ in range(4):
        _episode(db, "calf", "right", 9)
    db.flush()
    again = right_now.prepare(db)
    assert len(again) == 1
    _finish(again)
    assert sorted(fake_render.calls) == [3.0, 5.0, 5.0]
    db.expire_all()
    rows = right_now.ready_sessions(db)
    assert service.options_of(rows[5]).regions[0] == TargetRegion("calf", "right")
    assert rows[5].artefact_key == render.settings_key(service.options_of(rows[5]))

    # Its audio went missing: made again.
    for path in right_now.audio_files(rows[3]).values():
        path.unlink()
    db.expire_all()
    assert [c.status for c in right_now.cards(db)] == ["missing", "ready"]
    missing = right_now.prepare(db)
    assert len(missing) == 1
    _finish(missing)
    assert sorted(fake_render.calls) == [3.0, 3.0, 5.0, 5.0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("prepare", ["1", "0"])
def test_serve_prepares_them_at_start_up_unless_told_not_to(
    app_env: Path, fake_render: FakeRender, monkeypatch: pytest.MonkeyPatch, prepare: str
) -> None:
    import uvicorn

    from unclench.cli import app

    monkeypatch.setenv("UNCLENCH_PREPARE_READY", prepare)
    reset_settings_cache()
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)  # start up, then stop at once
    result = CliRunner().invoke(app, ["serve", "--port", str(_free_port())])
    assert result.exit_code == 0, result.output
    deadline = time.monotonic() + 30
    while prepare == "1" and len(fake_render.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    with session_scope() as db:
        rows = right_now.ready_sessions(db)
        assert sorted(rows) == ([3, 5] if prepare == "1" else [])
        if prepare == "1":
            deadline = time.monotonic() + 30
            while any(r.status != "ready" for r in rows.values()) and time.monotonic() < deadline:
                time.sleep(0.05)
                db.expire_all()
            assert {r.status for r in rows.values()} == {"ready"}


def test_home_card_before_while_and_after_making_them(client: TestClient, fake_render: FakeRender) -> None:
    home = client.get("/")
    assert 'id="right-now"' in home.text and "not made yet" in home.text
    assert "breathe out slowly" in home.text and "Breathe in slowly: two, three, four." in home.text
    assert "data-right-now=" not in home.text and "hx-trigger" not in client.get("/sessions/right-now").text

    fake_render.gate.clear()  # the renders wait, as at 2 a.m. in the first minute after install
    made = client.post("/sessions/right-now/prepare", follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/#right-now"
    waiting = client.get("/")
    assert "Getting ready — about a minute." in waiting.text and "Meanwhile, breathe out slowly" in waiting.text
    assert "Make them now" not in waiting.text and "data-right-now=" not in waiting.text
    card = client.get("/sessions/right-now")
    assert 'hx-trigger="every 5s"' in card.text and 'hx-get="/sessions/right-now"' in card.text

    fake_render.gate.set()
    deadline = time.monotonic() + 30
    while "data-right-now=" not in card.text or "Getting ready" in card.text:
        assert time.monotonic() < deadline, card.text
        time.sleep(0.1)
        card = client.get("/sessions/right-now")
    assert "hx-trigger" not in card.text  # ready: polling stops
    home = client.get("/")
    assert 'data-right-now="3"' in home.text and 'data-right-now="5"' in home.text
    assert "/static/sessions/right_now.js" in home.text
    sessions = {s["title"]: s for s in client.get("/api/sessions").json()}
    three = sessions[right_now.TITLES[3]]
    assert f'<source src="/sessions/{three["id"]}/files/session.ogg" type="audio/ogg">' in home.text
    assert client.get(f"/sessions/{three['id']}/files/session.ogg").content == b"audio"

    # What the page's script calls when "3 minutes" is pressed: a listen, counted once 60 % was heard.
    listen = client.post(f"/api/sessions/{three['id']}/listens", json={})
    assert listen.status_code == 201 and listen.json()["status"] == "started"
    early = client.patch(f"/api/sessions/listens/{listen.json()['id']}", json={"heard_s": 30, "position_s": 30})
    assert early.json()["status"] == "started"
    enough = client.patch(f"/api/sessions/listens/{listen.json()['id']}", json={"heard_s": 110, "finished": True})
    assert enough.json()["status"] == "listened" and enough.json()["finished_at"] is not None
    assert [item["session_id"] for item in client.get("/api/sessions/listens").json()] == [three["id"]]


def test_demo_makes_them_for_the_demo_person(
    app_env: Path, fake_render: FakeRender, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unclench.demo import demo_command

    monkeypatch.setenv("UNCLENCH_PREPARE_READY", "1")
    reset_settings_cache()
    demo_command(days=30, seed=7)  # returns once both are made
    with session_scope() as db:
        rows = right_now.ready_sessions(db)
        assert {minutes: row.status for minutes, row in rows.items()} == {3: "ready", 5: "ready"}
        assert service.options_of(rows[5]).regions  # aimed at the demo diary's places
        assert [c.playable for c in right_now.cards(db)] == [True, True]
