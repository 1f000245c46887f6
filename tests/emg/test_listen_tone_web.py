"""The listen's page, the player's EMG part, tying a recording on the upload form and the recording page, and the
live WebSocket saving a recording tied to the listen (BrainFlow's playback board replaying a ground-truth file)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.emg.listen_fixtures import FS, listen_with_chapters, tone_steps
from unclench.core import clock
from unclench.core.jobs import get_runner
from unclench.core.settings import get_settings
from unclench.emg import service
from unclench.emg.readers import write_edf

DATA = Path(__file__).parent / "data"


def _tied_listen(db: Session, tmp_path: Path) -> Any:
    listen = listen_with_chapters(db, minutes=4, started_at=clock.now() - timedelta(minutes=5))
    truth = tone_steps([6.0, 6.0, 4.5, 3.0, 3.0], 60.0, seed=21)
    local = (listen.started_at - timedelta(seconds=60)).astimezone(clock.zone()).replace(tzinfo=None)
    path = write_edf(tmp_path / "jaw.edf", truth.signal[None, :], FS, ["jaw"], start=local)
    service.import_file(db, path=path, listen_id=listen.id, regions={"jaw": service.RegionChoice("jaw")})
    db.commit()
    return listen


def test_the_listen_page_shows_tone_and_bursts_per_chapter(client: TestClient, db: Session, tmp_path: Path) -> None:
    listen = _tied_listen(db, tmp_path)
    page = client.get(f"/emg/listens/{listen.id}")
    assert page.status_code == 200
    html = page.text
    assert '<svg class="tone-chart"' in html and "<polyline" in html and 'class="tc-burst"' in html
    assert "<style" not in html and " style=" not in html  # the CSP forbids inline style
    rows = re.findall(r'<tr class="tone-([a-z-]+)">\s*<th scope="row">(\d+)\. ([^<]+)<span', html)
    assert [title for _, _, title in rows][:2] == ["Welcome", "Progressive muscle relaxation"]
    verdicts = dict((title, verdict) for verdict, _, title in rows)
    assert verdicts["Welcome"] == "same" and verdicts["Waking up"] == "let-go"
    assert "Compared with before the session" in html and "the muscle let go during" in html
    assert "the muscle let go here" in html and "not a diagnosis" in html
    # the listening log links to the listen's page, and the player shows the latest listen with a recording
    assert f'href="/emg/listens/{listen.id}"' in client.get("/sessions").text
    player = client.get(f"/sessions/{listen.session_id}").text
    assert f'hx-get="/emg/sessions/{listen.session_id}/panel"' in player and "/static/emg/session_record.js" in player
    panel = client.get(f"/emg/sessions/{listen.session_id}/panel").text
    assert "Muscle tension while you listen" in panel and "Your last listen with a recording" in panel
    assert '<svg class="tone-chart"' in panel and 'name="csrf_token"' in panel


def test_a_listen_without_a_recording_says_how_to_add_one(client: TestClient, db: Session) -> None:
    listen = listen_with_chapters(db, minutes=3)
    db.commit()
    page = client.get(f"/emg/listens/{listen.id}").text
    assert "No EMG recording is tied to this listen yet" in page
    panel = client.get(f"/emg/sessions/{listen.session_id}/panel").text
    assert "Connect the sensor" in panel and "Your last listen" not in panel
    assert client.get("/emg/listens/" + "0" * 32).status_code == 404


def test_upload_that_does_not_overlap_its_listen_is_refused_beside_the_field(
    client: TestClient, db: Session, app_env: Path
) -> None:
    listen = listen_with_chapters(db, minutes=3, started_at=clock.now() - timedelta(hours=3))
    db.commit()
    with (DATA / "emg_bursts.csv").open("rb") as fh:  # a CSV has no start time: it counts as made now
        r = client.post("/emg/upload", files={"file": ("b.csv", fh, "text/csv")}, data={"listen": listen.id})
    assert r.status_code == 422
    assert "does not overlap that listen" in r.text and 'id="listen-error"' in r.text
    assert f'<option value="{listen.id}" selected>' in r.text  # the choice is kept
    assert client.get("/api/emg/recordings").json() == []
    assert list(get_settings().artefact_dir("emg-uploads").iterdir()) == []
    bad = client.post("/emg/upload", files={"file": ("b.csv", b"x", "text/csv")}, data={"offset_s": "soon"})
    assert bad.status_code == 422 and "not a number of seconds" in bad.text


def test_upload_with_a_manual_offset_is_tied_and_the_recording_page_can_move_it(
    client: TestClient, db: Session
) -> None:
    listen = listen_with_chapters(db, chapters=[("Welcome", 0.0, 10.0), ("Letting go", 10.0, 25.0)])
    listen.started_at = clock.now() - timedelta(hours=3)
    db.commit()
    with (DATA / "emg_bursts.csv").open("rb") as fh:
        r = client.post(
            "/emg/upload",
            files={"file": ("b.csv", fh, "text/csv")},
            data={"listen": listen.id, "offset_s": "2,5"},
            follow_redirects=False,
        )
    assert r.status_code == 303
    job_id = r.headers["location"].rsplit("/", 1)[-1]
    assert get_runner().wait(job_id, timeout=120).status == "done"
    [rec] = client.get("/api/emg/recordings").json()
    assert rec["listen_id"] == listen.id
    page = client.get(f"/emg/listens/{listen.id}").text
    assert "1. Welcome" in page and "2. Letting go" in page and "began 2 s into it" in page
    # the recording page moves the alignment; a session past the recording's end is refused with nothing changed
    moved = client.post(f"/emg/{rec['id']}/listen", data={"listen": listen.id, "offset_s": "0"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/emg/listens/{listen.id}"
    far = client.post(f"/emg/{rec['id']}/listen", data={"listen": listen.id, "offset_s": "600"})
    assert far.status_code == 422 and "does not overlap" in far.text
    assert "began 0 s into it" in client.get(f"/emg/listens/{listen.id}").text
    untie = client.post(f"/emg/{rec['id']}/listen", data={"listen": ""}, follow_redirects=False)
    assert untie.headers["location"] == f"/emg/{rec['id']}"
    assert client.get(f"/api/emg/recordings/{rec['id']}").json()["listen_id"] is None
    # …and the listen's page ties it again (a recording must be chosen)
    none = client.post(f"/emg/listens/{listen.id}/recording", data={"recording": "", "offset_s": "1"})
    assert none.status_code == 422 and "choose the recording" in none.text and 'value="1"' in none.text
    again = client.post(f"/emg/listens/{listen.id}/recording", data={"recording": rec["id"], "offset_s": "1"})
    assert again.status_code == 200 and "began 1 s into it" in again.text


def test_live_playback_during_a_listen_is_saved_and_tied(client: TestClient, db: Session, tmp_path: Path) -> None:
    from unclench.emg.boards import write_playback_file

    listen = listen_with_chapters(db, chapters=[("Tense", 0.0, 8.0), ("Letting go", 8.0, 16.0)])
    db.commit()
    truth = tone_steps([8.0, 4.0], 12.0, seed=2, bursts_per_min=0.01)  # tone halves 12 s into the file
    path = write_playback_file(tmp_path / "pb.csv", truth.signal)
    url = f"/emg/ws/live?board=playback&master_board=callibri_emg&file={path}&calibration=3&minutes=1"
    marked = False
    with client.websocket_connect(url) as ws:
        assert ws.receive_json()["savable"] is True
        while True:
            msg = ws.receive_json()
            if msg.get("phase") == "live" and not marked and msg["elapsed_s"] >= 4.0:
                ws.send_json({"mark": "session at 0.000"})  # the player: position 0 plays now
                marked = True
            if msg.get("elapsed_s", 0) > 23.5:
                ws.send_json({"stop": True, "save": True, "listen": listen.id})
            if "saved" in msg or "done" in msg:
                break
    assert msg.get("listen") == listen.id
    rec = client.get(f"/api/emg/recordings/{msg['saved']}").json()
    assert rec["listen_id"] == listen.id and rec["source"] == "live:playback"
    [tied] = service.listen_recordings(db, listen_id=listen.id)
    offset = tied.recording.listen_offset_s
    assert 3.9 < offset < 4.6  # the mark's signal time (frames every ~20 ms)
    [(_, tone)] = tied.channels
    assert tone.chapters[0].tone_uv is not None and tone.chapters[1].tone_uv is not None
    assert tone.chapters[1].tone_uv < 0.75 * tone.chapters[0].tone_uv
