"""Real Chromium: the player's EMG panel records while a session plays (BrainFlow's playback board replaying a
ground-truth file as if live), saves the recording tied to the listen, and the listen's page shows tone per part."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest

from tests.emg.listen_fixtures import listen_with_chapters, tone_steps
from unclench.core import db as core_db
from unclench.emg import service
from unclench.emg.boards import write_playback_file
from unclench.sessions import service as sessions

pytestmark = pytest.mark.xdist_group("browser")


def test_the_player_records_the_listen_and_the_listen_page_shows_tone_per_part(
    page: Any, live_server: str, tmp_path: Path, screenshot_dir: Path
) -> None:
    with core_db.session_scope() as db:
        made = listen_with_chapters(db, chapters=[("Holding on", 0.0, 12.0), ("Letting go", 12.0, 24.0)])
        session_id = made.session_id
        folder = sessions.audio_root() / (sessions.get_session(db, session_id).artefact_key or "")
    with wave.open(str(folder / "session.wav"), "wb") as out:  # 24 s of quiet audio: what the player plays
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000 * 24)
    truth = tone_steps([8.0, 8.0, 4.0, 4.0], 11.0, seed=3, bursts_per_min=0.01)  # tone halves 22 s into the file
    playback = write_playback_file(tmp_path / "jaw.csv", truth.signal)

    page.goto(f"/sessions/{session_id}")
    page.locator("#emg-session").wait_for()  # loaded by htmx
    page.get_by_text("For testing: replay a BrainFlow file").click()
    page.locator("#emg-file").fill(str(playback))
    page.get_by_role("button", name="Connect the sensor").click()
    page.wait_for_function(
        "() => document.getElementById('emg-status').textContent.includes('Press Play')", timeout=30_000
    )
    page.get_by_role("button", name="Skip and listen").click()
    page.wait_for_function(
        "() => document.getElementById('emg-status').textContent.includes('Recording while')", timeout=10_000
    )
    # the session plays to its end; the end stops the recording, which is saved and tied to the listen
    page.wait_for_function("() => document.getElementById('emg-status').textContent.includes('Saved')", timeout=60_000)
    status = page.locator("#emg-status").inner_text()
    assert "Saved and tied to this listen." in status, status
    page.screenshot(path=str(screenshot_dir / "session-player-emg.png"), full_page=True)

    page.get_by_role("link", name="See your tone per part of the session.").click()
    page.wait_for_url("**/emg/listens/*")
    listen_id = page.url.rsplit("/", 1)[1]
    rows = page.locator(".tone-table tbody tr")
    assert rows.count() == 2
    assert page.locator("svg.tone-chart polyline").count() >= 1
    page.screenshot(path=str(screenshot_dir / "listen-tone.png"), full_page=True)
    with core_db.session_scope() as db:
        [tied] = service.listen_recordings(db, listen_id=listen_id)
        assert tied.recording.source == "live:playback"
        assert 9.0 < (tied.recording.listen_offset_s or 0) < 16.0  # after the 10 s calibration, when Play was pressed
        [(_, tone)] = tied.channels
        holding, letting_go = tone.chapters
        assert holding.tone_uv is not None and letting_go.tone_uv is not None
        assert letting_go.tone_uv < 0.8 * holding.tone_uv
