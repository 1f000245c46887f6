"""EMG storage on real SQLite and PostgreSQL: import by content hash, regions, bursts → diary episodes."""

from __future__ import annotations

import shutil
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.errors import NotFoundError, UserInputError
from unclench.diary import service as diary
from unclench.emg import service
from unclench.emg.models import EmgBurst, EmgRecording
from unclench.emg.readers import Annotation, write_edf
from unclench.emg.simulate import simulate_emg

DATA = Path(__file__).parent / "data"


def test_import_real_csv_once_by_content_hash(db: Session, app_env: Path, tmp_path: Path) -> None:
    rec = service.import_file(
        db, path=DATA / "emg_bursts.csv", regions={"emg_mV": service.RegionChoice("upper_arm", "left")}
    )
    db.commit()
    assert rec.channels[0].burst_count == 9 and len(rec.channels[0].bursts) == 9
    assert rec.channels[0].region_id == "upper_arm" and rec.channels[0].side == "left"
    assert 1.0 < (rec.channels[0].resting_tone_uv or 0) < 15.0
    assert rec.summary["channels"][0]["method"]["bursts"]["k_on"] > 0
    stored = app_env / "emg" / rec.file_name
    assert stored.exists() and rec.file_name.startswith(rec.file_sha256)
    copy = tmp_path / "same-bytes.csv"
    shutil.copyfile(DATA / "emg_bursts.csv", copy)
    again = service.import_file(db, path=copy)
    assert again.id == rec.id
    assert db.scalar(select(func.count()).select_from(EmgRecording)) == 1


def test_burst_becomes_a_diary_episode_once(db: Session, app_env: Path) -> None:
    rec = service.import_file(db, path=DATA / "emg_bursts.csv")
    burst = rec.channels[0].bursts[0]
    with pytest.raises(UserInputError, match="not tied to a body region"):
        service.burst_to_episode(db, burst_id=burst.id)
    service.set_channel_region(db, channel_id=rec.channels[0].id, region="upper_arm", side="right")
    episode = service.burst_to_episode(db, burst_id=burst.id, kind="spasm")
    db.commit()
    assert episode.kind == "spasm" and 1 <= episode.intensity <= 10
    assert [(r.region_id, r.side) for r in episode.regions] == [("upper_arm", "right")]
    assert episode.duration_s == max(1, round(burst.offset_s - burst.onset_s))
    assert service.burst_to_episode(db, burst_id=burst.id).id == episode.id  # one click, one episode
    assert len(diary.list_episodes(db)) == 1
    assert db.get(EmgBurst, burst.id).episode_id == episode.id  # type: ignore[union-attr]


def test_edf_with_start_time_and_bad_files_write_nothing(db: Session, app_env: Path, tmp_path: Path) -> None:
    sim = simulate_emg(30, 1000, seed=9)
    path = write_edf(
        tmp_path / "jaw.edf",
        sim.signal[None, :],
        1000,
        ["jaw"],
        start=datetime(2026, 3, 1, 23, 30),
        annotations=[Annotation(1.0, 0.0, "lights out")],
    )
    rec = service.import_file(db, path=path, regions={"jaw": service.RegionChoice("jaw", "left")})
    # The header's start is the local wall clock where it was recorded: late on 1 March stays on 1 March.
    assert rec.recorded_at == clock.local_moment(date(2026, 3, 1), time(23, 30))
    assert clock.local_day(rec.recorded_at) == date(2026, 3, 1)
    assert rec.summary["annotations"] == 1
    before = sorted(p.name for p in (app_env / "emg").iterdir())
    bad = tmp_path / "nan.csv"
    bad.write_text("time,emg_uV\n0,1\n0.001,nan\n0.002,3\n")
    with pytest.raises(UserInputError, match="row 3"):
        service.import_file(db, path=bad)
    flat = tmp_path / "flat.csv"
    np.savetxt(flat, np.full(5000, 3.0), header="emg_uV", comments="")
    with pytest.raises(UserInputError, match="flat line"):
        service.import_file(db, path=flat, fs=1000)
    with pytest.raises(UserInputError, match="no channel"):
        service.import_file(db, path=DATA / "emg_bursts.csv", regions={"nope": service.RegionChoice("jaw")})
    with pytest.raises(UserInputError, match=r"unknown|not a known|region"):
        service.import_file(db, path=DATA / "emg_bursts.csv", regions={"emg_mV": service.RegionChoice("elbowz")})
    assert sorted(p.name for p in (app_env / "emg").iterdir()) == before
    assert db.scalar(select(func.count()).select_from(EmgRecording)) == 1


def test_recording_tied_to_a_session_listen(db: Session, app_env: Path) -> None:
    from unclench.sessions.models import AudioSession, Listen

    audio = AudioSession(title="Jaw release", options={}, status="ready", error="")
    db.add(audio)
    db.flush()
    listen = Listen(session_id=audio.id)
    db.add(listen)
    db.flush()
    with pytest.raises(UserInputError, match="no session listen"):
        service.import_file(db, path=DATA / "emg_bursts.csv", listen_id="0" * 32)
    rec = service.import_file(db, path=DATA / "emg_bursts.csv", listen_id=listen.id)
    db.commit()
    assert rec.listen_id == listen.id
    service.tie_to_listen(db, recording_id=rec.id, listen_id=None)
    assert rec.listen_id is None


def test_a_deleted_recording_leaves_the_lists_and_a_reimport_brings_it_back(db: Session, app_env: Path) -> None:
    rec = service.import_file(db, path=DATA / "emg_bursts.csv")
    db.commit()
    assert service.find_recording(db, rec.id[:8]).id == rec.id
    service.delete_recording(db, recording_id=rec.id)
    db.commit()
    assert service.list_recordings(db) == []
    with pytest.raises(NotFoundError, match="No EMG recording"):
        service.get_recording(db, recording_id=rec.id)
    with pytest.raises(NotFoundError):
        service.delete_recording(db, recording_id=rec.id)
    with pytest.raises(NotFoundError):
        service.find_recording(db, rec.id[:8])
    again = service.import_file(db, path=DATA / "emg_bursts.csv")
    db.commit()
    assert [r.id for r in service.list_recordings(db)] == [again.id]


def test_finding_a_recording_by_the_start_of_its_id_needs_four_characters(db: Session, app_env: Path) -> None:
    rec = service.import_file(db, path=DATA / "emg_bursts.csv")
    with pytest.raises(UserInputError, match="at least the first 4 characters"):
        service.find_recording(db, rec.id[:3])
    assert service.find_recording(db, rec.id.upper()).id == rec.id


@pytest.mark.parametrize("board", ["demo", "synthetic", " Demo "])
def test_a_demo_or_made_up_stream_is_never_saved(db: Session, app_env: Path, board: str) -> None:
    from unclench.emg.boards import demo_recording_uv
    from unclench.emg.monitor import Monitor

    monitor = Monitor(1000.0, ["emg1"], calibration_s=2.0)
    monitor.feed(demo_recording_uv()[:, :8000])
    with pytest.raises(UserInputError, match="not saved"):
        service.save_live_recording(db, monitor, board=board)
    assert db.scalar(select(func.count()).select_from(EmgRecording)) == 0
    assert service.save_live_recording(db, monitor, board="cyton").duration_s == pytest.approx(8.0, abs=0.1)
