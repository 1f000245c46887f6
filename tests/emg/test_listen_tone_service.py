"""A recording tied to a listen (SQLite and PostgreSQL): alignment by start times or an offset, overlap refused
with nothing written, tone per chapter stored, live recordings aligned by the player's mark."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.emg.listen_fixtures import FS, listen_with_chapters, tone_steps
from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.core.settings import get_settings
from unclench.emg import service
from unclench.emg.models import EmgRecording
from unclench.emg.readers import write_edf


def _edf(tmp_path: Path, signal: np.ndarray, start_utc: object, name: str = "jaw.edf") -> Path:
    local = start_utc.astimezone(clock.zone())  # type: ignore[attr-defined]
    return write_edf(tmp_path / name, signal[None, :], FS, ["jaw"], start=local.replace(tzinfo=None))


def test_upload_made_during_a_listen_is_aligned_by_start_times(db: Session, app_env: Path, tmp_path: Path) -> None:
    listen = listen_with_chapters(db, minutes=4, started_at=clock.now() - timedelta(minutes=5))
    truth = tone_steps([6.0, 6.0, 4.5, 3.0, 3.0], 60.0, seed=21)  # a minute before the session, then 4 minutes
    path = _edf(tmp_path, truth.signal, listen.started_at - timedelta(seconds=60))
    rec = service.import_file(db, path=path, listen_id=listen.id)
    db.commit()
    assert rec.listen_id == listen.id and rec.listen_offset_s == pytest.approx(60.0)
    [tied] = service.listen_recordings(db, listen_id=listen.id)
    [(channel, tone)] = tied.channels
    assert channel.name == "jaw" and tone.reference == "before"
    titles = [c.title for c in tone.chapters]
    assert titles[0] == "Welcome" and titles[1] == "Progressive muscle relaxation" and titles[-1] == "Waking up"
    assert [c.kind for c in tone.chapters][:2] == ["opening", "induction"]
    welcome, ending = tone.chapters[0], tone.chapters[-1]
    assert welcome.change_pct == pytest.approx(0.0, abs=10.0)
    assert ending.tone_uv == pytest.approx(3.0, rel=0.15) and ending.change_pct == pytest.approx(-50.0, abs=10.0)
    assert sum(c.bursts for c in tone.chapters) == int(((truth.onsets_s >= 60) & (truth.onsets_s < 300)).sum())


def test_a_recording_that_does_not_overlap_is_refused_and_nothing_is_written(
    db: Session, app_env: Path, tmp_path: Path
) -> None:
    listen = listen_with_chapters(db, minutes=3, started_at=clock.now() - timedelta(hours=2))
    truth = tone_steps([5.0, 5.0], 60.0, seed=3)
    path = _edf(tmp_path, truth.signal, clock.now() - timedelta(minutes=10))  # made long after the listen ended
    before = sorted(p.name for p in get_settings().artefact_dir("emg").iterdir())
    with pytest.raises(UserInputError, match="does not overlap that listen") as caught:
        service.import_file(db, path=path, listen_id=listen.id)
    assert "give the offset" in str(caught.value)
    assert db.scalar(select(func.count()).select_from(EmgRecording)) == 0
    assert sorted(p.name for p in get_settings().artefact_dir("emg").iterdir()) == before
    # a manual offset (the file's clock was wrong) ties it: the session began 30 s into the recording
    rec = service.import_file(db, path=path, listen_id=listen.id, listen_offset_s=30.0)
    db.commit()
    assert rec.listen_offset_s == 30.0 and rec.summary["session_tone"]["offset_s"] == 30.0
    with pytest.raises(UserInputError, match="does not overlap"):
        service.tie_to_listen(db, recording_id=rec.id, listen_id=listen.id, offset_s=500.0)
    db.rollback()
    assert db.get(EmgRecording, rec.id).listen_offset_s == 30.0  # type: ignore[union-attr]


def test_tie_afterwards_then_untie(db: Session, app_env: Path, tmp_path: Path) -> None:
    listen = listen_with_chapters(db, minutes=3, started_at=clock.now() - timedelta(minutes=4))
    truth = tone_steps([8.0, 8.0, 4.0, 4.0], 60.0, seed=6)
    path = _edf(tmp_path, truth.signal, listen.started_at - timedelta(seconds=20))
    rec = service.import_file(db, path=path)
    assert rec.listen_id is None and "session_tone" not in rec.summary
    service.tie_to_listen(db, recording_id=rec.id, listen_id=listen.id)
    db.commit()
    assert rec.listen_offset_s == pytest.approx(20.0)
    tone = rec.summary["session_tone"]["channels"][0]
    assert tone["reference"] == "before" and tone["chapters"][-1]["change_pct"] == pytest.approx(-50.0, abs=10.0)
    service.tie_to_listen(db, recording_id=rec.id, listen_id=None)
    db.commit()
    assert rec.listen_id is None and rec.listen_offset_s is None and "session_tone" not in rec.summary
    assert service.listen_recordings(db, listen_id=listen.id) == []


def test_live_recording_is_aligned_by_the_players_mark(db: Session, app_env: Path) -> None:
    from unclench.emg.monitor import Monitor

    listen = listen_with_chapters(db, minutes=3, started_at=clock.now() - timedelta(seconds=200))
    truth = tone_steps([6.0, 6.0, 3.0], 65.0, seed=9)  # tone halves at signal time 130 s = position 120 s
    monitor = Monitor(FS, ["emg1"], calibration_s=10.0)
    for i in range(0, truth.signal.size, 5000):
        if i == 15_000:
            monitor.mark(f"{service.SESSION_MARK}5.0")  # position 5 s of the session plays at signal time 15 s
        monitor.feed(truth.signal[None, i : i + 5000])
    offset = service.session_offset_from_marks([(a.onset_s, a.text) for a in monitor.session_events])
    assert offset == pytest.approx(10.0)
    rec = service.save_live_recording(db, monitor, board="cyton", listen_id=listen.id, listen_offset_s=offset)
    db.commit()
    assert rec.source == "live:cyton" and rec.listen_offset_s == pytest.approx(10.0)
    # the recording began when it was started, its length ago (not when it was saved)
    assert rec.recorded_at == clock.now() - timedelta(seconds=195)
    chapters = rec.summary["session_tone"]["channels"][0]["chapters"]
    assert chapters[-1]["change_pct"] == pytest.approx(-50.0, abs=10.0)
    assert service.session_offset_from_marks([(3.0, "audio"), (4.0, "session at x")]) is None


def test_cli_ties_a_recording_and_prints_tone_per_part(db: Session, app_env: Path) -> None:
    from typer.testing import CliRunner

    from unclench.cli import app

    listen = listen_with_chapters(db, chapters=[("Welcome", 0.0, 10.0), ("Letting go", 10.0, 25.0)])
    rec = service.import_file(db, path=Path(__file__).parent / "data" / "emg_bursts.csv")
    db.commit()
    runner = CliRunner()
    far = runner.invoke(app, ["emg", "tie", rec.id[:8], listen.id, "--offset", "900"])
    assert far.exit_code == 2 and "does not overlap" in far.output
    done = runner.invoke(app, ["emg", "tie", rec.id[:8], listen.id, "--offset", "0"])
    assert done.exit_code == 0, done.output
    assert "Welcome" in done.output and "Letting go" in done.output and "the session began 0 s" in done.output
