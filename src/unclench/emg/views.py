"""Biofeedback pages: /emg (upload + analysis, bursts → diary), /emg/live (WebSocket gauge), JSON under /api/emg."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, File, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi import Form as FormField
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from unclench.body.taxonomy import all_regions
from unclench.core import jobs
from unclench.core.db import get_or_raise, new_id, session_scope
from unclench.core.errors import NotFoundError, UserInputError
from unclench.core.identity import Caller, caller_of
from unclench.core.settings import get_settings
from unclench.core.validation import parse_input
from unclench.core.web_db import DbSession, IntegerId
from unclench.emg import service
from unclench.emg.board_names import NOT_A_RECORDING_BOARDS, SENSOR_BOARDS
from unclench.emg.models import EmgRecording
from unclench.emg.schemas import ListenRecordingForm, ListenTieForm, LiveOptions, RegionChoiceIn, UploadForm
from unclench.sessions import decisions
from unclench.sessions.schemas import DecisionIn
from unclench.web.forms import Form, PostedForm, field_errors, form_page
from unclench.web.templating import render

# Readers, boards, the live monitor and the plot load NumPy, SciPy, pandas, matplotlib and BrainFlow: the routes
# that use them import them, so the app starts (and its other pages answer) without them.

if TYPE_CHECKING:
    from unclench.emg.adaptive import ToneTracker
    from unclench.emg.monitor import Monitor

router = APIRouter()
KINDS = ("tension", "spasm", "cramp", "twitch", "tic")


@dataclass
class AdaptiveStream:
    """A live stream serving an adaptive listen: its tone layer and the decisions waiting for their tone after."""

    tracker: ToneTracker
    due: list[tuple[int, float]] = field(default_factory=list)  # (decision id, stream time of its tone after)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expect(self, decision_id: int, at_t: float) -> None:
        with self.lock:
            self.due.append((decision_id, at_t))

    def take_due(self, now_t: float) -> list[tuple[int, float | None]]:
        """The decisions whose tone-after moment has passed, with the ratio there (None: the signal was bad)."""
        with self.lock:
            ready = [(d, t) for d, t in self.due if t <= now_t]
            self.due = [(d, t) for d, t in self.due if t > now_t]
        return [(d, self.tracker.ratio_at(t)) for d, t in ready]


ADAPTIVE_STREAMS: dict[str, AdaptiveStream] = {}
"""Live streams by listen id, in this process: the decision endpoint reads the stream's time from here."""


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


def _home_context(db: DbSession) -> dict[str, Any]:
    return {"recordings": service.list_recordings(db), "regions": all_regions(), "listens": service.listen_choices(db)}


@router.get("/emg", include_in_schema=False)
def emg_home(request: Request, db: DbSession) -> Response:
    return form_page(request, "emg/home.html", _home_context(db))


MAX_UPLOAD_BYTES = 512 * 1024 * 1024
"""An 8-hour, 8-channel, 1 kHz EDF is about 460 MB; anything larger is refused before it is read."""
UPLOAD_CHUNK = 1024 * 1024


def _too_big(name: str) -> UserInputError:
    return UserInputError.single(
        "file", f"{name} is larger than the {MAX_UPLOAD_BYTES // 2**20} MB an upload may be; split it or shorten it"
    )


def _save_upload(request: Request, file: UploadFile, name: str, target: Path) -> None:
    """Copy the upload to `target` a chunk at a time, refusing it once it passes MAX_UPLOAD_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + UPLOAD_CHUNK:  # the form around the file is small
        raise _too_big(name)
    written = 0
    with target.open("wb") as out:
        while chunk := file.file.read(UPLOAD_CHUNK):  # the form parser has spooled it to a temporary file
            written += len(chunk)
            if written > MAX_UPLOAD_BYTES:
                raise _too_big(name)
            out.write(chunk)


def _header(path: Path, fs: float | None, unit: str | None) -> tuple[str, Any, float]:
    """(first channel, header start, length in s) of an uploaded file, read without analysing it."""
    from unclench.emg.readers import open_recording  # here, not at the top: it loads SciPy, which start-up skips

    with open_recording(path, fs=fs, unit=unit) as rec:
        return rec.channel_names[0], rec.start, rec.duration_s


@router.post("/emg/upload", include_in_schema=False)
def emg_upload(request: Request, db: DbSession, form: PostedForm, file: UploadFile = File(...)) -> Response:
    """Check the upload (size, header, sample rate) at once, then analyse it as a job: the server keeps answering."""
    name = Path(file.filename or "upload.csv").name
    job_id = new_id()
    path = get_settings().artefact_dir("emg-uploads") / f"{job_id}{Path(name).suffix.lower()}"
    upload = form.submit(db, UploadForm, lambda valid: valid)
    errors = form.errors
    if upload is not None:
        try:
            _save_upload(request, file, name, path)
            # Opening reads the header (or the whole CSV): a bad file is answered here.
            first, start, duration = _header(path, upload.fs, upload.unit)
            if upload.listen is not None:  # refused here, beside the field, before any analysis
                service.check_listen_overlap(
                    db, listen_id=upload.listen, header_start=start, duration_s=duration, offset_s=upload.offset_s
                )
            digest = service.file_sha256(path)
            choice = upload.region_choice
            regions = {first: [choice.region, choice.side]} if choice else {}
            arguments = {
                "path": str(path),
                "name": name,
                "digest": digest,
                "fs": upload.fs,
                "unit": upload.unit,
                "regions": regions,
                "caller": jobs.caller_to_dict(caller_of(db)),
                "listen_id": upload.listen,
                "listen_offset_s": upload.offset_s,
            }
            # Keyed by the recording it makes (the file's hash, per person): the same file twice is one analysis.
            key = f"emg-analyse:{caller_of(db).person_id}:{digest}"
            job = jobs.enqueue("emg-analyse", name, arguments, db=db, key=key, lock=key, job_id=job_id)
            if job.id != job_id:
                path.unlink(missing_ok=True)  # that file is being analysed already
            return RedirectResponse(f"/emg/jobs/{job.id}", status_code=303)
        except UserInputError as exc:
            path.unlink(missing_ok=True)
            errors = field_errors(exc.problems, labelled=True)  # the row and column of a bad CSV value
    return form_page(request, "emg/home.html", {**_home_context(db), "errors": errors}, form, status=422)


@router.get("/emg/jobs/{job_id}", include_in_schema=False)
def emg_job(request: Request, job_id: str, db: DbSession) -> Response:
    """Progress of an upload's analysis (polled by htmx); the recording's page once it is done."""
    job = jobs.get_job(db, job_id)
    if job.status == "done":
        target = f"/emg/{job.result}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return render(request, "emg/job.html", {"job": job}, status_code=422 if job.status == "failed" else 200)


@router.get("/emg/live", include_in_schema=False)
def emg_live_page(request: Request) -> Response:
    return render(request, "emg/live.html", {"boards": SENSOR_BOARDS})


def _detail(request: Request, db: DbSession, recording_id: str, form: Form | None = None) -> Response:
    rec = service.get_recording(db, recording_id=recording_id)
    context = {
        "rec": rec,
        "regions": all_regions(),
        "kinds": KINDS,
        "made": request.query_params.get("episode"),
        "listens": service.listen_choices(db),
    }
    return form_page(request, "emg/detail.html", context, form)


@router.get("/emg/{recording_id}", include_in_schema=False)
def emg_detail(request: Request, recording_id: str, db: DbSession) -> Response:
    return _detail(request, db, recording_id)


@router.post("/emg/{recording_id}/listen", include_in_schema=False)
def emg_tie_listen(request: Request, recording_id: str, db: DbSession, form: PostedForm) -> Response:
    """Tie a recording to the listen it was made during (aligned, tone per chapter measured), or untie it."""
    tied = form.submit(
        db,
        ListenTieForm,
        lambda valid: service.tie_to_listen(
            db, recording_id=recording_id, listen_id=valid.listen, offset_s=valid.offset_s
        ),
    )
    if tied is None:
        return _detail(request, db, recording_id, form)
    target = f"/emg/listens/{tied.listen_id}" if tied.listen_id else f"/emg/{recording_id}"
    return RedirectResponse(target, status_code=303)


def _listen_page(request: Request, db: DbSession, listen_id: str, form: Form | None = None) -> Response:
    from unclench.sessions import service as sessions

    listen = sessions.get_listen(db, listen_id)
    tied = service.listen_recordings(db, listen_id=listen.id)
    loose = [r for r in service.list_recordings(db) if r.listen_id is None]
    context = {"listen": listen, "tied": tied, "loose": loose, **_tone_helpers()}
    return form_page(request, "emg/listen.html", context, form)


def _tone_helpers() -> dict[str, Any]:
    """What the tone templates call: the chart and the sentence per chapter."""
    from unclench.emg.dsp.session_tone import CHANGE_WORDS_PCT, describe_chapter
    from unclench.emg.tone_chart import tone_timeline_svg

    return {
        "tone_chart": tone_timeline_svg,
        "describe_chapter": describe_chapter,
        "change_words": f"{CHANGE_WORDS_PCT:g}",
    }


@router.get("/emg/listens/{listen_id}", include_in_schema=False)
def emg_listen(request: Request, listen_id: str, db: DbSession) -> Response:
    """A listen with its recordings: resting tone and bursts over the session, chapter by chapter."""
    return _listen_page(request, db, listen_id)


@router.post("/emg/listens/{listen_id}/recording", include_in_schema=False)
def emg_listen_recording(request: Request, listen_id: str, db: DbSession, form: PostedForm) -> Response:
    """Tie one of the person's recordings to this listen (from the listen's page)."""
    tied = form.submit(
        db,
        ListenRecordingForm,
        lambda valid: service.tie_to_listen(
            db, recording_id=valid.recording, listen_id=listen_id, offset_s=valid.offset_s
        ),
    )
    if tied is None:
        return _listen_page(request, db, listen_id, form)
    return RedirectResponse(f"/emg/listens/{listen_id}", status_code=303)


@router.get("/emg/sessions/{session_id}/panel", include_in_schema=False)
def emg_session_panel(request: Request, session_id: str, db: DbSession) -> Response:
    """The player's EMG part (loaded by htmx): record while listening, and the latest listen's tone per chapter."""
    from unclench.sessions import service as sessions

    session = sessions.get_session(db, session_id)
    latest = service.latest_listen_tone(db, listen_ids=[li.id for li in session.listens])
    context = {"session": session, "latest": latest, "boards": SENSOR_BOARDS, **_tone_helpers()}
    return render(request, "emg/_session_panel.html", context)


@router.get("/emg/{recording_id}/plot.png", include_in_schema=False)
def emg_plot(recording_id: str, db: DbSession, theme: str = "light") -> Response:
    """The analysis plot, drawn for the page's theme ("light" or "night") and kept beside the recording."""
    from unclench.emg.plot import PALETTES, plot_analysis
    from unclench.emg.readers import open_recording

    if theme not in PALETTES:
        raise UserInputError.single("theme", f"'{theme}' is not a theme; use light or night.")
    rec = service.get_recording(db, recording_id=recording_id)
    suffix = "" if theme == "light" else f"-{theme}"
    png = get_settings().artefact_dir("emg") / f"{rec.file_sha256}{suffix}.png"
    if not png.exists():
        with open_recording(service.recording_path(rec)) as opened:
            results = service.analyze_recording(opened)
            plot_analysis(results, opened.channel_names, png, title=rec.original_name, theme=theme)
    return FileResponse(png, media_type="image/png")


@router.post("/emg/channels/{channel_id}/region", include_in_schema=False)
def emg_channel_region(request: Request, channel_id: IntegerId, db: DbSession, form: PostedForm) -> Response:
    choice = parse_input(RegionChoiceIn, form.values)
    ch = service.set_channel_region(db, channel_id=channel_id, region=choice.region, side=choice.side)
    return RedirectResponse(f"/emg/{ch.recording_id}", status_code=303)


@router.post("/emg/bursts/{burst_id}/episode", include_in_schema=False)
def emg_burst_episode(burst_id: IntegerId, db: DbSession, kind: str = FormField("tension")) -> Response:
    episode = service.burst_to_episode(db, burst_id=burst_id, kind=kind)
    from unclench.emg.models import EmgBurst

    burst = get_or_raise(db, EmgBurst, burst_id, "burst")
    return RedirectResponse(f"/emg/{burst.channel.recording_id}?episode={episode.id}#b{burst_id}", status_code=303)


@router.post("/emg/{recording_id}/delete", include_in_schema=False)
def emg_delete(recording_id: str, db: DbSession) -> Response:
    service.delete_recording(db, recording_id=recording_id)
    return RedirectResponse("/emg?deleted=1", status_code=303)


@router.get("/api/emg/recordings")
def api_recordings(db: DbSession) -> list[dict[str, Any]]:
    return [recording_json(r) for r in service.list_recordings(db)]


@router.get("/api/emg/recordings/{recording_id}")
def api_recording(recording_id: str, db: DbSession) -> dict[str, Any]:
    return recording_json(service.get_recording(db, recording_id=recording_id), bursts=True)


@router.delete("/api/emg/recordings/{recording_id}", status_code=204)
def api_delete_recording(recording_id: str, db: DbSession) -> Response:
    """Move a recording to the bin (it leaves lists and insights; importing the file again brings it back)."""
    service.delete_recording(db, recording_id=recording_id)
    return Response(status_code=204)


@router.post("/api/emg/bursts/{burst_id}/episode")
def api_burst_episode(burst_id: IntegerId, db: DbSession, kind: str = "tension") -> dict[str, Any]:
    episode = service.burst_to_episode(db, burst_id=burst_id, kind=kind)
    return {"episode_id": episode.id}


@router.websocket("/emg/ws/live")
async def emg_ws_live(ws: WebSocket) -> None:
    """Stream frames from a BrainFlow board: {"t","env","gauge","target","events","proc_ms"} about every 20 ms;
    a {"ping": t} from the page is answered with {"pong": t}. With ``adaptive=1&region=…&listen=…`` also
    {"type": "tone", …} frames at least every 50 ms (docs/ADAPTIVE.md).

    Client messages: {"target": µV}, {"mark": "text"}, {"stop": true, "save": bool, "listen": id?}. The session
    player marks "session at P" when position P of the session plays, and stops with the listen's id: the recording
    is then tied to that listen, aligned by the first such mark. A demo or synthetic stream
    is never saved, even when asked: it ends with {"done": true, "not_saved": "why"}.
    """
    from unclench.emg.adaptive import AdaptiveSettings, ToneTracker
    from unclench.emg.boards import BoardRequest, open_source
    from unclench.emg.monitor import Monitor

    await ws.accept()
    caller = getattr(ws.state, "caller", None)  # the request guard's, as for a page
    try:
        live = parse_input(LiveOptions, dict(ws.query_params))
        earlier_uv = await run_in_threadpool(_adaptive_check, live, caller) if live.adaptive else None
        req = BoardRequest(
            name=live.board, serial_port=live.serial_port, file=live.file, master_board=live.master_board
        )
        source = open_source(req, channels=live.channels)
    except (UserInputError, ValueError) as exc:
        await ws.send_json({"error": _plain(exc)})
        await ws.close()
        return
    savable = req.name.strip().lower() not in NOT_A_RECORDING_BOARDS
    calibration, minutes, target = live.calibration, live.minutes, live.target
    monitor = Monitor(source.fs, source.channel_names, calibration_s=calibration, target_uv=target)
    ready = {"ready": True, "fs": source.fs, "channels": source.channel_names, "warnings": source.warnings}
    await ws.send_json(ready | {"demo": source.demo, "savable": savable})
    stop = {"flag": False, "save": False}
    # the session listen this recording is made during, if any: an adaptive stream names it as it opens, the
    # player's EMG panel as it stops
    listen: dict[str, str | None] = {"id": live.listen if live.adaptive else None}
    stream: AdaptiveStream | None = None
    if live.adaptive:
        tracker = ToneTracker(source.fs, AdaptiveSettings(baseline_s=live.baseline_s), baseline_uv=earlier_uv)
        stream = AdaptiveStream(tracker)
        if live.listen is not None:
            ADAPTIVE_STREAMS[live.listen] = stream

    async def receive() -> None:
        try:
            while True:
                msg = json.loads(await ws.receive_text())
                if "ping" in msg:  # the page times half this round trip as the transport latency
                    await ws.send_json({"pong": msg["ping"]})
                if "target" in msg:
                    monitor.target_uv = float(msg["target"])
                if "mark" in msg:
                    monitor.mark(str(msg["mark"])[:80])
                if msg.get("stop"):
                    stop["flag"], stop["save"] = True, bool(msg.get("save"))
                    listen["id"] = str(msg["listen"])[:40] if msg.get("listen") else listen["id"]
                    return
        except (WebSocketDisconnect, ValueError, KeyError):
            stop["flag"] = True

    receiver = asyncio.create_task(receive())
    failed: str | None = None
    last_sample = last_tone = time.perf_counter()
    try:
        source.start()
        while not stop["flag"] and monitor.elapsed_s < minutes * 60:
            await asyncio.sleep(0.02)
            chunk = source.poll()
            if chunk.shape[1] == 0:
                if stream is not None and time.perf_counter() - last_tone >= 0.04:
                    await ws.send_json(_stale_tone(stream, time.perf_counter() - last_sample))
                    last_tone = time.perf_counter()
                continue
            t_poll = last_sample = time.perf_counter()
            frame = monitor.feed(chunk)
            if stream is not None:  # the tone first: the player's continuous layer waits on it
                await ws.send_json(stream.tracker.feed(monitor, chunk, frame).to_json())
                last_tone = time.perf_counter()
                await _fill_due(stream, monitor.elapsed_s, caller)
            payload = frame.to_json()
            payload["proc_ms"] = round((time.perf_counter() - t_poll) * 1000, 3)
            await ws.send_json(payload)
    except WebSocketDisconnect:
        stop["flag"] = True
    except UserInputError as exc:  # the sensor failed mid-stream: say so in words
        failed = _plain(exc)
    finally:
        source.stop()
        receiver.cancel()
        if stream is not None and live.listen is not None:
            if ADAPTIVE_STREAMS.get(live.listen) is stream:
                del ADAPTIVE_STREAMS[live.listen]
            await _fill_due(stream, monitor.elapsed_s, caller)  # what the stream reached; the rest stays open
    if failed is not None:
        await ws.send_json({"error": failed})
        await ws.close()
        return
    saved_id: str | None = None
    tie_problem: str | None = None
    if stop["save"] and savable:
        # an adaptive stream's recording is tied to its region too, so its bursts are offered as episodes
        regions = {source.channel_names[0]: service.RegionChoice(live.region)} if live.region else None
        # Analysing and storing take seconds: on a worker thread, so the server goes on answering meanwhile (the
        # player saving its listen among them) and waits for no database on its event loop.
        saved_id, tie_problem = await run_in_threadpool(
            _save_live, monitor, caller, board=req.name, regions=regions, listen_id=listen["id"]
        )
    if saved_id is not None:
        extra = {"listen": listen["id"]} if listen["id"] and tie_problem is None else {"tie_problem": tie_problem}
        bursts = sum(len(b) for b in monitor.bursts)
        offer = {"episodes_offer": f"/emg/{saved_id}", "bursts": bursts} if live.adaptive and bursts else {}
        last = {"saved": saved_id, "summary": monitor.summary()} | extra | offer
    elif not savable:  # asked to save or not, say why a demo never is
        last = {"done": True, "not_saved": service.NOT_SAVED_REASON, "summary": monitor.summary()}
    else:
        last = {"done": True, "summary": monitor.summary()}
    # The page may have gone already (a player closed at the end of its session): what was saved stays saved, and
    # there is no one left to tell.
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await ws.send_json(last)
        await ws.close()


def _save_live(
    monitor: Monitor,
    caller: Caller | None,
    *,
    board: str,
    regions: dict[str, service.RegionChoice] | None,
    listen_id: str | None,
) -> tuple[str | None, str | None]:
    """(the saved recording's id, why it could not be tied to the listen): tied to `listen_id` if it can be, aligned
    by the player's first "session at" mark; else saved untied. Nothing is saved under 2 s."""
    marks = [(a.onset_s, a.text) for a in monitor.session_events]
    offset = service.session_offset_from_marks(marks) if listen_id else None
    try:
        with session_scope(caller) as db:
            recording = service.save_live_recording(
                db, monitor, board=board, regions=regions, listen_id=listen_id, listen_offset_s=offset
            )
            return recording.id, None
    except UserInputError as exc:  # under 2 s (nothing to keep), or it cannot be tied: saved untied, and why
        if listen_id is None:
            return None, None
        with contextlib.suppress(UserInputError), session_scope(caller) as db:
            return service.save_live_recording(db, monitor, board=board, regions=regions).id, _plain(exc)
        return None, _plain(exc)


def _adaptive_check(live: LiveOptions, caller: Caller | None) -> float | None:
    """The listen must be the caller's; the region's resting tone from earlier recordings unless told to measure."""
    from unclench.sessions.service import get_listen

    with session_scope(caller) as db:
        if live.listen is not None:
            try:
                get_listen(db, live.listen)
            except NotFoundError:
                raise UserInputError.single("listen", f"no session listen with id {live.listen}") from None
        if live.baseline == "measure" or live.region is None:
            return None
        return service.region_baseline_uv(db, region=live.region)


def _stale_tone(stream: AdaptiveStream, silent_s: float) -> dict[str, Any]:
    """The last tone frame again (frames keep coming every 50 ms); once no sample came for 0.25 s it is bad."""
    last = stream.tracker.last
    if silent_s > 0.25:
        last = dataclasses.replace(last, state="unknown", quality="bad", ratio=None)
    return last.to_json()


async def _fill_due(stream: AdaptiveStream, now_t: float, caller: Caller | None) -> None:
    """Write the tone 10 s after each decision whose moment the stream has reached."""
    due = stream.take_due(now_t)
    if due:
        await run_in_threadpool(_write_tone_after, due, caller)


def _write_tone_after(due: list[tuple[int, float | None]], caller: Caller | None) -> None:
    with session_scope(caller) as db:
        for decision_id, ratio in due:
            with contextlib.suppress(NotFoundError):
                decisions.set_tone_after(db, decision_id, ratio, source="live")


def _decision_json(d: Any) -> dict[str, Any]:
    return {
        "id": d.id,
        "listen_id": d.listen_id,
        "point": d.point,
        "region": d.region,
        "choice": d.choice,
        "cue_id": d.cue_id,
        "at_s": d.at_s,
        "tone_before": d.tone_before,
        "tone_after": d.tone_after,
        "tone_after_source": d.tone_after_source,
    }


@router.post("/api/listens/{listen_id}/decisions", status_code=201)
def api_log_decision(listen_id: str, body: DecisionIn, db: DbSession) -> dict[str, Any]:
    """Log an adaptive session's decision; its tone 10 s later is filled from the listen's live stream (or from a
    recording tied to the listen afterwards)."""
    stream = ADAPTIVE_STREAMS.get(listen_id)
    stream_t = stream.tracker.last.t if stream is not None else None
    decision = decisions.log_decision(db, listen_id, body, stream_t=stream_t)
    if stream is not None and stream_t is not None:  # written 10 s on, long after this request has committed
        stream.expect(decision.id, stream_t + decisions.TONE_AFTER_S)
    return _decision_json(decision)


@router.get("/api/listens/{listen_id}/decisions")
def api_list_decisions(listen_id: str, db: DbSession) -> list[dict[str, Any]]:
    """The listen's decisions, in order, with their tone before and after."""
    return [_decision_json(d) for d in decisions.list_decisions(db, listen_id)]


def _plain(exc: Exception) -> str:
    """An input error as the live page shows it: a sensor's problem as a sentence, an option's with its name."""
    if isinstance(exc, UserInputError):
        return "; ".join(p.message[:1].upper() + p.message[1:] if p.field == "board" else str(p) for p in exc.problems)
    return str(exc)
