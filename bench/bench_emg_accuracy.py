"""EMG accuracy benchmark: onset F1 (±50 and ±100 ms) and count error on the accuracy suite, with NeuroKit2.

Suite (``unclench.emg.simulate.accuracy_suite``): clean, mains 50 and 60 Hz, ECG (neck-like, with 60 Hz
mains), motion spikes, small bursts near the noise floor, an electrode coming off, brief twitches on a
fluctuating tone — each at 250, 512, 1000 and 2000 Hz. NeuroKit2's ``emg_process`` runs on the same
signals in the same run as the reference. Target: unclench F1 (±50 ms) ≥ 0.95 on every case.

Run: .venv/bin/python bench/bench_emg_accuracy.py [--quick] [--cases twitches,ecg] [--rates 1000] [--seeds 0,10,20]
(several seeds: one table each, then every case × rate's worst F1 over them; ``--no-neurokit`` makes that quick)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scoring import onset_f1

from unclench.emg import dsp
from unclench.emg.simulate import SUITE_CASES, accuracy_suite

RATES = (250.0, 512.0, 1000.0, 2000.0)
TARGET_F1 = 0.95


def neurokit_onsets(x_uv: np.ndarray, fs: float) -> tuple[np.ndarray, float]:
    """NeuroKit2's onsets (its default pipeline, signal in mV) and the seconds it took."""
    import neurokit2 as nk

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signals, _ = nk.emg_process(x_uv / 1000.0, sampling_rate=int(fs))
    elapsed = time.perf_counter() - t0
    return np.flatnonzero(signals["EMG_Onsets"].to_numpy() == 1) / fs, elapsed


def score(onsets: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """(F1 ±50 ms, F1 ±100 ms, count error as a fraction of the true count)."""
    f50 = onset_f1(onsets, truth, 0.05)[0]
    f100 = onset_f1(onsets, truth, 0.1)[0]
    count_error = (len(onsets) - len(truth)) / max(1, len(truth))
    return f50, f100, count_error


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="60-s signals instead of 120 s")
    ap.add_argument("--cases", default=",".join(SUITE_CASES))
    ap.add_argument("--rates", default=",".join(f"{r:g}" for r in RATES))
    ap.add_argument("--no-neurokit", action="store_true")
    ap.add_argument("--seeds", default="0", help="comma-separated generator seeds (default 0)")
    args = ap.parse_args()
    wanted = set(args.cases.split(","))
    duration = 60.0 if args.quick else 120.0
    print(f"== accuracy suite, {duration:g}-s signals; F1 at ±50/±100 ms, count error; target F1 ≥ {TARGET_F1} ==")
    print(
        f"{'case':14s} {'fs':>5s} {'true':>4s} | {'ours F1 50':>10s} {'F1 100':>6s} {'count':>6s} {'ms':>6s} | "
        f"{'NK2 F1 50':>9s} {'F1 100':>6s} {'count':>6s} {'ms':>6s} | flags"
    )
    worst = 1.0
    ours_all: list[float] = []
    nk_all: list[float] = []
    by_cell: dict[tuple[str, float], list[float]] = {}
    seeds = [int(v) for v in args.seeds.split(",")]
    for seed in seeds:
        if len(seeds) > 1:
            print(f"-- seed {seed} --")
        for fs in (float(r) for r in args.rates.split(",")):
            for case in accuracy_suite(fs, duration_s=duration, seed=seed):
                if case.name not in wanted:
                    continue
                t0 = time.perf_counter()
                result = dsp.analyze(case.signal, fs)
                ours_ms = (time.perf_counter() - t0) * 1000
                o50, o100, oc = score(np.array([b.onset_s for b in result.bursts]), case.onsets)
                worst = min(worst, o50)
                ours_all.append(o50)
                by_cell.setdefault((case.name, fs), []).append(o50)
                if args.no_neurokit:
                    nk_text = f"{'-':>9s} {'-':>6s} {'-':>6s} {'-':>6s}"
                else:
                    nk_on, nk_s = neurokit_onsets(case.signal, fs)
                    n50, n100, nc = score(nk_on, case.onsets)
                    nk_all.append(n50)
                    nk_text = f"{n50:9.3f} {n100:6.3f} {nc:+6.0%} {nk_s * 1000:6.0f}"
                flags = []
                if result.clean.ecg_bpm is not None:
                    flags.append(f"ECG {result.clean.ecg_bpm:.0f} bpm")
                if result.clean.mains_hz:
                    flags.append(f"mains {result.clean.mains_hz:g}")
                mark = "" if o50 >= TARGET_F1 else "  << below target"
                print(
                    f"{case.name:14s} {fs:5.0f} {len(case.onsets):4d} | {o50:10.3f} {o100:6.3f} {oc:+6.0%} {ours_ms:6.0f} | "
                    f"{nk_text} | {', '.join(flags)}{mark}"
                )
    if len(seeds) > 1:
        below = {cell: min(v) for cell, v in by_cell.items() if min(v) < TARGET_F1}
        print(
            f"over {len(seeds)} seeds: {sum(f < TARGET_F1 for v in by_cell.values() for f in v)} of "
            f"{sum(len(v) for v in by_cell.values())} case runs below target; worst per case and rate: "
            + (", ".join(f"{name}@{fs:g} {f:.3f}" for (name, fs), f in sorted(below.items())) or "none")
        )
    print(
        f"unclench: worst F1 ±50 ms {worst:.3f}, mean {np.mean(ours_all):.3f}"
        + (f"; NeuroKit2 mean {np.mean(nk_all):.3f}" if nk_all else "")
    )


if __name__ == "__main__":
    main()
