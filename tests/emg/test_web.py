"""/emg pages, JSON API and the live WebSocket (BrainFlow synthetic and playback boards), plus real Chromium."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bench.scoring import onset_f1
from unclench.core.jobs import get_runner
from unclench.emg import views as emg_views
from unclench.emg.boards import write_playback_file
from unclench.emg.readers import write_edf
from unclench.emg.simulate import simulate_emg

DATA = Path(__file__).parent / "data"


def test_upload_analysis_page_plot_and_burst_to_diary(client: TestClient) -> None:
    assert client.get("/emg").status_code == 200
    with (DATA / "emg_bursts.csv").open("rb") as fh:
        r = client.post(
            "/emg/upload",
            files={"file": ("emg_bursts.csv", fh, "text/csv")},
            data={"region": "upper_arm", "side": "left"},
            follow_redirects=False,
        )
    assert r.status_code == 303 and r.headers["location"].startswith("/emg/jobs/")
    job_id = r.headers["location"].rsplit("/", 1)[-1]
    assert get_runner().wait(job_id, timeout=120).status == "done"
    done = client.get(r.headers["location"], follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert page.status_code == 200 and page.text.count("Add to diary") == 9
    rec_id = done.headers["location"].rsplit("/", 1)[-1]
    png = client.get(f"/emg/{rec_id}/plot.png")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    data = client.get(f"/api/emg/recordings/{rec_id}").json()
    assert data["channels"][0]["burst_count"] == 9 and data["channels"][0]["region"] == "upper_arm"
    burst_id = data["channels"][0]["bursts"][0]["id"]
    made = client.post(f"/emg/bursts/{burst_id}/episode", data={"kind": "spasm"}, follow_redirects=False)
    assert made.status_code == 303 and "episode=" in made.headers["location"]
    again = client.post(f"/api/emg/bursts/{burst_id}/episode").json()
    assert made.headers["location"].split("episode=")[1].startswith(again["episode_id"])
    episode = client.get(f"/api/episodes/{again['episode_id']}").json()
    assert episode["kind"] == "spasm" and episode["regions"][0]["region_id"] == "upper_arm"
    channel_id = data["channels"][0]["id"]
    moved = client.post(
        f"/emg/channels/{channel_id}/region", data={"region": "jaw", "side": ""}, follow_redirects=False
    )
    assert moved.status_code == 303 and moved.headers["location"] == f"/emg/{rec_id}"
    channel = client.get(f"/api/emg/recordings/{rec_id}").json()["channels"][0]
    assert channel["region"] == "jaw"
    unsaid = client.post(f"/emg/channels/{channel_id}/region", data={"side": "left"})
    assert unsaid.status_code == 422 and "region: is required" in unsaid.text


def test_bad_upload_is_422_and_writes_nothing(client: TestClient, app_env: Path) -> None:
    r = client.post("/emg/upload", files={"file": ("x.csv", b"a\n1\n2\n", "text/csv")})
    assert r.status_code == 422 and "sample rate is missing" in r.text
    assert client.get("/api/emg/recordings").json() == []
    assert not any((app_env / "emg").glob("*.csv")) if (app_env / "emg").exists() else True
    assert client.get("/api/emg/recordings/nope").status_code == 404


def test_websocket_unknown_board_is_a_clear_error(client: TestClient) -> None:
    with client.websocket_connect("/emg/ws/live?board=brainwave9000") as ws:
        assert "Unknown board" in ws.receive_json()["error"]


def test_websocket_playback_marks_bursts_and_saves(client: TestClient, tmp_path: Path) -> None:
    sim = simulate_emg(10, 1000, seed=41, first_burst_after_s=4.0, burst_rate_per_min=24, motion_per_min=0)
    path = write_playback_file(tmp_path / "pb.csv", sim.signal)
    url = f"/emg/ws/live?board=playback&master_board=callibri_emg&file={path}&calibration=3&minutes=0.16"
    finals: list[dict[str, Any]] = []
    with client.websocket_connect(url) as ws:
        assert ws.receive_json()["fs"] == 1000.0
        while True:
            msg = ws.receive_json()
            if "events" in msg:
                finals += [e["burst"] for e in msg["events"] if e["kind"] == "burst_final"]
                if msg["elapsed_s"] > 9.3:
                    ws.send_json({"stop": True, "save": True})
            if "saved" in msg or "done" in msg:
                break
    assert "saved" in msg
    truth = sim.onsets[sim.bursts[:, 1] < 9.0]
    f1, _, _ = onset_f1([b["onset_s"] for b in finals], truth)
    assert f1 >= 0.9
    rec = client.get(f"/api/emg/recordings/{msg['saved']}").json()
    assert rec["source"] == "live:playback" and rec["duration_s"] > 8


def test_the_demo_streams_the_bundled_recording_live_and_is_never_saved(client: TestClient) -> None:
    gauges: list[float] = []
    with client.websocket_connect("/emg/ws/live?board=demo&calibration=2") as ws:
        ready = ws.receive_json()
        assert ready["fs"] == 1000.0 and ready["demo"] is True and ready["savable"] is False
        while True:
            msg = ws.receive_json()
            if msg.get("gauge") is not None:
                gauges.append(msg["gauge"])
            if "elapsed_s" in msg and msg["elapsed_s"] > 6.5:
                ws.send_json({"stop": True, "save": True})  # asked to save: the server still refuses
            if "saved" in msg or "done" in msg:
                break
    assert "saved" not in msg and "not saved" in msg["not_saved"]
    # Real samples of the recording went through the live pipeline: resting (~6 µV RMS) and contracting
    # (60–80 µV RMS) stretches both show in the gauge after calibration.
    assert min(gauges) < 20 and max(gauges) > 40
    assert client.get("/api/emg/recordings").json() == []


@pytest.mark.skipif(sys.platform != "linux", reason="gForce's BrainFlow driver exists on Windows only")
def test_an_absent_driver_is_a_sentence_not_a_code(client: TestClient) -> None:
    with client.websocket_connect("/emg/ws/live?board=gforce") as ws:
        error = ws.receive_json()["error"]
    assert error.startswith("This sensor cannot be used on this computer") and "ERROR" not in error


@pytest.mark.xdist_group("browser")
def test_live_page_demo_in_chromium(page: Any, screenshot_dir: Path) -> None:
    page.goto("/emg/live")
    assert not page.locator("#emg-latency").is_visible()  # developer timings stay folded away
    assert page.locator("select[name=board] option").all_inner_texts()[0].startswith("Callibri")
    page.get_by_role("button", name="Try it without a sensor").click()
    assert page.locator("#emg-demo-banner").is_visible()
    assert page.locator("#emg-stop").inner_text() == "Stop"
    page.wait_for_function(
        "() => window.emgStats && window.emgStats.phase === 'live' && window.emgStats.frames > 150", timeout=20000
    )
    # The gauge moves with the recording: up as the arm contracts, down as it rests.
    page.wait_for_function("() => emgStats.gaugeMax > 40 && emgStats.gaugeMin < 20", timeout=20000)
    stats = page.evaluate(
        "({transport: emgStats.transport.slice().sort((a,b)=>a-b)[Math.floor(emgStats.transport.length/2)],"
        " draw: emgStats.draw.slice().sort((a,b)=>a-b)[Math.floor(emgStats.draw.length/2)]})"
    )
    print(f"\nlive page latency parts (median): {stats}")
    assert stats["transport"] < 100 and stats["draw"] < 50
    assert page.locator("#emg-value").inner_text() != "—"
    page.get_by_text("Technical details").click()
    assert "latency parts" in page.locator("#emg-latency").inner_text()
    page.screenshot(path=str(screenshot_dir / "emg-live.png"), full_page=True)
    page.get_by_role("button", name="Stop", exact=True).click()
    page.wait_for_function(
        "() => document.getElementById('emg-status').textContent.includes('not saved')", timeout=15000
    )
    assert page.locator("#emg-status a").count() == 0
    assert page.request.get("/api/emg/recordings").json() == []


def test_an_edf_declaring_minus_one_channels_is_422(client: TestClient, tmp_path: Path) -> None:
    good = write_edf(tmp_path / "good.edf", simulate_emg(2, 1000, seed=3).signal[None, :], 1000, ["emg"])
    raw = bytearray(good.read_bytes())
    raw[252:256] = b"-1  "
    r = client.post("/emg/upload", files={"file": ("bad.edf", bytes(raw), "application/octet-stream")})
    assert r.status_code == 422 and "declares -1 signals" in r.text


def test_an_upload_over_the_size_limit_is_refused_with_the_limit(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emg_views, "MAX_UPLOAD_BYTES", 4096)
    monkeypatch.setattr(emg_views, "UPLOAD_CHUNK", 1024)
    r = client.post("/emg/upload", files={"file": ("big.csv", b"t,emg_uV\n" + b"0.001,1\n" * 2000, "text/csv")})
    assert r.status_code == 422 and "big.csv is larger than the 0 MB an upload may be" in r.text
    assert client.get("/api/emg/recordings").json() == []


def test_a_failed_analysis_shows_its_message_on_the_job_page(client: TestClient) -> None:
    # Half a second at 1 kHz: the file opens fine, and the analysis in the job refuses it.
    text = "time,emg_uV\n" + "".join(f"{i / 1000:.3f},{(i % 7) * 10}\n" for i in range(500))
    r = client.post("/emg/upload", files={"file": ("short.csv", text.encode(), "text/csv")})
    job_id = str(r.url).rsplit("/", 1)[-1]
    assert get_runner().wait(job_id, timeout=60).status == "failed"
    page = client.get(f"/emg/jobs/{job_id}")
    assert page.status_code == 422 and "at least 1 s is needed" in page.text


@pytest.mark.parametrize("burst_id", [0, 2**31, 2**63])
def test_a_burst_id_outside_the_database_range_is_422(client: TestClient, burst_id: int) -> None:
    # Schemathesis found 2**31 (PostgreSQL INTEGER) and 2**63 (SQLite) as 500s: the overflow came from the driver.
    for url in [f"/api/emg/bursts/{burst_id}/episode", f"/emg/bursts/{burst_id}/episode"]:
        r = client.post(url)
        assert r.status_code == 422, url
        [problem] = r.json()["detail"]
        assert problem["loc"] == ["path", "burst_id"] and problem["msg"].startswith("must be at")
    assert client.post(f"/api/emg/bursts/{2**31 - 1}/episode").status_code == 404


def test_a_sample_rate_that_is_not_a_number_is_named_and_nothing_is_kept(client: TestClient, app_env: Path) -> None:
    r = client.post("/emg/upload", files={"file": ("x.csv", b"a\n1\n2\n", "text/csv")}, data={"fs": "fast"})
    assert r.status_code == 422 and "&#39;fast&#39; is not a number of Hz" in r.text
    assert not any((app_env / "emg-uploads").glob("*")) if (app_env / "emg-uploads").exists() else True


def test_websocket_options_that_are_not_numbers_are_a_clear_error(client: TestClient) -> None:
    with client.websocket_connect("/emg/ws/live?board=synthetic&minutes=soon") as ws:
        assert "minutes: must be a number" in ws.receive_json()["error"]


def _stored_recording() -> str:
    from unclench.core.db import session_scope
    from unclench.emg import service

    with session_scope() as db:
        return service.import_file(db, path=DATA / "emg_bursts.csv").id


def test_the_recording_page_deletes_after_a_confirm_step(client: TestClient) -> None:
    rec_id = _stored_recording()
    page = client.get(f"/emg/{rec_id}")
    assert "Delete this recording" in page.text and f'action="/emg/{rec_id}/delete"' in page.text
    gone = client.post(f"/emg/{rec_id}/delete", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/emg?deleted=1"
    listing = client.get(gone.headers["location"])
    assert "The recording was deleted." in listing.text and rec_id not in listing.text
    assert client.get(f"/emg/{rec_id}").status_code == 404


def test_api_deletes_a_recording_once(client: TestClient) -> None:
    rec_id = _stored_recording()
    assert client.delete(f"/api/emg/recordings/{rec_id}").status_code == 204
    assert client.get("/api/emg/recordings").json() == []
    assert client.get(f"/api/emg/recordings/{rec_id}").status_code == 404
    again = client.delete(f"/api/emg/recordings/{rec_id}")
    assert again.status_code == 404 and "No EMG recording" in again.json()["detail"]


def test_the_region_menu_starts_blank_and_a_blank_region_is_refused(client: TestClient) -> None:
    import re

    with (DATA / "emg_bursts.csv").open("rb") as fh:
        r = client.post("/emg/upload", files={"file": ("emg_bursts.csv", fh, "text/csv")}, follow_redirects=False)
    job_id = r.headers["location"].rsplit("/", 1)[-1]
    assert get_runner().wait(job_id, timeout=120).status == "done"
    rec_id = client.get(r.headers["location"], follow_redirects=False).headers["location"].rsplit("/", 1)[-1]
    page = client.get(f"/emg/{rec_id}").text
    menu = re.search(r'<select name="region"[^>]*>(.*?)</select>', page, re.S)
    assert menu is not None and "required" in menu.group(0)
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", menu.group(1))
    assert options[0] == (' value="" selected', "Choose a region")
    assert not any("selected" in attrs for attrs, _ in options[1:])  # not "Scalp / head" by default
    channel_id = re.search(r'action="/emg/channels/(\d+)/region"', page).group(1)  # type: ignore[union-attr]
    refused = client.post(f"/emg/channels/{channel_id}/region", data={"region": "", "side": ""})
    assert refused.status_code == 422 and "choose where the sensor sat" in refused.text
    assert client.get(f"/api/emg/recordings/{rec_id}").json()["channels"][0]["region"] is None
    client.post(f"/emg/channels/{channel_id}/region", data={"region": "jaw", "side": "left"})
    assert client.get(f"/api/emg/recordings/{rec_id}").json()["channels"][0]["region"] == "jaw"
    assert 'value="jaw" selected' in client.get(f"/emg/{rec_id}").text


def test_the_plot_is_drawn_for_the_night_theme_too(client: TestClient, db: Session) -> None:
    import io

    from matplotlib import image

    from unclench.emg import service

    rec = service.import_file(db, path=DATA / "emg_bursts.csv")
    db.commit()
    page = client.get(f"/emg/{rec.id}").text
    assert f'src="/emg/{rec.id}/plot.png"' in page and f'src="/emg/{rec.id}/plot.png?theme=night"' in page
    light = client.get(f"/emg/{rec.id}/plot.png")
    night = client.get(f"/emg/{rec.id}/plot.png?theme=night")
    assert light.status_code == night.status_code == 200 and night.content[:4] == b"\x89PNG"
    corner = [image.imread(io.BytesIO(r.content))[2, 2, :3] for r in (light, night)]
    assert [round(float(v) * 255) for v in corner[0]] == [255, 255, 255]  # paper
    assert [round(float(v) * 255) for v in corner[1]] == [0x22, 0x1F, 0x1C]  # the night theme's card colour
    bad = client.get(f"/emg/{rec.id}/plot.png?theme=blue")
    assert bad.status_code == 422 and "not a theme" in bad.text
