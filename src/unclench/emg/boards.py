"""Live EMG input through BrainFlow: boards chosen by name, with clear errors before anything starts.

``open_source(BoardRequest(name="synthetic"))`` → a ``LiveSource`` you ``start()``, ``poll()`` (µV,
channels × samples) and ``stop()``. The playback-file board replays a BrainFlow file in real time
(``write_playback_file`` makes one from any µV array), which tests the live path without hardware; the "demo"
board replays a bundled real recording that way, in a loop. BrainFlow's failures become one plain sentence each
(``board_error_sentence``).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from unclench.core.errors import UserInputError
from unclench.emg.board_names import BOARD_ALIASES, DEMO_BOARD
from unclench.emg.dsp import RECOMMENDED_FS_HZ

# Boards reached over a serial port (USB dongle): the port must be named and must exist.
SERIAL_BOARDS = {"CYTON_BOARD", "CYTON_DAISY_BOARD", "GANGLION_BOARD", "FREEEEG32_BOARD", "FREEEEG128_BOARD"}
WIFI_BOARDS = {"CYTON_WIFI_BOARD", "CYTON_DAISY_WIFI_BOARD", "GANGLION_WIFI_BOARD"}

DEMO_RECORDING = Path(__file__).parent / "data" / "demo_biceps_bursts.csv.gz"  # source and licence: its .md beside it
DEMO_MASTER_BOARD = "callibri_emg"  # a one-channel 1000 Hz EMG board: the recording's own rate and channel count

# BrainFlow's exit codes (brainflow.exit_codes.BrainFlowExitCodes) → what a person can do about it. Codes 19–23
# belong to BrainFlow's JSON and classifier parts, which this app does not use: they get the general sentence.
BOARD_ERROR_SENTENCES: dict[int, str] = {
    1: "The sensor's port is already in use by another program (or another unclench tab). Close it there, then start again.",
    2: "No sensor was found: its port could not be opened. Check that the sensor is switched on, its dongle plugged in and the port name right.",
    3: "The sensor's serial port could not be set up. Unplug the dongle, plug it back in, and start again.",
    4: "The sensor did not accept a command. Switch it off and on again, then start again.",
    5: "The sensor sent something unexpected. Switch it off and on again, then start again.",
    6: "The sensor did not answer as expected. Check that it is switched on and charged and that the right sensor is chosen.",
    7: "No sensor was found: nothing answered in time. Check that it is switched on, charged and close by.",
    8: "The sensor is already streaming to another program or tab. Stop it there first.",
    9: "The sensor could not keep that much signal. Try a shorter session.",
    10: "The connection to the sensor broke off. Check that it is on and close by, then start again.",
    11: "The connection to the sensor broke off. Check that it is on and close by, then start again.",
    12: "No signal arrived from the sensor. Check the electrodes and that the sensor is switched on.",
    13: "These settings do not suit this sensor (its port, address or file). Check them and start again.",
    14: "This sensor cannot be used on this computer: its driver is not available here. Choose another sensor, or try it without one.",
    15: "The connection to the sensor was not set up. Start again.",
    16: "Another live session is already using a sensor on this computer. Stop it first (close other live tabs).",
    17: "The sensor could not be opened. Check that it is switched on and connected, then start again.",
    18: "The sensor did not answer in time. Bring it closer, check that it is on and charged, then start again.",
}
GENERAL_BOARD_ERROR = BOARD_ERROR_SENTENCES[17]


def board_error_sentence(exc: BaseException) -> str:
    """One plain sentence for a BrainFlow failure (its exit code), never the code's own name."""
    code = getattr(exc, "exit_code", None)
    return BOARD_ERROR_SENTENCES.get(code, GENERAL_BOARD_ERROR) if isinstance(code, int) else GENERAL_BOARD_ERROR


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
    loop: bool = False  # playback: start the file again when it ends


def board_id(name: str) -> int:
    """BrainFlow board id for a friendly or BoardIds name; unknown names are a clear error."""
    from brainflow.board_shim import BoardIds

    key = name.strip().lower().replace("-", "_")
    enum_name = BOARD_ALIASES.get(key) or key.upper()
    names = {b.name: b.value for b in BoardIds}
    if enum_name not in names and enum_name + "_BOARD" in names:
        enum_name += "_BOARD"
    if enum_name not in names:
        known = ", ".join(sorted([*BOARD_ALIASES, DEMO_BOARD]))
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

    demo: bool = False  # a bundled recording, not the person's muscles: never saved

    def start(self, buffer_s: float = 60.0) -> None:
        from brainflow.board_shim import BrainFlowError

        try:
            self.board.start_stream(int(self.fs * buffer_s))
        except BrainFlowError as exc:
            raise UserInputError.single("board", board_error_sentence(exc)) from None
        self.started = True

    def poll(self) -> npt.NDArray[np.float64]:
        """All samples that arrived since the last poll, EMG rows only, µV (BrainFlow scales to µV)."""
        from brainflow.board_shim import BrainFlowError

        try:
            data = self.board.get_board_data()
        except BrainFlowError as exc:
            raise UserInputError.single("board", board_error_sentence(exc)) from None
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

    if req.name.strip().lower() == DEMO_BOARD:
        return _open_demo_source(channels)
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
        if not req.file:
            raise UserInputError.single("file", "the playback board needs a BrainFlow file to replay (--file)")
        if not Path(req.file).exists():
            raise UserInputError.single("file", f"the playback board needs a file that exists; {req.file} does not")
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
        raise UserInputError.single("board", board_error_sentence(exc)) from None
    if enum_name == "PLAYBACK_FILE_BOARD":
        board.config_board("loopback_true" if req.loop else "loopback_false")
    names = [f"emg{i + 1}" for i in range(len(rows))]
    return LiveSource(board, bid, data_bid, fs, rows, names, warnings)


def demo_recording_uv() -> npt.NDArray[np.float64]:
    """The bundled demo recording (one channel, 1000 Hz) in µV."""
    with gzip.open(DEMO_RECORDING, "rt") as f:
        mv = np.loadtxt(f, delimiter=",", skiprows=1, usecols=1)
    return np.asarray(mv * 1000.0, dtype=np.float64)[np.newaxis, :]


def _demo_playback_file() -> Path:
    """The demo recording as a BrainFlow playback file, written once per content into the temp folder."""
    digest = hashlib.sha256(DEMO_RECORDING.read_bytes()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"unclench-demo-emg-{digest}.csv"
    if not path.exists():
        # Written beside and renamed, so two pages starting the demo at once never read half a file.
        partial = path.with_suffix(f".{os.getpid()}.part")
        write_playback_file(partial, demo_recording_uv(), master_board=DEMO_MASTER_BOARD)
        partial.replace(path)
    return path


def _open_demo_source(channels: list[int] | None) -> LiveSource:
    if channels and channels != [1]:
        raise UserInputError.single("channels", "the demo recording has one channel")
    request = BoardRequest(name="playback", file=str(_demo_playback_file()), master_board=DEMO_MASTER_BOARD, loop=True)
    source = open_source(request)
    source.demo = True
    return source


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
