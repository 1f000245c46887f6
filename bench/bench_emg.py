"""EMG benchmark: offline throughput and onset F1 vs NeuroKit2, overnight streamed EDF, live pipeline.

Run: .venv/bin/python bench/bench_emg.py [--quick] [--skip-overnight] [--night-file PATH]
Prints one line per figure. NeuroKit2 is timed in the same run on the same signals.
The overnight file takes minutes to simulate: ``--night-file`` keeps it at PATH (made when missing, with
the same content) so a second run measures the analysis only. The analysis runs in a fresh process that
imports only the reader and the streamed analysis, so its peak memory is the analysis's own; it prints
wall time, CPU seconds (all threads) and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FS = 1000.0


def _times(fn: object, repeats: int) -> tuple[float, float]:
    """(best, median) wall time of ``repeats`` runs: the best is the least disturbed by other load."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return float(np.min(times)), float(np.median(times))


def neurokit_onsets(x_mv: np.ndarray, fs: float) -> tuple[np.ndarray, float]:
    import neurokit2 as nk

    t0 = time.perf_counter()
    signals, _ = nk.emg_process(x_mv, sampling_rate=int(fs))
    elapsed = time.perf_counter() - t0
    onsets = np.flatnonzero(signals["EMG_Onsets"].to_numpy() == 1) / fs
    return onsets, elapsed


def bench_offline(duration_s: float, repeats: int) -> None:
    from scoring import onset_f1

    from unclench.emg import dsp
    from unclench.emg.simulate import neurokit_truth, simulate_emg

    print(f"== offline analysis, {duration_s / 60:.0f} min at {FS:g} Hz ==")
    own = simulate_emg(duration_s, FS, seed=101)
    n_bursts = max(2, int(duration_s / 10))
    nk_signal, nk_truth = neurokit_truth(duration_s, FS, burst_number=n_bursts, burst_duration=1.0, seed=102)
    kinds = {
        "own generator (bursts of varied strength, hum, wander, motion)": (own.signal, own.onsets),
        "NeuroKit2 emg_simulate": (nk_signal, nk_truth),
    }
    for name, (x, truth) in kinds.items():
        ours, ours_med = _times(lambda x=x: dsp.analyze(x, FS), repeats)
        result = dsp.analyze(x, FS)
        f1, prec, rec = onset_f1([b.onset_s for b in result.bursts], truth)
        nk_on, nk_time = neurokit_onsets(x / 1000.0, FS)
        nk_f1, nk_p, nk_r = onset_f1(nk_on, truth)
        print(f"[{name}] true bursts {len(truth)}")
        print(
            f"  unclench: best {ours * 1000:.1f} ms, median {ours_med * 1000:.1f} ms ({x.size / ours / 1e6:.1f} M samples/s), "
            f"onset F1 ±50 ms {f1:.3f} (P {prec:.3f} R {rec:.3f}), bursts {len(result.bursts)}"
        )
        print(
            f"  NeuroKit2 emg_process: {nk_time:.2f} s ({x.size / nk_time:,.0f} samples/s), "
            f"onset F1 ±50 ms {nk_f1:.3f} (P {nk_p:.3f} R {nk_r:.3f}), onsets {len(nk_on)}"
        )
        print(
            f"  throughput ratio unclench/NeuroKit2 (NeuroKit2 timed once): {nk_time / ours:,.0f}x with our best run, "
            f"{nk_time / ours_med:,.0f}x with our median run"
        )

    print("-- notch choice, onset F1 on the own generator (3 seeds × 10 min) --")
    sims = [simulate_emg(duration_s, FS, seed=s) for s in (201, 202, 203)]
    for mode in ("causal", "zero_phase", "off"):
        scores = [
            onset_f1(
                [b.onset_s for b in dsp.analyze(s.signal, FS, dsp.AnalysisSettings(notch_mode=mode)).bursts], s.onsets
            )[0]
            for s in sims
        ]
        print(f"  notch {mode:10s}: F1 {np.mean(scores):.3f} (min {min(scores):.3f})")
    sims250 = [simulate_emg(duration_s, 250.0, seed=s) for s in (201, 202, 203)]
    f250 = [onset_f1([b.onset_s for b in dsp.analyze(s.signal, 250.0).bursts], s.onsets)[0] for s in sims250]
    print(f"  same generator sampled at 250 Hz: F1 {np.mean(f250):.3f} (min {min(f250):.3f})")


def bench_live(duration_s: float) -> None:
    from scoring import onset_f1

    from unclench.emg import dsp
    from unclench.emg.live import run_live_on_array
    from unclench.emg.simulate import simulate_emg

    print(f"== live pipeline, {duration_s / 60:.0f} min, 1 channel ==")
    sim = simulate_emg(duration_s, FS, seed=301, first_burst_after_s=10.0)
    offline = dsp.analyze(sim.signal, FS, dsp.AnalysisSettings(calibration_s=(0.5, 10.0)))
    for chunk_s in (0.02, 0.05):
        elapsed = float("inf")
        for _ in range(3):  # best of three: the machine is shared
            t0 = time.perf_counter()
            live, events = run_live_on_array(sim.signal, FS, calibration_s=10.0, chunk_s=chunk_s)
            elapsed = min(elapsed, time.perf_counter() - t0)
        confirmed = np.array([e.at_sample / FS for e in events if e.kind == "burst_confirmed"])
        lat = []
        for onset in sim.onsets:
            after = confirmed[(confirmed > onset - 0.05) & (confirmed < onset + 0.5)]
            if after.size:
                lat.append(after.min() - onset)
        f1 = onset_f1([b.onset_s for b in live.bursts], sim.onsets)[0]
        off_on = np.array([b.onset_s for b in offline.bursts])
        diffs = [float(np.min(np.abs(off_on - b.onset_s))) for b in live.bursts]
        print(
            f"  chunks of {chunk_s * 1000:.0f} ms: {duration_s / elapsed:,.0f}x real time per channel; "
            f"onset→confirmation median {np.median(lat) * 1000:.0f} ms (p90 {np.percentile(lat, 90) * 1000:.0f} ms, "
            f"{len(lat)}/{len(sim.onsets)} confirmed); live F1 {f1:.3f}; bursts live {len(live.bursts)} vs "
            f"offline {len(offline.bursts)}, live onset to nearest offline: max {max(diffs) * 1000:.1f} ms"
        )
    print("  latency parts: trailing 100 ms RMS window (an edge is half-seen after ~50 ms, crossing sooner for")
    print("  strong bursts), debounce 40 ms above threshold, hop 10 ms, polling = chunk period, filters below")
    # causal band-pass delay: lag of the cross-correlation maximum between causal and zero-phase output
    spec = dsp.plan_clean(sim.signal, FS, mains=None)
    from scipy import signal as sps

    causal = sps.sosfilt(spec.bandpass, sim.signal)
    zero = sps.sosfiltfilt(spec.bandpass, sim.signal)
    seg = slice(20_000, 80_000)
    xc = sps.correlate(causal[seg], zero[seg], mode="full", method="fft")
    lag = (np.argmax(xc) - (len(causal[seg]) - 1)) / FS
    print(f"  causal 20–450 Hz band-pass group delay on EMG (xcorr peak): {lag * 1000:.1f} ms")


def bench_gauge_delay() -> None:
    """How far the gauge lags a step in muscle activity (rest 3 µV → 60 µV), device transport excluded."""
    from unclench.emg.live import LiveChannel

    rng = np.random.default_rng(5)
    n_rest, n_on = int(10 * FS), int(2 * FS)
    amp = np.r_[np.full(n_rest, 3.0), np.full(n_on, 60.0)]
    x = amp * rng.standard_normal(amp.size)
    live = LiveChannel.calibrate(x[: int(5 * FS)], FS, mains=None)
    step = max(1, int(0.02 * FS))
    reached = None
    for i in range(int(5 * FS), x.size, step):
        upd = live.push(x[i : i + step])
        if reached is None and upd.env_uv.size and upd.env_uv.max() >= 0.5 * 60.0:
            k = int(np.argmax(upd.env_uv >= 0.5 * 60.0))
            point_sample = (
                (live.samples_seen - (upd.env_uv.size - 1 - k) * live.h) if upd.env_uv.size else live.samples_seen
            )
            reached = (point_sample / FS - n_rest / FS, (i + step) / FS - n_rest / FS)
    assert reached is not None
    print(
        f"  gauge step response (3 → 60 µV): envelope reaches half the new level {reached[0] * 1000:.0f} ms after the step; "
        f"the 20-ms poll that carries it ends {reached[1] * 1000:.0f} ms after the step (processing, WebSocket and "
        f"drawing add < 1 ms each, measured in the browser test)"
    )


def _make_night(path: Path, hours: float, channels: int) -> None:
    from unclench.emg.readers import write_edf
    from unclench.emg.simulate import simulate_emg

    n = int(hours * 3600 * FS)
    seg = int(60 * FS)

    def reader(a: int, b: int) -> np.ndarray:
        out = np.empty((channels, b - a))
        for start in range(a, b, seg):
            stop = min(b, start + seg)
            for c in range(channels):
                sim = simulate_emg((stop - start) / FS, FS, seed=(start // seg) * 16 + c, burst_rate_per_min=2.0)
                out[c, start - a : stop - a] = sim.signal
        return out

    write_edf(path, reader, FS, [f"emg{c + 1}" for c in range(channels)], n_samples=n, physical_range_uv=3000.0)


def _peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, which starts afresh at exec (ru_maxrss keeps the forking parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def overnight_child(path: str) -> None:
    from unclench.emg.readers import read_edf
    from unclench.emg.stream import analyze_stream

    imports_mb = _peak_rss_mb()
    t0, cpu0 = time.perf_counter(), time.process_time()
    with read_edf(path) as rec:
        results = analyze_stream(
            rec.read, rec.n_samples, rec.fs, channel_names=rec.channel_names, clip_at=rec.clip_at, chunk_s=300
        )
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    peak_mb = _peak_rss_mb()
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_s": cpu,
                "imports_rss_mb": imports_mb,
                "peak_rss_mb": peak_mb,
                "bursts": [len(r.bursts) for r in results],
                "tone": [round(r.resting_tone_uv, 3) for r in results],
            }
        )
    )


def bench_overnight(hours: float, channels: int, night_file: str | None = None) -> None:
    print(f"== overnight: {hours:g} h × {channels} ch × {FS:g} Hz EDF, streamed in 5-min chunks ==")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(night_file) if night_file else Path(tmp) / "night.edf"
        if not path.exists():
            t0 = time.perf_counter()
            _make_night(path, hours, channels)
            print(f"  (made the file: {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.0f} s)")
        else:
            print(f"  (the file from {path}: {path.stat().st_size / 1e6:.0f} MB)")
        env = dict(os.environ, OMP_NUM_THREADS="1")
        for run in (1, 2):  # twice: the machine is shared, the better run is the less disturbed
            out = subprocess.run(
                [sys.executable, __file__, "--overnight-child", str(path)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            )
            res = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"  run {run}: analysed in {res['seconds']:.1f} s ({res['cpu_s']:.1f} s CPU, all threads), peak memory "
                f"(RSS of the whole process) {res['peak_rss_mb']:.0f} MB, of which {res['imports_rss_mb']:.0f} MB "
                f"imports; bursts per channel {res['bursts']}, resting tone µV {res['tone']}"
            )
    print("  targets: <= 3 s, <= 250 MB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="2-minute signals, 1-hour night")
    ap.add_argument("--skip-overnight", action="store_true")
    ap.add_argument("--only-overnight", action="store_true")
    ap.add_argument("--overnight-child")
    ap.add_argument("--night-file", help="keep the simulated night here (made when missing) and reuse it")
    args = ap.parse_args()
    if args.overnight_child:
        overnight_child(args.overnight_child)
        return
    duration = 120.0 if args.quick else 600.0
    if not args.only_overnight:
        bench_offline(duration, repeats=3 if args.quick else 7)
        bench_live(duration)
        bench_gauge_delay()
    if not args.skip_overnight:
        bench_overnight(1.0 if args.quick else 8.0, 4, args.night_file)


if __name__ == "__main__":
    main()
