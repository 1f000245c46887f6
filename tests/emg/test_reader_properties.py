"""Fuzzing the readers (Hypothesis): any CSV or EDF/BDF file gives a recording or a user-facing error, nothing else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unclench.core.errors import UserInputError
from unclench.emg.readers import open_recording, write_edf
from unclench.emg.simulate import simulate_emg

# Short runs: the whole suite has to stay well inside CI time on two cores.
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _open_and_read(path: Path, **kwargs: object) -> None:
    try:
        with open_recording(path, **kwargs) as rec:  # type: ignore[arg-type]
            block = rec.read(0, min(rec.n_samples, 5000))
            assert block.shape[0] == len(rec.channel_names)
    except UserInputError as exc:
        assert exc.problems and all(p.message for p in exc.problems)


CSV_PIECES = st.sampled_from(
    ["time", "emg_mV", "t_ms", "a", ",", "\n", "\r\n", ";", "\t", '"', "0", "1", "0.001", "-3.5e2", "nan", "inf", "x"]
)


@QUICK
@given(
    text=st.lists(CSV_PIECES, max_size=80).map("".join),
    tail=st.binary(max_size=16),
    fs=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    suffix=st.sampled_from([".csv", ".tsv", ".txt"]),
)
def test_any_csv_gives_a_recording_or_a_message(
    tmp_path: Path, text: str, tail: bytes, fs: float | None, suffix: str
) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(text.encode() + tail)
    _open_and_read(path, fs=fs)


@pytest.fixture(scope="module")
def good_edf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("edf")
    signal = simulate_emg(2, 256, seed=5).signal
    return write_edf(folder / "good.edf", np.vstack([signal, signal / 2]), 256, ["emg1", "emg2"]).read_bytes()


@QUICK
@given(
    edits=st.lists(st.tuples(st.integers(0, 3 * 256 - 1), st.binary(min_size=1, max_size=8)), min_size=1, max_size=4),
    cut=st.none() | st.integers(0, 4000),
    bdf=st.booleans(),
)
def test_any_edf_header_gives_a_recording_or_a_message(
    tmp_path: Path, good_edf: bytes, edits: list[tuple[int, bytes]], cut: int | None, bdf: bool
) -> None:
    raw = bytearray(good_edf)
    for offset, value in edits:
        raw[offset : offset + len(value)] = value
    if cut is not None:
        raw = raw[:cut]
    path = tmp_path / ("fuzz.bdf" if bdf else "fuzz.edf")
    path.write_bytes(bytes(raw))
    _open_and_read(path)
