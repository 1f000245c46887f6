"""Chunked (streamed) offline analysis: a whole night without loading it whole.

Each chunk is read with ``margin_s`` of signal on both sides, filtered zero-phase, and only its core
is kept: the filters' influence decays long before the margin ends (slowest pole: the 50 Hz notch,
time constant Q/(π·f0) ≈ 0.19 s; 5 s is 26 time constants), so the envelope and block features equal
the whole-file ones to ~1e-9 relative (the rest is cumulative-sum rounding). Whole-recording statistics (baseline, motion yardstick,
thresholds, bursts) are then taken from the small per-chunk results (100 envelope points and 10
block features per second), exactly as ``dsp.analyze`` does. Tested: streamed == whole-file.

A night is 2.9 million envelope points per channel: the envelopes are kept in float32 (seven significant
digits of a µV-level value; the bursts are the whole-file ones), written in place chunk by chunk, and the
channels of a chunk are filtered on parallel threads (SciPy's filter loop and NumPy run without the GIL).
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import numpy as np
import numpy.typing as npt

from unclench.core.errors import UserInputError
from unclench.emg import dsp
from unclench.emg.dsp import AnalysisSettings, BlockFeatures, ChannelAnalysis, FloatArray

ChunkReader = Callable[[int, int], npt.NDArray[np.float64]]  # (start, stop) → (channels, stop − start) µV


def analyze_stream(
    read: ChunkReader,
    n_samples: int,
    fs: float,
    *,
    channel_names: Sequence[str],
    clip_at: Sequence[tuple[float | None, float | None]],
    settings: AnalysisSettings | None = None,
    chunk_s: float = 300.0,
    margin_s: float = 5.0,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> list[ChannelAnalysis]:
    """Analyse every channel of a recording chunk by chunk; returns one ChannelAnalysis per channel
    (without ``fine_env``, the short envelope the bursts were timed on: memory).

    ``workers`` threads filter the channels of a chunk side by side (default: one per core, at most one
    per channel).
    """
    fs = dsp.check_fs(fs)
    s = settings or AnalysisSettings()
    q = s.quality
    n_ch = len(channel_names)
    if n_samples < fs:
        raise UserInputError.single(
            "signal", f"the recording is only {n_samples / fs:.2f} s long; at least 1 s is needed"
        )
    hop = dsp.hop_samples(fs, s.hop_s)
    block = max(1, round(q.block_s * fs))
    unit = math.lcm(hop, block)
    chunk = max(unit, (round(chunk_s * fs) // unit) * unit)
    margin = max(unit, math.ceil(margin_s * fs / unit) * unit)

    head = read(0, min(n_samples, round(dsp.MAINS_PROBE_S * fs)))
    _check_finite(head, 0, channel_names)
    specs = [
        dsp.plan_clean(head[c], fs, low_hz=s.low_hz, high_hz=s.high_hz, mains=s.mains, notch_mode=s.notch_mode)
        for c in range(n_ch)
    ]
    n_pts = -(-n_samples // hop)
    envs = [np.empty(n_pts, dtype=np.float32) for _ in range(n_ch)]
    fines = [np.empty(n_pts, dtype=np.float32) for _ in range(n_ch)]
    feats: list[list[BlockFeatures]] = [[] for _ in range(n_ch)]
    n_workers = max(1, min(n_ch, workers if workers is not None else (os.cpu_count() or 1)))
    pool = ThreadPoolExecutor(n_workers) if n_workers > 1 else None

    def one_channel(data: npt.NDArray[np.float64], ext0: int, start: int, stop: int, c: int) -> BlockFeatures:
        k0 = (start - ext0) // hop
        k1 = k0 + -(-(stop - start) // hop)
        b0 = (start - ext0) // block
        raw = np.asarray(data[c], dtype=np.float64)
        y = dsp.apply_clean(raw, specs[c])
        env, fine = dsp.envelopes(y, fs, (s.window_s, s.bursts.fine_window_s), hop_s=s.hop_s, start=ext0)
        envs[c][start // hop : start // hop + k1 - k0] = env[k0:k1]
        fines[c][start // hop : start // hop + k1 - k0] = fine[k0:k1]
        f = dsp.block_features(raw, y, fs, block, clip_at[c]).sliced(b0, b0 + (stop - start) // block)
        # kept in float32 until the night is read (10 blocks a second, 3 numbers each): the flags are
        # decided on thresholds these values are nowhere near to seven digits
        return BlockFeatures(
            f.spread.astype(np.float32), f.clip_hit, f.low_rms.astype(np.float32), f.ratio.astype(np.float32)
        )

    try:
        for start in range(0, n_samples, chunk):
            stop = min(n_samples, start + chunk)
            ext0, ext1 = max(0, start - margin), min(n_samples, stop + margin)
            data = read(ext0, ext1)
            _check_finite(data, ext0, channel_names)
            task = functools.partial(one_channel, data, ext0, start, stop)
            parts = list(pool.map(task, range(n_ch))) if pool is not None else [task(c) for c in range(n_ch)]
            for c, part in enumerate(parts):
                feats[c].append(part)
            del data, task
            if progress is not None:
                progress(stop, n_samples)
    finally:
        if pool is not None:
            pool.shutdown()

    # The chunks' freed arrays go back to the system, then every channel's quality flags are made first, so the
    # per-chunk block features (a night: ~15 MB) are gone too before the first channel's baseline and bursts take
    # their working memory: that moment is the analysis's peak.
    release_free_memory()
    channel_flags = []
    for c in range(n_ch):
        f32 = BlockFeatures.concat(feats[c])
        feats[c] = []
        flags = dsp.flags_from_features(
            BlockFeatures(
                f32.spread.astype(np.float64),
                f32.clip_hit,
                f32.low_rms.astype(np.float64),
                f32.ratio.astype(np.float64),
            ),
            q,
        )
        del f32
        if flags.flat.size and flags.flat.all():
            raise UserInputError.single(
                f"channel {channel_names[c]}", "the channel is a flat line (electrode off or disconnected)"
            )
        channel_flags.append(flags)
    release_free_memory()

    results = []
    for c, flags in enumerate(channel_flags):
        try:
            results.append(
                dsp.analyze_envelope(
                    cast(FloatArray, envs[c]),  # float32 (see the module's note): every step takes either
                    fs / hop,
                    fs=fs,
                    n_samples=n_samples,
                    spec=specs[c],
                    flags=flags,
                    settings=s,
                    fine_env=cast(FloatArray, fines[c]),
                )
            )
        except UserInputError as exc:
            for p in exc.problems:
                p.field = f"channel {channel_names[c]}: {p.field}"
            raise
        # the short timing envelope has done its work: a night's result keeps the envelope only
        results[-1].fine_env = None
        fines[c] = np.empty(0, dtype=np.float32)
    return results


def release_free_memory() -> None:
    """Hand the memory the chunks freed back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    The chunks' arrays are freed into each filter thread's malloc arena, which keeps them; the baseline and bursts
    that follow allocate afresh on the main thread, so without this a night's peak was ~16 MB higher (262 → 246 MB
    for 8 h × 4 channels). One call takes about a millisecond.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` from the running process's own symbols; None on other C libraries and systems."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # musl has no malloc_trim: nothing to call there
        return None
    return trim


def _check_finite(data: npt.NDArray[np.float64], offset: int, names: Sequence[str]) -> None:
    bad = ~np.isfinite(data)
    if bad.any():
        c, i = np.argwhere(bad)[0]
        raise UserInputError.single(
            f"channel {names[int(c)]}",
            f"{int(bad.sum())} sample(s) are NaN or infinite (first at sample {offset + int(i)}); remove or fill them",
        )
