"""Readers and writer: CSV, EDF+/BDF+ round trips, streamed analysis equals whole-file, bad input."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from bench.scoring import onset_f1
from unclench.core.errors import UserInputError
from unclench.emg import dsp
from unclench.emg.readers import Annotation, open_recording, read_csv, read_edf, write_edf
from unclench.emg.simulate import simulate_emg
from unclench.emg.stream import analyze_stream

DATA = Path(__file__).parent / "data"


def test_real_csv_units_from_header_and_fs_from_time_column() -> None:
    rec = read_csv(DATA / "emg_bursts.csv")
    assert rec.fs == 1000.0
    assert rec.channel_names == ["emg_mV"]  # adc_raw has no unit and is left out
    assert rec.units == ["mV"] and rec.unit_source == "declared"
    x = rec.read()[0]
    assert 500 < np.abs(x).max() < 1600  # mV → µV


def test_csv_with_stated_fs_and_detected_units(tmp_path: Path) -> None:
    sim = simulate_emg(5, 1000, seed=1)
    path = tmp_path / "rec.csv"
    np.savetxt(path, np.c_[sim.signal / 1000.0, sim.signal / 500.0], delimiter=",", header="a,b", comments="")
    rec = read_csv(path, fs=1000)
    assert rec.units == ["mV", "mV"] and rec.unit_source == "detected"
    assert np.allclose(rec.read()[0], sim.signal)
    declared = read_csv(path, fs=1000, unit="uV")
    assert np.allclose(declared.read()[0], sim.signal / 1000.0)


@pytest.mark.parametrize(
    ("content", "kwargs", "message"),
    [
        ("a,b\n1,2\n3,4\n", {}, "sample rate is missing"),
        ("time,emg_uV\n0,1\n0.001,\n0.002,3\n", {}, "row 3"),
        ("time,emg_uV\n0,1\n0.001,2\n0.005,3\n0.006,3\n", {}, "irregular sampling"),
        ("time,emg_uV\n" + "".join(f"{i / 1000},{i % 7}\n" for i in range(50)), {"fs": 500}, "disagrees"),
        ("a\n1\n2\n", {"fs": 10}, "too low"),
        ("a\n1\n2\n", {"fs": 1000, "unit": "furlong"}, "unknown unit"),
    ],
)
def test_bad_csv_is_a_clear_error(tmp_path: Path, content: str, kwargs: dict, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(UserInputError, match=message):
        read_csv(path, **kwargs)


@pytest.mark.parametrize("bdf", [False, True])
def test_edf_bdf_round_trip_with_annotations(tmp_path: Path, bdf: bool) -> None:
    sim = simulate_emg(20, 1000, seed=2)
    data = np.vstack([sim.signal, sim.signal * 0.5])
    path = tmp_path / ("r.bdf" if bdf else "r.edf")
    anns = [Annotation(b[0], b[1] - b[0], "burst") for b in sim.bursts] + [Annotation(3.0, 0.0, "session start")]
    write_edf(
        path, data, 1000, ["jaw_left", "jaw_right"], annotations=anns, bdf=bdf, start=datetime(2026, 1, 2, 3, 4, 5)
    )
    with read_edf(path) as rec:
        assert rec.fs == 1000 and rec.channel_names == ["jaw_left", "jaw_right"]
        back = rec.read()
        # quantisation: 16-bit EDF over ±(1.05·peak) is ~0.01 µV here, 24-bit BDF far finer
        assert np.abs(back - data).max() < (0.001 if bdf else 0.02)
        texts = sorted(a.text for a in rec.annotations)
        assert texts.count("burst") == len(sim.bursts) and "session start" in texts
        assert rec.start == datetime(2026, 1, 2, 3, 4, 5)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


def test_truncated_edf_is_a_clear_error_and_not_garbage(tmp_path: Path) -> None:
    sim = simulate_emg(10, 1000, seed=3)
    path = write_edf(tmp_path / "r.edf", sim.signal[None, :], 1000, ["emg"])
    raw = path.read_bytes()
    (tmp_path / "cut.edf").write_bytes(raw[: len(raw) - 5000])
    with pytest.raises(UserInputError, match="truncated"):
        read_edf(tmp_path / "cut.edf")
    (tmp_path / "junk.edf").write_bytes(b"hello")
    with pytest.raises(UserInputError, match="not an EDF"):
        open_recording(tmp_path / "junk.edf")


def test_streamed_analysis_equals_whole_file(tmp_path: Path) -> None:
    sims = [simulate_emg(600, 1000, seed=s) for s in (4, 5)]
    data = np.vstack([s.signal for s in sims])
    data[1, 100_000:103_000] = 0.0  # a flat stretch on channel 2
    path = write_edf(tmp_path / "night.edf", data, 1000, ["a", "b"], physical_range_uv=3000.0)
    with read_edf(path) as rec:
        streamed = analyze_stream(
            rec.read, rec.n_samples, rec.fs, channel_names=rec.channel_names, clip_at=rec.clip_at, chunk_s=60
        )
        whole_data = rec.read()
        for c, res in enumerate(streamed):
            whole = dsp.analyze(whole_data[c], rec.fs, clip_at=rec.clip_at[c])
            assert [(b.onset_s, b.offset_s) for b in res.bursts] == [(b.onset_s, b.offset_s) for b in whole.bursts]
            # the streamed envelopes are kept in float32 (a night's memory): equal to float32 precision
            assert res.env.dtype == np.float32
            assert res.resting_tone_uv == pytest.approx(whole.resting_tone_uv, rel=1e-6)
            assert np.allclose(res.env, whole.env, rtol=1e-6, atol=1e-6)
            assert res.quality == whole.quality
    assert streamed[1].quality["flat_s"] == pytest.approx(3.0, abs=0.1)
    f1, _, _ = onset_f1([b.onset_s for b in streamed[0].bursts], sims[0].onsets)
    assert f1 >= 0.97


def test_analysis_settings_reach_the_streamed_and_the_whole_file_analysis_alike(tmp_path: Path) -> None:
    sim = simulate_emg(30, 1000, seed=7)
    path = write_edf(tmp_path / "s.edf", sim.signal[None, :], 1000, ["emg"], physical_range_uv=3000.0)
    settings = dsp.AnalysisSettings(
        bursts=dsp.BurstParams(k_on=20.0), window_s=0.2, mains=None, high_hz=300.0, target_uv=5.0
    )
    with read_edf(path) as rec:
        [streamed] = analyze_stream(
            rec.read, rec.n_samples, rec.fs, channel_names=rec.channel_names, clip_at=rec.clip_at, settings=settings
        )
        whole = dsp.analyze(rec.read()[0], rec.fs, settings, clip_at=rec.clip_at[0])
    default = dsp.analyze(sim.signal, 1000)
    for res in (streamed, whole):
        method = res.summary()["method"]
        assert method["bursts"]["k_on"] == 20.0 and method["envelope"]["window_s"] == 0.2
        assert method["clean"]["high_hz"] == 300.0 and method["clean"]["notch_hz"] == []
        assert res.relaxation is not None and res.relaxation.target_uv == 5.0
    assert default.clean.notch_hz and default.burst_params.k_on != 20.0
    assert [(b.onset_s, b.offset_s) for b in streamed.bursts] == [(b.onset_s, b.offset_s) for b in whole.bursts]


def test_edf_clipping_from_header_range(tmp_path: Path) -> None:
    sim = simulate_emg(20, 1000, seed=6)
    path = write_edf(tmp_path / "c.edf", sim.signal[None, :], 1000, ["emg"], physical_range_uv=100.0)
    with read_edf(path) as rec:
        res = analyze_stream(rec.read, rec.n_samples, rec.fs, channel_names=rec.channel_names, clip_at=rec.clip_at)
    assert res[0].quality["clipped_s"] > 0


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ((252, 256), b"-1  ", "declares -1 signals; an EDF/BDF file has 1 to 4096"),
        ((252, 256), b"0   ", "declares 0 signals"),
        ((252, 256), b"x   ", "header cannot be read"),
        ((236, 244), b"-5      ", "declares -5 data records"),
        ((184, 192), b"-1      ", "says it is -1 bytes long"),
        ((256 + 2 * 216, 256 + 2 * 216 + 8), b"-100    ", "samples-per-record"),
    ],
)
def test_malformed_edf_header_is_a_clear_error(
    tmp_path: Path, where: tuple[int, int], value: bytes, message: str
) -> None:
    good = write_edf(tmp_path / "good.edf", simulate_emg(2, 1000, seed=3).signal[None, :], 1000, ["emg"])
    raw = bytearray(good.read_bytes())
    raw[where[0] : where[1]] = value
    bad = tmp_path / "bad.edf"
    bad.write_bytes(bytes(raw))
    with pytest.raises(UserInputError, match=message):
        open_recording(bad)


@pytest.mark.parametrize("bdf", [False, True])
def test_edf_records_read_directly_equal_pyedflib(tmp_path: Path, bdf: bool) -> None:
    import pyedflib

    data = np.vstack([simulate_emg(65.5, 1000, seed=s).signal for s in (1, 2, 3)])
    path = write_edf(tmp_path / ("x.bdf" if bdf else "x.edf"), data, 1000, ["a", "b", "c"], physical_range_uv=2000.7)
    spans = [(0, 10), (999, 1001), (5000, 66000), (0, 66000), (65990, 66000), (7, 7)]
    ref = pyedflib.EdfReader(str(path))
    expected = [np.vstack([ref.readSignal(i, start=a, n=b - a) for i in range(3)]) for a, b in spans]
    ref.close()
    with read_edf(path, channels=["c", "a"]) as rec:
        assert "direct" in rec.reader.__qualname__  # the fast path, not the pyedflib fallback
        for (a, b), want in zip(spans, expected, strict=True):
            assert np.array_equal(rec.read(a, b), want[[2, 0]])
