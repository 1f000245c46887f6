"""Adaptive session latency: sample in → control value (level) out, and last sample → state available.

Run: .venv/bin/python bench/bench_adaptive_latency.py [--playback-s 15] [--output-latency-ms 40]

Three parts, each printed with its p50/p99:

1. **Feed at the real chunk size** (the web loop polls every 20 ms; at 1 kHz a poll carries ~20 samples): each
   sample waits for its poll (its position in the chunk) plus the measured processing of that chunk (live monitor
   + tone layer). The same feed without the tone layer is timed in the same run, so the cost on the existing live
   path is a ratio against it.
2. **Playback board in real time** (BrainFlow's playback-file board, as the WebSocket and the Chromium test use
   it): the k-th sample is due at t0 + k/fs; latency = the wall time its tone frame exists − that moment. This
   includes BrainFlow's own buffering and the event-loop-like 20 ms sleep.
3. **Response of the level to a step** (rest → 2.5× rest): how long the smoothed level takes to cover half of its
   change (the trailing 100 ms RMS window and the 40 ms attack) — the part of "audible change" that is the signal
   processing's by design, not waiting.

The total printed against the target (p99 ≤ 100 ms, issue 17) is: playback p99 + WebSocket
(< 1 ms, measured in the live page's browser test) + the browser's ``AudioContext.outputLatency``, for which an
allowance is stated here (default 40 ms, typical of Chromium on Linux/PulseAudio); the adaptive player's
Chromium test reads the real value and adds it to this bench's figure. The step half-rise is printed on top of
that, apart: it is how fast the level moves, not how long a sample waits. Decision latency (last sample → state
available) has the target ≤ 250 ms. The switch of state itself waits, by design, for the 1 s tone window and the
1.5 s dwell: printed apart, in seconds, from the tense→released ground-truth signal.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' signal generator

from tests.emg.adaptive_signals import FS, emg_like, steps, tense_then_released_uv
from unclench.emg.adaptive import AdaptiveSettings, ToneTracker, replay
from unclench.emg.monitor import Monitor

CHUNK = 20  # samples per 20 ms poll at 1 kHz


def pct(values: list[float] | np.ndarray, q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def feed_latency(x: np.ndarray, *, adaptive: bool) -> tuple[list[float], list[float]]:
    """Per-chunk processing times (s) and per-sample latencies (s) at the real chunk size."""
    monitor = Monitor(FS, ["emg1"], calibration_s=10.0, keep_raw=False)
    tracker = ToneTracker(FS, AdaptiveSettings(baseline_s=20.0))
    proc, lat = [], []
    for i in range(0, x.size - CHUNK + 1, CHUNK):
        chunk = x[np.newaxis, i : i + CHUNK]
        t0 = time.perf_counter()
        frame = monitor.feed(chunk)
        if adaptive:
            tracker.feed(monitor, chunk, frame).to_json()
        dt = time.perf_counter() - t0
        if i >= 12 * FS:  # after calibration and filter start-up
            proc.append(dt)
            # the chunk's samples arrived over the poll period: the first waited a whole poll, the last none
            lat.extend((CHUNK - 1 - np.arange(CHUNK)) / FS + dt)
    return proc, lat


def playback_latency(seconds: float) -> tuple[list[float], list[float], float, list[float]]:
    """Real-time run on BrainFlow's playback board: per-sample latency (s), last-sample latency per poll (s), the
    board's clock rate against real time, and the intervals between tone frames (s)."""
    from unclench.emg.boards import BoardRequest, open_source, write_playback_file

    x = tense_then_released_uv(rest_s=seconds / 3, tense_s=seconds / 3, released_s=seconds / 3)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_playback_file(Path(tmp) / "pb.csv", x)
        source = open_source(BoardRequest(name="playback", file=str(path), master_board="callibri_emg"))
        monitor = Monitor(source.fs, source.channel_names, calibration_s=3.0, keep_raw=False)
        tracker = ToneTracker(source.fs, AdaptiveSettings(baseline_s=seconds / 3))
        got = 0
        polls: list[tuple[float, int, int]] = []  # (wall time its tone frame existed, samples before it, chunk size)
        source.start()
        try:
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                time.sleep(0.02)  # the WebSocket loop's await asyncio.sleep(0.02)
                chunk = source.poll()
                n = chunk.shape[1]
                if n == 0:
                    continue
                tracker.feed(monitor, chunk, monitor.feed(chunk)).to_json()
                polls.append((time.perf_counter(), got, n))
                got += n
        finally:
            source.stop()
    # When did sample k arrive? The board's clock runs at its own rate (fitted from the first and last polls), and
    # no sample can arrive after the poll that returned it: the latest start consistent with every poll is the
    # one taken (a lower bound: latencies are never overstated by a guess at BrainFlow's buffering).
    kept = [p for p in polls if p[1] > 5 * FS]
    rate = (kept[-1][1] + kept[-1][2] - kept[0][1] - kept[0][2]) / (kept[-1][0] - kept[0][0])
    t0 = min(out - (before + n - 1) / rate for out, before, n in kept)
    per_sample: list[float] = []
    last_sample: list[float] = []
    for out, before, n in kept:
        due = t0 + (before + np.arange(n)) / rate
        per_sample.extend(out - due)
        last_sample.append(out - due[-1])
    frame_at = [p[0] for p in polls]
    gaps = list(np.diff(frame_at))
    return per_sample, last_sample, rate / FS, gaps


def level_step_response() -> tuple[float, float]:
    """Seconds from a rest → 2.5× step until the level covers half and 90 % of its change."""
    x = emg_like(steps([(25.0, 5.0), (5.0, 12.5)]), seed=11)
    _, frames = replay(x, FS, calibration_s=10.0, chunk_s=0.001 * CHUNK, settings=AdaptiveSettings(baseline_s=20.0))
    before = float(np.median([f.level for f in frames if 23.0 < f.t < 25.0]))
    after = float(np.median([f.level for f in frames if 27.0 < f.t < 30.0]))
    half = next(f.t for f in frames if f.t > 25.0 and f.level >= before + 0.5 * (after - before)) - 25.0
    most = next(f.t for f in frames if f.t > 25.0 and f.level >= before + 0.9 * (after - before)) - 25.0
    return half, most


def state_switch_delay() -> tuple[float, float]:
    """Seconds from the ground-truth change to the state's change: rest → tense and tense → released."""
    x = tense_then_released_uv(rest_s=20.0, tense_s=20.0, released_s=20.0)
    _, frames = replay(x, FS, calibration_s=5.0, chunk_s=0.02, settings=AdaptiveSettings(baseline_s=15.0))
    tense = next(f.t for f in frames if f.t > 20.0 and f.state == "tense") - 20.0
    released = next(f.t for f in frames if f.t > 40.0 and f.state == "released") - 40.0
    return tense, released


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--playback-s", type=float, default=15.0)
    ap.add_argument("--output-latency-ms", type=float, default=40.0)
    args = ap.parse_args()

    load = os.getloadavg()[0]
    print(f"== adaptive tone layer: latency (1 kHz, one channel, 20-sample polls); load average {load:.1f} ==")
    x = emg_like(steps([(20.0, 5.0), (20.0, 12.5), (20.0, 5.0)]), seed=21)
    best: dict[bool, tuple[list[float], list[float]]] = {}
    for adaptive in (False, True, False, True):  # interleaved, best of two: the machine is shared
        proc, lat = feed_latency(x, adaptive=adaptive)
        if adaptive not in best or np.median(proc) < np.median(best[adaptive][0]):
            best[adaptive] = (proc, lat)
    plain, tone = best[False][0], best[True][0]
    print(
        f"  processing per 20 ms chunk: live monitor alone p50 {pct(plain, 50) * 1000:.3f} ms, "
        f"p99 {pct(plain, 99) * 1000:.3f} ms; with the tone layer p50 {pct(tone, 50) * 1000:.3f} ms, "
        f"p99 {pct(tone, 99) * 1000:.3f} ms (ratio of medians {np.median(tone) / np.median(plain):.2f}x; the plain "
        "live page does not run the tone layer)"
    )
    lat = best[True][1]
    print(
        f"  sample in → level out, synthetic feed at the real chunk size: p50 {pct(lat, 50) * 1000:.1f} ms, "
        f"p99 {pct(lat, 99) * 1000:.1f} ms (waiting for the poll + processing)"
    )
    per_sample, last, got, gaps = playback_latency(args.playback_s)
    print(
        f"  sample in → level out, BrainFlow playback board in real time ({args.playback_s:g} s, the board's clock "
        f"at {got:.4f}× real time): p50 {pct(per_sample, 50) * 1000:.1f} ms, p99 {pct(per_sample, 99) * 1000:.1f} ms"
    )
    print(
        f"  tone frame interval (playback): p50 {pct(gaps, 50) * 1000:.1f} ms, p99 {pct(gaps, 99) * 1000:.1f} ms, "
        f"max {max(gaps) * 1000:.1f} ms (contract: at least every 50 ms; the web loop also repeats the last frame "
        "after 40 ms without samples)"
    )
    print(
        f"  decision latency, last sample of a poll → state available: p50 {pct(last, 50) * 1000:.1f} ms, "
        f"p99 {pct(last, 99) * 1000:.1f} ms (target ≤ 250 ms: {'met' if pct(last, 99) <= 0.25 else 'NOT met'})"
    )
    half, most = level_step_response()
    print(
        f"  level step response (rest → 2.5× rest): half of the change after {half * 1000:.0f} ms, 90 % after "
        f"{most * 1000:.0f} ms (100 ms trailing RMS window + 40 ms attack)"
    )
    allowance = args.output_latency_ms / 1000
    total = pct(per_sample, 99) + 0.001 + allowance
    print(
        f"  sample in → audible, p99: {pct(per_sample, 99) * 1000:.1f} (playback p99) + 1 (WebSocket) + "
        f"{args.output_latency_ms:g} (allowance for AudioContext.outputLatency; the Chromium test reads the real "
        f"one) = {total * 1000:.0f} ms; target p99 ≤ 100 ms: {'met' if total <= 0.1 else 'NOT met'}"
    )
    print(
        f"  with the level's own response to a step (half-rise {half * 1000:.0f} ms) on top: "
        f"{(total + half) * 1000:.0f} ms until the background is half-way to the new level"
    )
    tense, released = state_switch_delay()
    print(
        f"  state switch by design (1 s tone window + 1.5 s dwell): rest → tense {tense:.2f} s, tense → released "
        f"{released:.2f} s after the ground-truth change"
    )


if __name__ == "__main__":
    main()
