"""Read EMG recordings (CSV, EDF/EDF+, BDF/BDF+) and write EDF+/BDF+ with annotations.

Every reader returns a ``Recording``: sample rate, channel names, µV values read by sample range
(``read(start, stop)``), so that a whole night can be streamed. Bad input raises UserInputError
with a message a person can act on; the writer writes to a temporary file and renames it, so a
failed write leaves nothing behind.
"""

from __future__ import annotations

import csv
import math
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from unclench.core.errors import FieldProblem, UserInputError
from unclench.emg.dsp import check_fs

Unit = Literal["uV", "mV", "V"]
UNIT_FACTORS: dict[str, float] = {"uV": 1.0, "µV": 1.0, "mV": 1000.0, "V": 1e6}
TIME_NAMES = {"time", "t", "time_s", "times", "timestamp", "seconds", "sec", "s", "time_ms", "ms"}


@dataclass(frozen=True)
class Annotation:
    onset_s: float
    duration_s: float
    text: str


@dataclass
class Recording:
    """A multi-channel recording read lazily: ``read(start, stop)`` gives (channels, samples) in µV."""

    source: str
    fs: float
    channel_names: list[str]
    n_samples: int
    reader: Callable[[int, int], npt.NDArray[np.float64]] = field(repr=False)
    units: list[str] = field(default_factory=list)
    unit_source: str = "declared"  # "declared" or "detected"
    clip_at: list[tuple[float | None, float | None]] = field(default_factory=list)
    start: datetime | None = None
    annotations: list[Annotation] = field(default_factory=list)
    closer: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    def read(self, start: int = 0, stop: int | None = None) -> npt.NDArray[np.float64]:
        stop = self.n_samples if stop is None else min(stop, self.n_samples)
        return self.reader(max(0, start), stop)

    def close(self) -> None:
        if self.closer is not None:
            self.closer()
            self.closer = None

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_recording(
    path: str | Path,
    *,
    fs: float | None = None,
    unit: str | None = None,
    channels: Sequence[str] | None = None,
) -> Recording:
    """Open a CSV, EDF/EDF+ or BDF/BDF+ file by its extension."""
    p = Path(path)
    if not p.exists():
        raise UserInputError.single("file", f"{p} does not exist")
    suffix = p.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        return read_csv(p, fs=fs, unit=unit, channels=channels)
    if suffix in {".edf", ".bdf", ".rec"}:
        return read_edf(p, channels=channels)
    raise UserInputError.single("file", f"unsupported file type {suffix!r}: use CSV, EDF/EDF+ or BDF/BDF+")


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def _unit_from_name(name: str) -> str | None:
    m = re.search(r"(?:^|[\s_\-(\[])(µv|uv|mv|v)(?:$|[\s)\]])", name.strip().lower())
    if not m:
        return None
    return {"µv": "uV", "uv": "uV", "mv": "mV", "v": "V"}[m.group(1)]


def detect_unit(x: npt.NDArray[np.float64]) -> str:
    """Guess µV / mV / V from the signal's excursion (max |x − median|).

    Surface EMG with any activity or hum spans ≥ 20 µV, up to a few mV: an excursion ≥ 20 reads as
    µV, 0.02–20 as mV, below 0.02 as V. Declare the unit when in doubt.
    """
    excursion = float(np.max(np.abs(x - np.median(x)))) if x.size else 0.0
    if excursion >= 20:
        return "uV"
    if excursion >= 0.02:
        return "mV"
    return "V"


def read_csv(
    path: str | Path,
    *,
    fs: float | None = None,
    unit: str | None = None,
    channels: Sequence[str] | None = None,
) -> Recording:
    """CSV with one column per channel and either a time column (s, or ms when named so) or a stated ``fs``.

    Units: from the column name (``emg_mV``, ``EMG (µV)``), else ``unit``, else detected. When some
    columns name a unit and ``channels`` is not given, only those columns are channels (so an
    ``adc_raw`` column beside ``emg_mV`` is left out).
    """
    import pandas as pd  # here, not at the top: an EDF night does not need pandas' 30 MB

    p = Path(path)
    try:
        df = pd.read_csv(p, sep=None, engine="python") if p.suffix.lower() == ".tsv" else pd.read_csv(p)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, csv.Error) as exc:
        raise UserInputError.single("file", f"{p.name} is not a readable CSV file ({exc})") from None
    if df.empty:
        raise UserInputError.single("file", f"{p.name} has no rows")
    if unit is not None and unit not in UNIT_FACTORS:
        raise UserInputError.single("unit", f"unknown unit {unit!r}: use uV, mV or V")
    cols = [str(c) for c in df.columns]
    time_col = next((c for c in cols if c.strip().lower() in TIME_NAMES or c.strip().lower().startswith("time")), None)
    numeric = [c for c in cols if c != time_col and pd.api.types.is_numeric_dtype(df[c])]
    if channels:
        missing = [c for c in channels if c not in cols]
        if missing:
            raise UserInputError.single("channels", f"no column(s) {missing} in {p.name}; columns are {cols}")
        chosen = list(channels)
    else:
        with_unit = [c for c in numeric if _unit_from_name(c)]
        chosen = with_unit or numeric
    if not chosen:
        raise UserInputError.single("file", f"{p.name} has no numeric signal column")
    problems: list[FieldProblem] = []
    for c in chosen:
        col = pd.to_numeric(df[c], errors="coerce")
        bad = np.flatnonzero(~np.isfinite(col.to_numpy(dtype=np.float64)))
        for i in bad[:5]:
            problems.append(FieldProblem(c, "missing or not a number", row=int(i) + 2))  # 1-based + header
        if bad.size > 5:
            problems.append(FieldProblem(c, f"… and {bad.size - 5} more rows missing or not a number"))
    if problems:
        raise UserInputError(problems)

    fs_time: float | None = None
    if time_col is not None:
        t = pd.to_numeric(df[time_col], errors="coerce").to_numpy(dtype=np.float64)
        if not np.isfinite(t).all():
            raise UserInputError.single(time_col, "the time column has empty or non-numeric values")
        if "ms" in time_col.lower():
            t = t / 1000.0
        dt = np.diff(t)
        if dt.size == 0 or np.median(dt) <= 0:
            raise UserInputError.single(time_col, "the time column does not increase")
        med = float(np.median(dt))
        if np.any(np.abs(dt - med) > 0.5 * med):
            first = int(np.argmax(np.abs(dt - med) > 0.5 * med))
            raise UserInputError(
                [
                    FieldProblem(
                        time_col,
                        f"irregular sampling: a step of {dt[first]:.6g} s vs the usual {med:.6g} s",
                        row=first + 3,
                    )
                ]
            )
        fs_time = 1.0 / med
    if fs is not None:
        fs = check_fs(fs)
        if fs_time is not None and abs(fs - fs_time) > 0.01 * fs:
            raise UserInputError.single(
                "fs", f"the stated sample rate {fs:g} Hz disagrees with the time column ({fs_time:.6g} Hz)"
            )
    elif fs_time is not None:
        fs = round(fs_time, 6)
    else:
        raise UserInputError.single("fs", "the sample rate is missing: give a time column or state it (e.g. --fs 1000)")
    fs = check_fs(fs)

    data = np.vstack([df[c].to_numpy(dtype=np.float64) for c in chosen])
    units: list[str] = []
    source = "declared"
    for i, c in enumerate(chosen):
        u = _unit_from_name(c) or unit
        if u is None:
            u = detect_unit(data[i])
            source = "detected"
        units.append(u)
        data[i] *= UNIT_FACTORS[u]
    from unclench.emg.dsp import clip_levels

    clip = [clip_levels(data[i]) for i in range(len(chosen))]
    return Recording(
        source=str(p),
        fs=fs,
        channel_names=chosen,
        n_samples=data.shape[1],
        reader=lambda a, b: data[:, a:b],
        units=units,
        unit_source=source,
        clip_at=clip,
    )


# ---------------------------------------------------------------------------------------------
# EDF / BDF
# ---------------------------------------------------------------------------------------------


MAX_EDF_SIGNALS = 4096  # EDFlib's own limit (EDFLIB_MAXSIGNALS)


def _header_int(head: bytes, start: int, stop: int) -> int | None:
    try:
        return int(head[start:stop].decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        return None


def _check_edf_header(path: Path) -> None:
    """Refuse an EDF/BDF file whose fixed header is malformed or promises more bytes than the file holds."""
    name = path.name
    with path.open("rb") as fh:
        head = fh.read(256)
        if len(head) < 256:
            raise UserInputError.single("file", f"{name} is not an EDF/BDF file (its header cannot be read)")
        header_bytes = _header_int(head, 184, 192)
        n_records = _header_int(head, 236, 244)
        n_signals = _header_int(head, 252, 256)
        if header_bytes is None or n_records is None or n_signals is None:
            raise UserInputError.single("file", f"{name} is not an EDF/BDF file (its header cannot be read)")
        if not 1 <= n_signals <= MAX_EDF_SIGNALS:
            raise UserInputError.single(
                "file", f"{name}: the header declares {n_signals} signals; an EDF/BDF file has 1 to {MAX_EDF_SIGNALS}"
            )
        if header_bytes != 256 * (n_signals + 1):
            raise UserInputError.single(
                "file",
                f"{name}: the header says it is {header_bytes} bytes long, but {n_signals} signals need "
                f"{256 * (n_signals + 1)}",
            )
        if n_records < -1:
            raise UserInputError.single(
                "file", f"{name}: the header declares {n_records} data records; it must be 0 or more (-1 if unknown)"
            )
        fh.seek(256 + n_signals * 216)
        raw = fh.read(n_signals * 8)
    per_signal = [_header_int(raw, i * 8, i * 8 + 8) for i in range(n_signals)]
    if len(raw) < n_signals * 8 or any(n is None or n < 0 for n in per_signal):
        raise UserInputError.single(
            "file", f"{name}: the header's samples-per-record fields must be whole numbers of 0 or more"
        )
    width = 3 if head[0:1] == b"\xff" else 2
    expected = header_bytes + max(n_records, 0) * sum(n for n in per_signal if n is not None) * width
    actual = path.stat().st_size
    if actual < expected:
        raise UserInputError.single(
            "file",
            f"{name} is truncated: the header promises {expected} bytes but the file has {actual} "
            "(an interrupted copy or recording?)",
        )


def read_edf(path: str | Path, *, channels: Sequence[str] | None = None) -> Recording:
    """EDF/EDF+ or BDF/BDF+ via pyedflib; channels must share one sample rate. Values converted to µV."""
    import pyedflib

    p = Path(path)
    _check_edf_header(p)
    try:
        reader = pyedflib.EdfReader(str(p))
    except (OSError, ValueError) as exc:
        raise UserInputError.single("file", f"{p.name} cannot be read as EDF/BDF: {exc}") from None
    try:
        labels = [str(s).strip() for s in reader.getSignalLabels()]
        wanted = list(range(len(labels)))
        if channels:
            missing = [c for c in channels if c not in labels]
            if missing:
                raise UserInputError.single("channels", f"no channel(s) {missing}; the file has {labels}")
            wanted = [labels.index(c) for c in channels]
        if not wanted:
            raise UserInputError.single("file", f"{p.name} has no signals")
        rates = {float(reader.getSampleFrequency(i)) for i in wanted}
        if len(rates) != 1:
            raise UserInputError.single(
                "channels",
                f"the chosen channels have different sample rates {sorted(rates)}: choose channels of one rate",
            )
        fs = check_fs(rates.pop())
        factors = []
        units = []
        clip: list[tuple[float | None, float | None]] = []
        for i in wanted:
            dim = str(reader.getPhysicalDimension(i)).strip()
            u = {"uv": "uV", "µv": "uV", "mv": "mV", "v": "V"}.get(dim.lower())
            if u is None:
                raise UserInputError.single(
                    f"channel {labels[i]}", f"physical dimension {dim!r} is not a voltage (uV, mV or V)"
                )
            f = UNIT_FACTORS[u]
            factors.append(f)
            units.append(u)
            clip.append((float(reader.getPhysicalMinimum(i)) * f, float(reader.getPhysicalMaximum(i)) * f))
        n = min(int(reader.getNSamples()[i]) for i in wanted)
        annotations = []
        onsets, durations, texts = reader.readAnnotations()
        for o, d, t in zip(onsets, durations, texts, strict=False):
            annotations.append(Annotation(float(o), float(d) if d and d > 0 else 0.0, str(t)))
        start = reader.getStartdatetime()
    except BaseException:
        reader.close()
        raise

    def read_pyedflib(a: int, b: int) -> npt.NDArray[np.float64]:
        out = np.empty((len(wanted), max(0, b - a)), dtype=np.float64)
        for row, (i, f) in enumerate(zip(wanted, factors, strict=True)):
            out[row] = reader.readSignal(i, start=a, n=b - a) * f
        return out

    read: Callable[[int, int], npt.NDArray[np.float64]] = read_pyedflib
    closer: Callable[[], None] = reader.close
    direct = _direct_edf_reader(p, reader, wanted, factors, n)
    if direct is not None:
        read, close_file = direct

        def closer() -> None:
            close_file()
            reader.close()

    return Recording(
        source=str(p),
        fs=fs,
        channel_names=[labels[i] for i in wanted],
        n_samples=n,
        reader=read,
        units=units,
        unit_source="declared",
        clip_at=clip,
        start=start,
        annotations=annotations,
        closer=closer,
    )


def _direct_edf_reader(
    path: Path, reader: Any, wanted: list[int], factors: list[float], n_samples: int
) -> tuple[Callable[[int, int], npt.NDArray[np.float64]], Callable[[], None]] | None:
    """A reader (and its closer) that takes the wanted channels' samples straight from the data records, all channels in one read.

    pyedflib reads one channel at a time, record by record; a night of four channels is read four times
    over. Here a range of records is read once, each channel's samples sliced out and scaled with
    edflib's own formula, so the values are pyedflib's (checked on the first records; None, and the
    pyedflib path is used, when they differ or the layout is not the plain one).
    """
    with path.open("rb") as fh:
        head = fh.read(256)
        n_signals = _header_int(head, 252, 256) or 0
        header_bytes = _header_int(head, 184, 192) or 0
        fh.seek(256 + n_signals * 216)
        raw = fh.read(n_signals * 8)
    per_record = [_header_int(raw, i * 8, i * 8 + 8) or 0 for i in range(n_signals)]
    width = 3 if head[0:1] == b"\xff" else 2
    spr = {per_record[i] for i in wanted}
    if len(spr) != 1 or 0 in spr:
        return None
    record_samples = spr.pop()
    record_bytes = sum(per_record) * width
    starts = np.cumsum([0, *per_record]) * width  # byte offset of each signal inside a record
    scales = []
    for i, f in zip(wanted, factors, strict=True):
        pmin, pmax = float(reader.getPhysicalMinimum(i)), float(reader.getPhysicalMaximum(i))
        dmin, dmax = float(reader.getDigitalMinimum(i)), float(reader.getDigitalMaximum(i))
        if dmax == dmin or pmax == pmin:
            return None  # a degenerate scale: left to pyedflib
        bitvalue = (pmax - pmin) / (dmax - dmin)  # edflib: physical = bitvalue · (offset + digital)
        scales.append((bitvalue, pmax / bitvalue - dmax, f))
    handle = path.open("rb")

    def read(a: int, b: int) -> npt.NDArray[np.float64]:
        out = np.empty((len(wanted), max(0, b - a)), dtype=np.float64)
        if b <= a:
            return out
        r0, r1 = a // record_samples, -(-b // record_samples)
        handle.seek(header_bytes + r0 * record_bytes)
        block = np.frombuffer(handle.read((r1 - r0) * record_bytes), dtype=np.uint8).reshape(r1 - r0, record_bytes)
        skip = a - r0 * record_samples
        for row, (i, (bitvalue, offset, f)) in enumerate(zip(wanted, scales, strict=True)):
            cells = block[:, starts[i] : starts[i] + record_samples * width]
            if width == 2:
                digital = np.ascontiguousarray(cells).view("<i2").reshape(-1)[skip : skip + b - a]
                np.add(digital, offset, out=out[row])
            else:
                b3 = cells.reshape(-1, 3)[skip : skip + b - a].astype(np.int32)
                value = b3[:, 0] | (b3[:, 1] << 8) | (b3[:, 2] << 16)
                np.add((value ^ 0x800000) - 0x800000, offset, out=out[row])
            out[row] *= bitvalue
            if f != 1.0:
                out[row] *= f
        return out

    try:
        probe = min(n_samples, 3 * record_samples)
        same = n_samples == 0 or all(
            np.array_equal(read(0, probe)[row], reader.readSignal(i, start=0, n=probe) * f)
            for row, (i, f) in enumerate(zip(wanted, factors, strict=True))
        )
    except (OSError, ValueError):
        same = False
    if not same:
        handle.close()
        return None
    return read, handle.close


def write_edf(
    path: str | Path,
    data: npt.ArrayLike | Callable[[int, int], npt.NDArray[np.float64]],
    fs: float,
    channel_names: Sequence[str],
    *,
    n_samples: int | None = None,
    annotations: Sequence[Annotation] = (),
    bdf: bool = False,
    start: datetime | None = None,
    physical_range_uv: float | None = None,
    equipment: str = "unclench",
) -> Path:
    """Write µV data as EDF+ (16 bit) or BDF+ (24 bit) with annotations; atomic (temp file + rename).

    ``data`` is an array (channels, samples) or a reader ``(start, stop) → array`` for long recordings
    (then give ``n_samples`` and ``physical_range_uv``). Data records last 1 s; the sample rate must be
    a whole number of Hz.
    """
    import pyedflib

    fs = check_fs(fs)
    if abs(fs - round(fs)) > 1e-9:
        raise UserInputError.single("fs", f"EDF needs a whole-number sample rate, got {fs:g} Hz")
    ifs = round(fs)
    if callable(data):
        reader = data
        if n_samples is None or physical_range_uv is None:
            raise UserInputError.single("data", "a streamed write needs n_samples and physical_range_uv")
        total = n_samples
    else:
        arr = np.atleast_2d(np.asarray(data, dtype=np.float64))
        if not np.isfinite(arr).all():
            raise UserInputError.single("data", "the data contain NaN or infinite values")
        total = arr.shape[1]

        def reader(a: int, b: int) -> npt.NDArray[np.float64]:
            return arr[:, a:b]

        if physical_range_uv is None:
            physical_range_uv = float(max(np.max(np.abs(arr)) * 1.05, 1.0))
    # EDF header fields hold 8 characters: a whole number of µV keeps the range exact
    physical_range_uv = float(math.ceil(physical_range_uv))
    n_ch = len(channel_names)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    dig = 8_388_607 if bdf else 32_767
    headers: list[dict[str, Any]] = [
        {
            "label": name[:16],
            "dimension": "uV",
            "sample_frequency": ifs,
            "physical_max": physical_range_uv,
            "physical_min": -physical_range_uv,
            "digital_max": dig,
            "digital_min": -dig - 1,
            "transducer": "surface EMG",
            "prefilter": "",
        }
        for name in channel_names
    ]
    fd, tmp_name = tempfile.mkstemp(suffix=target.suffix or (".bdf" if bdf else ".edf"), dir=target.parent)
    os.close(fd)
    writer = pyedflib.EdfWriter(
        tmp_name, n_ch, file_type=pyedflib.FILETYPE_BDFPLUS if bdf else pyedflib.FILETYPE_EDFPLUS
    )
    try:
        writer.setSignalHeaders(headers)
        writer.setEquipment(equipment)
        if start is not None:
            writer.setStartdatetime(start.replace(tzinfo=None))
        chunk = ifs * 60
        n_full = (total // ifs) * ifs
        if n_full < total:
            # EDF stores whole 1-s data records: pad the last one with zeros and say so
            annotations = [*annotations, Annotation(total / fs, 0.0, "recording ends (last record zero-padded)")]
        for a in range(0, total, chunk):
            b = min(total, a + chunk)
            block = np.asarray(reader(a, b), dtype=np.float64)
            if b - a < chunk and (b - a) % ifs:
                pad = ifs - (b - a) % ifs
                block = np.concatenate([block, np.zeros((n_ch, pad))], axis=1)
            block = np.clip(block, -physical_range_uv, physical_range_uv)
            for rec in range(0, block.shape[1], ifs):
                writer.writeSamples([np.ascontiguousarray(block[c, rec : rec + ifs]) for c in range(n_ch)])
        for ann in annotations:
            writer.writeAnnotation(ann.onset_s, ann.duration_s if ann.duration_s > 0 else -1, ann.text)
        writer.close()
    except BaseException:
        writer.close()
        Path(tmp_name).unlink(missing_ok=True)
        raise
    os.replace(tmp_name, target)
    return target
