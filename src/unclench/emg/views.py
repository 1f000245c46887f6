"""Biofeedback pages: /emg (upload + analysis, bursts → diary), /emg/live (WebSocket gauge), JSON under /api/emg."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, RedirectResponse, Response

from unclench.body.taxonomy import all_regions
from unclench.core.db import session_scope
from unclench.core.errors import UserInputError
from unclench.core.settings import get_settings
from unclench.core.templating import render
from unclench.core.web_db import DbSession
from unclench.emg import service
from unclench.emg.models import EmgRecording

# Readers, boards, the live monitor and the plot load NumPy, SciPy, pandas, matplotlib and BrainFlow: the routes
# that use them import them, so the app starts (and its other pages answer) without them.

router = APIRouter()
KINDS = ("tension", "spasm", "cramp", "twitch", "tic")


def recording_json(rec: EmgRecording, *, bursts: bool = False) -> dict[str, Any]:
    return {
        "id": rec.id,
        "name": rec.original_name,
        "source": rec.source,
        "recorded_at": rec.recorded_at.isoformat(),
        "fs": rec.fs,
        "duration_s": rec.duration_s,
        "listen_id": rec.listen_id,
        "channels": [
            {
                "id": ch.id,
                "name": ch.name,
                "region": ch.region_id,
                "side": ch.side,
                "resting_tone_uv": ch.resting_tone_uv,
                "burst_count": ch.burst_count,
                "burst_rate_per_min": ch.burst_rate_per_min,
                "mains_hz": ch.mains_hz,
                "flat_s": ch.flat_s,
                "clipped_s": ch.clipped_s,
                "motion_s": ch.motion_s,
                **(
                    {
                        "bursts": [
                            {
                                "id": b.id,
                                "onset_s": b.onset_s,
                                "offset_s": b.offset_s,
                                "peak_uv": b.peak_uv,
                                "clipped": b.clipped,
                                "episode_id": b.episode_id,
                            }
                            for b in ch.bursts
                        ]
                    }
                    if bursts
                    else {}
                ),
            }
            for ch in rec.channels
        ],
        "method": rec.summary.get("channels", [{}])[0].get("method") if rec.summary.get("channels") else None,
    }


@router.get("/emg", include_in_schema=False)
def emg_home(request: Request, db: DbSession) -> Response:
    recs = service.list_recordings(db)
    return render(request, "emg/home.html", {"recordings": recs, "regions": all_regions(), "errors": {}})


@router.post("/emg/upload", include_in_schema=False)
async def emg_upload(
    request: Request,
    db: DbSession,
    file: UploadFile = File(...),
    fs: str = Form(""),
    unit: str = Form(""),
    region: str = Form(""),
    side: str = Form(""),
) -> Response:
    from unclench.emg.readers import open_recording

    name = Path(file.filename or "upload.csv").name
    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        try:
            fs_value = float(fs) if fs.strip() else None
        except ValueError:
            fs_value = None
            errors = {"fs": f"{fs!r} is not a number of Hz"}
        else:
            errors = {}
        if not errors:
            try:
                regions = {}
                if region:
                    with open_recording(path, fs=fs_value, unit=unit or None) as rec:
                        first = rec.channel_names[0]
                    regions = {first: service.RegionChoice(region, side or None)}
                stored = service.import_file(
                    db, path=path, original_name=name, fs=fs_value, unit=unit or None, regions=regions
                )
                return RedirectResponse(f"/emg/{stored.id}", status_code=303)
            except UserInputError as exc:
                errors = {p.field: str(p) for p in exc.problems}
    recs = service.list_recordings(db)
    return render(
        request, "emg/home.html", {"recordings": recs, "regions": all_regions(), "errors": errors}, status_code=422
    )


@router.get("/emg/live", include_in_schema=False)
def emg_live_page(request: Request) -> Response:
    return render(
        request, "emg/live.html", {"boards": ["synthetic", "playback", "callibri_emg", "cyton", "ganglion", "gforce"]}
    )


@router.get("/emg/{recording_id}", include_in_schema=False)
def emg_detail(request: Request, recording_id: str, db: DbSession) -> Response:
    rec = service.get_recording(db, recording_id=recording_id)
    return render(
        request,
        "emg/detail.html",
        {"rec": rec, "regions": all_regions(), "kinds": KINDS, "made": request.query_params.get("episode")},
    )


@router.get("/emg/{recording_id}/plot.png", include_in_schema=False)
def emg_plot(recording_id: str, db: DbSession) -> Response:
    from unclench.emg.plot import plot_analysis
    from unclench.emg.readers import open_recording

    rec = service.get_recording(db, recording_id=recording_id)
    png = get_settings().artefact_dir("emg") / f"{rec.file_sha256}.png"
    if not png.exists():
        with open_recording(service.recording_path(rec)) as opened:
            results = service.analyze_recording(opened)
            plot_analysis(results, opened.channel_names, png, title=rec.original_name)
    return FileResponse(png, media_type="image/png")


@router.post("/emg/channels/{channel_id}/region", include_in_schema=False)
def emg_channel_region(channel_id: int, db: DbSession, region: str = Form(...), side: str = Form("")) -> Response:
    ch = service.set_channel_region(db, channel_id=channel_id, region=region, side=side or None)
    return RedirectResponse(f"/emg/{ch.recording_id}", status_code=303)


@router.post("/emg/bursts/{burst_id}/episode", include_in_schema=False)
def emg_burst_episode(burst_id: int, db: DbSession, kind: str = Form("tension")) -> Response:
    episode = service.burst_to_episode(db, burst_id=burst_id, kind=kind)
    from unclench.emg.models import EmgBurst

    burst = db.get(EmgBurst, burst_id)
    assert burst is not None
    return RedirectResponse(f"/emg/{burst.channel.recording_id}?episode={episode.id}#b{burst_id}", status_code=303)


@router.get("/api/emg/recordings")
def api_recordings(db: DbSession) -> list[dict[str, Any]]:
    return [recording_json(r) for r in service.list_recordings(db)]


@router.get("/api/emg/recordings/{recording_id}")
def api_recording(recording_id: str, db: DbSession) -> dict[str, Any]:
    return recording_json(service.get_recording(db, recording_id=recording_id), bursts=True)


@router.post("/api/emg/bursts/{burst_id}/episode")
def api_burst_episode(burst_id: int, db: DbSession, kind: str = "tension") -> dict[str, Any]:
    episode = service.burst_to_episode(db, burst_id=burst_id, kind=kind)
    return {"episode_id": episode.id}


@router.websocket("/emg/ws/live")
async def emg_ws_live(ws: WebSocket) -> None:
    """Stream frames from a BrainFlow board: {"t","env","gauge","target","events","sent_ms"} about every 20 ms.

    Client messages: {"target": µV}, {"mark": "text"}, {"stop": true, "save": bool}.
    """
    from unclench.emg.boards import BoardRequest, open_source
    from unclench.emg.monitor import Monitor

    await ws.accept()
    q = ws.query_params
    req = BoardRequest(
        name=q.get("board", "synthetic"),
        serial_port=q.get("serial_port") or None,
        file=q.get("file") or None,
        master_board=q.get("master_board") or None,
    )
    try:
        calibration = float(q.get("calibration", "10"))
        minutes = float(q.get("minutes", "30"))
        target = float(q["target"]) if q.get("target") else None
        channels = [int(c) for c in q.get("channels", "1").split(",") if c.strip()]
        source = open_source(req, channels=channels)
    except (UserInputError, ValueError) as exc:
        await ws.send_json({"error": str(exc)})
        await ws.close()
        return
    monitor = Monitor(source.fs, source.channel_names, calibration_s=calibration, target_uv=target)
    await ws.send_json({"ready": True, "fs": source.fs, "channels": source.channel_names, "warnings": source.warnings})
    stop = {"flag": False, "save": False}

    async def receive() -> None:
        try:
            while True:
                msg = json.loads(await ws.receive_text())
                if "target" in msg:
                    monitor.target_uv = float(msg["target"])
                if "mark" in msg:
                    monitor.mark(str(msg["mark"])[:80])
                if msg.get("stop"):
                    stop["flag"], stop["save"] = True, bool(msg.get("save"))
                    return
        except (WebSocketDisconnect, ValueError, KeyError):
            stop["flag"] = True

    receiver = asyncio.create_task(receive())
    try:
        source.start()
        while not stop["flag"] and monitor.elapsed_s < minutes * 60:
            await asyncio.sleep(0.02)
            chunk = source.poll()
            if chunk.shape[1] == 0:
                continue
            t_poll = time.time() * 1000
            frame = monitor.feed(chunk)
            payload = frame.to_json()
            payload["proc_ms"] = round(time.time() * 1000 - t_poll, 3)
            payload["sent_ms"] = time.time() * 1000
            await ws.send_json(payload)
    except WebSocketDisconnect:
        stop["flag"] = True
    finally:
        source.stop()
        receiver.cancel()
    if stop["save"] and monitor.raw().shape[1] >= monitor.fs * 2:
        store = get_settings().artefact_dir("emg")
        tmp = store / f"live-{int(time.time() * 1000)}.edf"
        monitor.save(tmp)
        try:
            with session_scope() as db:
                stored = service.import_file(
                    db,
                    path=tmp,
                    original_name=f"live {req.name} {time.strftime('%Y-%m-%d %H:%M')}",
                    source=f"live:{req.name}"[:16],
                    target_uv=monitor.target_uv,
                    extra_summary={"live": monitor.summary()},
                )
                saved_id = stored.id
        finally:
            tmp.unlink(missing_ok=True)
        await ws.send_json({"saved": saved_id, "summary": monitor.summary()})
    else:
        await ws.send_json({"done": True, "summary": monitor.summary()})
    await ws.close()
