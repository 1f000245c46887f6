"""Live EMG input through BrainFlow: boards chosen by name, with clear errors before anything starts.

``open_source(BoardRequest(name="synthetic"))`` → a ``LiveSource`` you ``start()``, ``poll()`` (µV,
channels × samples) and ``stop()``. The playback-file board replays a BrainFlow file in real time
(``write_playback_file`` makes one from any µV array), which tests the live path without hardware.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from unclench.core.errors import UserInputError
from unclench.emg.board_names import BOARD_ALIASES
from unclench.emg.dsp import RECOMMENDED_FS_HZ

# Boards reached over a serial port (USB dongle): the port must be named and must exist.
SERIAL_BOARDS = {"CYTON_BOARD", "CYTON_DAISY_BOARD", "GANGLION_BOARD", "FREEEEG32_BOARD", "FREEEEG128_BOARD"}
WIFI_BOARDS = {"CYTON_WIFI_BOARD", "CYTON_DAISY_WIFI_BOARD", "GANGLION_WIFI_BOARD"}


@dataclass(frozen=True)
class BoardRequest:
    name: str = "synthetic"
    serial_port: str | None = None
    mac_address: str | None = None
    ip_address: str | None = None
    ip_port: int | None = None
    file: str | None = None  # playback file
    master_board: str | None = None  # the board the playback file was recorded with
    timeout_s: int = 15


def board_id(name: str) -> int:
    """BrainFlow board id for a friendly or BoardIds name; unknown names are a clear error."""
    from brainflow.board_shim import BoardIds

    key = name.strip().lower().replace("-", "_")
    enum_name = BOARD_ALIASES.get(key) or key.upper()
    names = {b.name: b.value for b in BoardIds}
    if enum_name not in names and enum_name + "_BOARD" in names:
        enum_name += "_BOARD"
    if enum_name not in names:
        known = ", ".join(sorted(BOARD_ALIASES))
        raise UserInputError.single(
            "board", f"unknown board {name!r}; known names: {known} (or any BrainFlow BoardIds name)"
        )
    return int(names[enum_name])


@dataclass
class LiveSource:
    """An opened (prepared) BrainFlow session: EMG rows, sample rate, warnings."""

    board: Any
    board_id: int
    data_board_id: int  # the master board for playback, else board_id
    fs: float
    emg_rows: list[int]
    channel_names: list[str]
    warnings: list[str] = field(default_factory=list)
    started: bool = False

    def start(self, buffer_s: float = 60.0) -> None:
        self.board.start_stream(int(self.fs * buffer_s))
        self.started = True

    def poll(self) -> npt.NDArray[np.float64]:
        """All samples that arrived since the last poll, EMG rows only, µV (BrainFlow scales to µV)."""
        data = self.board.get_board_data()
        return np.asarray(data[self.emg_rows, :], dtype=np.float64)

    def stop(self) -> None:
        try:
            if self.started:
                self.board.stop_stream()
        finally:
            self.started = False
            if self.board.is_prepared():
                self.board.release_session()

    def __enter__(self) -> LiveSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def open_source(req: BoardRequest, *, channels: list[int] | None = None) -> LiveSource:
    """Check the request, prepare the BrainFlow session, and describe its EMG channels.

    Warns (in ``LiveSource.warnings``) when the board samples below 1 kHz: burst onsets are
    measurably less precise at 250 Hz and the band-pass narrows to 20–112 Hz.
    """
    from brainflow.board_shim import BoardIds, BoardShim, BrainFlowError, BrainFlowInputParams

    bid = board_id(req.name)
    enum_name = BoardIds(bid).name
    params = BrainFlowInputParams()
    params.timeout = req.timeout_s
    data_bid = bid
    if enum_name in SERIAL_BOARDS:
        if not req.serial_port:
            raise UserInputError.single(
                "serial_port", f"the {req.name} board needs its serial port (e.g. --serial-port /dev/ttyUSB0 or COM3)"
            )
        if os.name != "nt" and not Path(req.serial_port).exists():
            raise UserInputError.single(
                "serial_port", f"serial port {req.serial_port} does not exist: is the dongle plugged in?"
            )
        params.serial_port = req.serial_port
    if enum_name in WIFI_BOARDS and not req.ip_address:
        raise UserInputError.single("ip_address", f"the {req.name} board needs the WiFi shield's IP address")
    if req.mac_address:
        params.mac_address = req.mac_address
    if req.ip_address:
        params.ip_address = req.ip_address
    if req.ip_port:
        params.ip_port = req.ip_port
    if enum_name == "PLAYBACK_FILE_BOARD":
        if not req.file or not Path(req.file).exists():
            raise UserInputError.single(
                "file", f"the playback board needs an existing BrainFlow file, got {req.file!r}"
            )
        data_bid = board_id(req.master_board or "synthetic")
        params.file = str(req.file)
        params.master_board = data_bid
    try:
        fs = float(BoardShim.get_sampling_rate(data_bid))
        rows = list(BoardShim.get_emg_channels(data_bid))
    except BrainFlowError as exc:
        raise UserInputError.single("board", f"{req.name} has no EMG channels BrainFlow knows of ({exc})") from None
    if not rows:
        raise UserInputError.single("board", f"{req.name} has no EMG channels")
    if channels:
        bad = [c for c in channels if c < 1 or c > len(rows)]
        if bad:
            raise UserInputError.single("channels", f"channel(s) {bad} out of range 1–{len(rows)} for {req.name}")
        rows = [rows[c - 1] for c in channels]
    warnings = []
    if fs < RECOMMENDED_FS_HZ:
        warnings.append(
            f"{req.name} samples at {fs:g} Hz, below 1 kHz: burst onsets are less precise and the band-pass "
            f"narrows to 20–{0.45 * fs:g} Hz"
        )
    BoardShim.disable_board_logger()
    board = BoardShim(bid, params)
    try:
        board.prepare_session()
    except BrainFlowError as exc:
        raise UserInputError.single("board", f"could not open {req.name}: {exc}") from None
    if enum_name == "PLAYBACK_FILE_BOARD":
        board.config_board("loopback_false")
    names = [f"emg{i + 1}" for i in range(len(rows))]
    return LiveSource(board, bid, data_bid, fs, rows, names, warnings)


def write_playback_file(path: str | Path, data_uv: npt.ArrayLike, master_board: str = "callibri_emg") -> Path:
    """Write µV data (channels × samples) as a BrainFlow file the playback board can replay."""
    from brainflow.board_shim import BoardShim
    from brainflow.data_filter import DataFilter

    arr = np.atleast_2d(np.asarray(data_uv, dtype=np.float64))
    bid = board_id(master_board)
    rows = BoardShim.get_emg_channels(bid)
    if arr.shape[0] > len(rows):
        raise UserInputError.single("data", f"{master_board} has only {len(rows)} EMG channel(s)")
    fs = BoardShim.get_sampling_rate(bid)
    out = np.zeros((BoardShim.get_num_rows(bid), arr.shape[1]))
    for i in range(arr.shape[0]):
        out[rows[i]] = arr[i]
    out[BoardShim.get_package_num_channel(bid)] = np.arange(arr.shape[1]) % 256
    out[BoardShim.get_timestamp_channel(bid)] = 1_700_000_000.0 + np.arange(arr.shape[1]) / fs
    p = Path(path)
    DataFilter.write_file(out, str(p), "w")
    return p
