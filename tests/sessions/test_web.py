"""Session pages and API through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from unclench.core.jobs import get_runner
from unclench.core.settings import get_settings
from unclench.sessions.audio import exporting

FORM = {
    "minutes": "5",
    "technique": "breathing",
    "pmr_groups": "7",
    "pmr_style": "tense_release",
    "region_mode": "chosen",
    "regions": ["jaw", "suboccipitals"],
    "background": "brown",
    "binaural": "none",
    "pace": "calm",
    "voice": "joe",
    "ending": "wake",
    "name": "Anna",
    "seed": "42",
}


def _wait_ready(client: TestClient, session_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        data: dict[str, object] = client.get(f"/api/sessions/{session_id}").json()
        if data["status"] in ("ready", "failed"):
            return data
        time.sleep(0.3)
    raise AssertionError("render did not finish")


def test_builder_bad_input_shows_errors_and_writes_nothing(client: TestClient) -> None:
    page = client.get("/sessions/new")
    assert page.status_code == 200 and "never while driving" in page.text
    bad = client.post("/sessions", data={**FORM, "minutes": "600", "voice": "alice"}, follow_redirects=False)
    assert bad.status_code == 422
    assert "3 to 45 minutes" in bad.text and "not an installed voice" in bad.text
    assert client.get("/api/sessions").json() == []


def test_build_render_in_background_play_and_log(
    client: TestClient, phrase_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = client.post("/sessions", data=FORM, follow_redirects=False)
    assert created.status_code == 303
    session_id = created.headers["location"].rsplit("/", 1)[1]
    waiting = client.get(f"/sessions/{session_id}")
    assert waiting.status_code == 200
    data = _wait_ready(client, session_id)
    assert data["status"] == "ready", data
    progress = client.get(f"/sessions/{session_id}/progress")
    assert progress.headers.get("HX-Refresh") == "true"

    page = client.get(f"/sessions/{session_id}")
    assert '<audio id="audio"' in page.text and "Your body" in page.text
    assert "the muscles at the back of your neck, just under your skull" in page.text
    wav = client.get(f"/sessions/{session_id}/files/session.wav")
    assert wav.status_code == 200 and wav.headers["content-type"] == "audio/wav" and wav.content[:4] == b"RIFF"
    vtt = client.get(f"/sessions/{session_id}/files/transcript.vtt")
    assert vtt.text.startswith("WEBVTT") and "Anna" in vtt.text
    assert client.get(f"/sessions/{session_id}/files/secrets.txt").status_code == 404

    # OGG/Opus and MP3 were made by the render: a download serves them as they are, encoding nothing.
    encodes: list[str] = []
    real_encode, real_encode_mp3 = exporting.encode, exporting.encode_mp3
    monkeypatch.setattr(exporting, "encode", lambda x, rate, path, encoding: encodes.append(path.name))
    monkeypatch.setattr(exporting, "encode_mp3", lambda x, rate, path: encodes.append(path.name))
    for fmt, media_type, magic in (("ogg", "audio/ogg", b"OggS"), ("mp3", "audio/mpeg", b"\xff")):
        download = client.get(f"/sessions/{session_id}/files/session.{fmt}")
        assert download.status_code == 200 and download.headers["content-type"] == media_type
        assert download.content[:4].startswith(magic) and len(download.content) > 100_000
        assert f"unclench-{session_id[:8]}.{fmt}" in download.headers["content-disposition"]
    assert encodes == []
    # A folder from before (no MP3) is still served: encoded from its WAV on first download.
    monkeypatch.setattr(exporting, "encode", real_encode)
    monkeypatch.setattr(exporting, "encode_mp3", real_encode_mp3)
    folder = get_settings().artefact_dir("audio") / str(data["artefact_key"])
    (folder / "session.mp3").unlink()
    old = client.get(f"/sessions/{session_id}/files/session.mp3")
    assert old.status_code == 200 and (folder / "session.mp3").exists()
    assert old.content[0] == 0xFF and old.content[1] >> 5 == 0b111  # an MPEG audio frame's sync word

    listen = client.post(f"/api/sessions/{session_id}/listens", json={"tension_before": 7})
    assert listen.status_code == 201
    listen_id = listen.json()["id"]
    done = client.patch(
        f"/api/sessions/listens/{listen_id}", json={"heard_s": 290, "finished": True, "tension_after": 3}
    )
    assert (
        done.json()["completed"] is True and done.json()["status"] == "listened" and done.json()["tension_after"] == 3
    )
    bad = client.patch(f"/api/sessions/listens/{listen_id}", json={"tension_after": 12})
    assert bad.status_code == 422 and "0 (none) to 10" in bad.text
    library = client.get("/sessions")
    assert "1 day in a row" in library.text

    # same settings + seed: re-render reuses the same files (same content hash)
    key = data["artefact_key"]
    again = client.post(f"/sessions/{session_id}/render", follow_redirects=False)
    assert again.status_code == 303
    assert _wait_ready(client, session_id)["artefact_key"] == key
    assert get_runner() is get_runner()


def test_practice_settings_form_checks_the_time_and_keeps_it(client: TestClient) -> None:
    bad = client.post("/sessions/practice", data={"streaks": "on", "reminder": "25:00"})
    assert bad.status_code == 422
    assert "hours:minutes like 20:30" in bad.text and 'value="25:00"' in bad.text
    saved = client.post("/sessions/practice", data={"reminder": "20:30"}, follow_redirects=False)
    assert saved.status_code == 303
    library = client.get("/sessions")
    assert 'value="20:30"' in library.text and 'id="streak"' not in library.text  # streak switched off
    listens = client.get("/api/sessions/listens")
    assert listens.status_code == 200 and listens.json() == []


def test_a_form_without_pmr_groups_uses_the_default() -> None:
    from unclench.core.validation import parse_input
    from unclench.sessions.schemas import SessionForm

    assert parse_input(SessionForm, {"minutes": "10", "technique": "pmr"}).options().pmr_groups == 7
    assert parse_input(SessionForm, {"minutes": "10", "pmr_groups": "4"}).options().pmr_groups == 4
    assert parse_input(SessionForm, {"minutes": "", "pmr_groups": "", "seed": ""}).options().minutes == 10


def test_a_number_that_is_not_one_is_named_with_every_other_problem(client: TestClient) -> None:
    bad = client.post("/sessions", data={**FORM, "minutes": "ten", "seed": "x"}, follow_redirects=False)
    assert bad.status_code == 422
    assert "must be a number" in bad.text and "The seed is a whole number from 0 to 2147483647." in bad.text
    assert 'value="ten"' in bad.text and client.get("/api/sessions").json() == []


def test_the_shortest_session_with_the_defaults_is_made_and_the_form_says_what_changes(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unclench.sessions import service

    monkeypatch.setattr(service, "start_render", lambda *args, **kwargs: None)  # the session is what is tested here
    page = client.get("/sessions/new")
    assert "At 3 minutes, progressive muscle relaxation uses 4 muscle groups instead of 7" in page.text
    defaults = {"minutes": "5", "technique": "pmr", "pmr_groups": "7", "pmr_style": "tense_release"}
    created = client.post("/sessions", data={**defaults, "region_mode": "auto"}, follow_redirects=False)
    assert created.status_code == 303, created.text
    [made] = client.get("/api/sessions").json()
    assert made["options"]["minutes"] == 5 and made["options"]["pmr_groups"] == 4
    assert made["title"].startswith("Progressive muscle relaxation (4 groups")
