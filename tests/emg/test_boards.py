"""BrainFlow live input end to end: synthetic board plumbing, playback-file board with known bursts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.scoring import onset_f1
from unclench.core.errors import UserInputError
from unclench.emg.boards import BoardRequest, board_id, open_source, write_playback_file
from unclench.emg.monitor import Monitor, run_source
from unclench.emg.readers import read_edf
from unclench.emg.simulate import simulate_emg


def test_board_names() -> None:
    from brainflow.board_shim import BoardIds

    assert board_id("synthetic") == BoardIds.SYNTHETIC_BOARD.value
    assert board_id("callibri_emg") == BoardIds.CALLIBRI_EMG_BOARD.value
    assert board_id("gforce") == BoardIds.GFORCE_PRO_BOARD.value
    assert board_id("CYTON_BOARD") == BoardIds.CYTON_BOARD.value
    with pytest.raises(UserInputError, match="unknown board 'brainwave9000'"):
        board_id("brainwave9000")


def test_serial_and_file_requirements_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="needs its serial port"):
        open_source(BoardRequest("cyton"))
    with pytest.raises(UserInputError, match="does not exist"):
        open_source(BoardRequest("cyton", serial_port=str(tmp_path / "ttyUSB9")))
    with pytest.raises(UserInputError, match="playback board needs"):
        open_source(BoardRequest("playback", file=str(tmp_path / "missing.csv")))
    with pytest.raises(UserInputError, match="IP address"):
        open_source(BoardRequest("cyton_wifi"))


def test_synthetic_board_plumbing_and_low_rate_warning() -> None:
    with open_source(BoardRequest("synthetic"), channels=[1, 2]) as src:
        assert src.fs == 250.0
        assert any("below 1 kHz" in w for w in src.warnings)
        src.start()
        monitor = run_source(src, Monitor(src.fs, src.channel_names, calibration_s=2.0), duration_s=3.0)
    assert monitor.channels is not None and len(monitor.channels) == 2
    assert monitor.elapsed_s >= 3.0
    assert all(np.isfinite(c.baseline.level_uv) and c.baseline.level_uv > 0 for c in monitor.channels)


def test_playback_board_finds_the_bursts_live(tmp_path: Path) -> None:
    sim = simulate_emg(16, 1000, seed=31, first_burst_after_s=6.0, burst_rate_per_min=20, motion_per_min=0)
    assert len(sim.bursts) >= 2
    path = write_playback_file(tmp_path / "pb.csv", sim.signal, master_board="callibri_emg")
    frames = []
    with open_source(BoardRequest("playback", file=str(path), master_board="callibri_emg")) as src:
        assert src.fs == 1000.0 and not src.warnings
        src.start()
        monitor = Monitor(src.fs, src.channel_names, calibration_s=5.0)
        run_source(src, monitor, duration_s=15.8, on_frame=frames.append)
    bursts = monitor.bursts[0]
    truth = sim.onsets[sim.bursts[:, 1] < 15.5]
    f1, _, _ = onset_f1([b.onset_s for b in bursts], truth)
    assert f1 >= 0.9, ([b.onset_s for b in bursts], truth)
    confirmed = [ev for f in frames for _, ev in f.events if ev.kind == "burst_confirmed"]
    assert len(confirmed) >= len(truth)
    assert any(f.phase == "calibrating" for f in frames) and frames[-1].phase == "live"
    saved = monitor.save(tmp_path / "rec.edf")
    with read_edf(saved) as rec:
        assert rec.n_samples >= monitor.raw().shape[1]
        texts = [a.text for a in rec.annotations]
    assert "calibration rest" in texts and sum(t.startswith("burst") for t in texts) == len(bursts)


def test_every_brainflow_error_is_a_plain_sentence() -> None:
    from brainflow.board_shim import BrainFlowError
    from brainflow.exit_codes import BrainFlowExitCodes

    from unclench.emg.boards import GENERAL_BOARD_ERROR, board_error_sentence

    for code in BrainFlowExitCodes:
        if code is BrainFlowExitCodes.STATUS_OK:
            continue
        sentence = board_error_sentence(BrainFlowError(f"{code.name}:{code.value} unable to prepare", code.value))
        assert sentence[0].isupper() and sentence.endswith("."), sentence
        assert "ERROR" not in sentence and code.name not in sentence and str(code.value) not in sentence
    said = {c: board_error_sentence(BrainFlowError("x", c.value)) for c in BrainFlowExitCodes}
    assert said[BrainFlowExitCodes.UNABLE_TO_OPEN_PORT_ERROR].startswith("No sensor was found")
    assert said[BrainFlowExitCodes.BOARD_NOT_READY_ERROR].startswith("No sensor was found")
    assert "already in use" in said[BrainFlowExitCodes.PORT_ALREADY_OPEN_ERROR]
    assert "cannot be used on this computer" in said[BrainFlowExitCodes.UNSUPPORTED_BOARD_ERROR]
    assert "Another live session" in said[BrainFlowExitCodes.ANOTHER_BOARD_IS_CREATED_ERROR]
    assert board_error_sentence(RuntimeError("no code")) == GENERAL_BOARD_ERROR


def test_the_demo_board_replays_the_bundled_real_recording() -> None:
    from unclench.emg.boards import demo_recording_uv

    recording = demo_recording_uv()
    assert recording.shape == (1, 20_000)
    with open_source(BoardRequest("demo")) as src:
        assert src.demo and src.fs == 1000.0
        monitor = Monitor(src.fs, src.channel_names, calibration_s=2.0)
        src.start()
        run_source(src, monitor, duration_s=4.0)
    raw = monitor.raw()[0]
    # The stream is the recording itself, sample for sample, from its start.
    assert raw.size > 3000
    assert np.allclose(raw[:3000], recording[0, :3000], atol=1e-6)
