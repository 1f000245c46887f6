"""Benchmark: an adaptive 20-minute session's render against the plain render of the same session.

Run: .venv/bin/python bench/bench_adaptive_render.py [--minutes 20] [--repeats 3] [--cache DIR]
Both render with a warm phrase cache (every phrase, the adaptive cues included, synthesised once beforehand, or
taken from --cache, which is kept), each into a fresh audio folder, alternating plain and adaptive so that a busy
neighbour hurts both alike. Prints each wall time and CPU time (all threads of the process: the fairer figure on a
shared machine), the medians, the ratios adaptive/plain (target <= 1.3x), the adaptive render's extra stage
("adaptive_files": clips, bed and graph, written while the plain formats encode), and how much it wrote.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from unclench.sessions.adaptive import FOLDER, load_graph
from unclench.sessions.options import SessionOptions, TargetRegion
from unclench.sessions.render import render_session


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--technique", default="pmr", choices=("pmr", "body_scan", "hypnotic"))
    parser.add_argument("--cache", type=Path, help="a phrase cache to use and keep (warmed here when empty)")
    args = parser.parse_args()
    plain = SessionOptions(
        minutes=args.minutes,
        technique=args.technique,
        pmr_groups=16,
        regions=(TargetRegion("jaw", "both"), TargetRegion("calf", "left")),
        background="rain",
        name="Anna",
        seed=1,
    )
    adaptive = replace(plain, adaptive=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cache = args.cache or root / "phrases"
        started = time.perf_counter()
        warm_up = render_session(adaptive, root / "warm-up", cache_dir=cache)
        print(f"warming the phrase cache (cold adaptive render): {time.perf_counter() - started:.1f} s", flush=True)
        graph = load_graph(warm_up.folder)
        assert graph is not None
        shutil.rmtree(root / "warm-up")
        walls: dict[str, list[float]] = {"plain": [], "adaptive": []}
        cpus: dict[str, list[float]] = {"plain": [], "adaptive": []}
        stages: dict[str, dict[str, float]] = {}
        for repeat in range(args.repeats):
            for label, options in (("plain", plain), ("adaptive", adaptive)):
                out = root / f"{label}-{repeat}"
                started, cpu_started = time.perf_counter(), time.process_time()
                result = render_session(options, out, cache_dir=cache)
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
                walls[label].append(wall)
                cpus[label].append(cpu)
                stages[label] = result.timings
                written = sum(p.stat().st_size for p in (result.folder / FOLDER).rglob("*") if p.is_file())
                extra = f", adaptive files {written / 1e6:.1f} MB" if label == "adaptive" else ""
                print(
                    f"{label} #{repeat + 1}: {result.duration_s:.0f} s audio, wall {wall:.2f} s, CPU {cpu:.2f} s{extra}, "
                    f"stages {result.timings}",
                    flush=True,
                )
                shutil.rmtree(out)
        p, a = statistics.median(walls["plain"]), statistics.median(walls["adaptive"])
        pc, ac = statistics.median(cpus["plain"]), statistics.median(cpus["adaptive"])
        cue_clips = sum(1 for c in graph["clips"].values() if c["kind"] == "cue")
        print(
            f"{args.technique} {args.minutes:g} min, {len(graph['points'])} decision points, {cue_clips} cue clips, "
            f"warm phrase cache: plain median {p:.2f} s (best {min(walls['plain']):.2f}), "
            f"adaptive median {a:.2f} s (best {min(walls['adaptive']):.2f}); adaptive/plain = {a / p:.2f}x "
            f"(best/best {min(walls['adaptive']) / min(walls['plain']):.2f}x); CPU medians plain {pc:.2f} s, "
            f"adaptive {ac:.2f} s, adaptive/plain = {ac / pc:.2f}x; target <= 1.30x"
        )


if __name__ == "__main__":
    main()
