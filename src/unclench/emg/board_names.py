"""Names of the live EMG boards, in a module with no imports, so the CLI's help and the live page can list
them without loading BrainFlow or NumPy (`boards.py` opens them)."""

from __future__ import annotations

# Friendly names → BrainFlow BoardIds names. Any other BoardIds name works too (e.g. "muse_2_board").
BOARD_ALIASES: dict[str, str] = {
    "synthetic": "SYNTHETIC_BOARD",
    "playback": "PLAYBACK_FILE_BOARD",
    "cyton": "CYTON_BOARD",
    "cyton_wifi": "CYTON_WIFI_BOARD",
    "cyton_daisy": "CYTON_DAISY_BOARD",
    "ganglion": "GANGLION_BOARD",
    "ganglion_native": "GANGLION_NATIVE_BOARD",
    "ganglion_wifi": "GANGLION_WIFI_BOARD",
    "callibri_emg": "CALLIBRI_EMG_BOARD",
    "gforce": "GFORCE_PRO_BOARD",
    "gforce_pro": "GFORCE_PRO_BOARD",
    "gforce_dual": "GFORCE_DUAL_BOARD",
    "freeeeg32": "FREEEEG32_BOARD",
    "explore_4": "EXPLORE_4_CHAN_BOARD",
    "explore_8": "EXPLORE_8_CHAN_BOARD",
}

# The boards offered first, on the live page and in the commands' help; any name above (or BoardIds name) works.
OFFERED_BOARDS = ("demo", "synthetic", "playback", "callibri_emg", "cyton", "ganglion", "gforce")

# "Try it without a sensor": a bundled real recording (emg/data/demo_biceps_bursts.md) replayed live.
DEMO_BOARD = "demo"

# Real sensors, the only choices in the live page's sensor menu (the demo has its own button; "synthetic" is
# BrainFlow's made-up test signal and "playback" needs a file on the server, both for developers and the CLI).
SENSOR_BOARDS: dict[str, str] = {
    "callibri_emg": "Callibri EMG (Bluetooth)",
    "cyton": "OpenBCI Cyton (USB dongle)",
    "ganglion": "OpenBCI Ganglion (USB dongle)",
    "ganglion_native": "OpenBCI Ganglion (Bluetooth)",
    "gforce": "gForce Pro armband",
}

# Streams that are not the person's muscles: shown live, never saved as their recording.
NOT_A_RECORDING_BOARDS = frozenset({DEMO_BOARD, "synthetic"})
