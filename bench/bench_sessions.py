"""Benchmark: cold and warm 20-minute personalised session renders against plain Piper.

Run: .venv/bin/python bench/bench_sessions.py [--minutes 20]
Prints wall time (every format made: WAV, OGG/Opus, MP3), real-time factor, the ratio against
plain Piper reading the same spoken text in one call (fresh PiperVoice.load, default settings,
model load not counted), each format's size and encode time inside the render, the time a
download of an older WAV-only folder takes to encode, and the process's peak memory.
Plain Piper runs in a separate process afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from unclench.sessions.composer import compose
from unclench.sessions.options import SessionOptions, TargetRegion
from unclench.sessions.render import export_format, render_session


def _plain_piper(text: str, length_scale: float, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from unclench.sessions.voice import plain_piper_seconds

    queue.put(plain_piper_seconds(text, "joe", length_scale))


def plain_piper_in_subprocess(text: str, length_scale: float) -> tuple[float, float]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_plain_piper, args=(text, length_scale, queue))
    proc.start()
    result: tuple[float, float] = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--warm-repeats", type=int, default=5, help="warm renders again, each from the cold cache")
    parser.add_argument("--only-targets", action="store_true", help="skip the two scenarios that are not targets")
    args = parser.parse_args()
    first = SessionOptions(
        minutes=args.minutes,
        technique="pmr",
        pmr_groups=16,
        cramp_prone=True,
        regions=(TargetRegion("suboccipitals", "both"), TargetRegion("jaw", "both"), TargetRegion("calf", "left")),
        background="rain",
        name="Anna",
        seed=1,
    )
    # The "warm": a second, different personalised session after the first: other target
    # regions, another name, another background and the bedtime ending (variation 1, as new sessions get).
    second = replace(
        first,
        regions=(TargetRegion("shoulder", "both"), TargetRegion("lower_back", "both")),
        name="Ben",
        background="ocean",
        ending="sleep",
    )
    # Not targets, reported so the cache's limits are plain: a new variation (other wordings)
    # and another technique with a binaural beat (stereo).
    variation = replace(first, seed=2)
    other = replace(second, technique="hypnotic", binaural="theta")
    scenarios = (("cold", first), ("warm", second), ("new variation", variation), ("other technique", other))
    if args.only_targets:
        scenarios = scenarios[:2]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = []
        for label, options in scenarios:
            script = compose(options)
            before = {p.name for p in (root / "phrases").rglob("*.npy")} if (root / "phrases").exists() else set()
            if label == "cold":
                after_cold = root / "phrases-after-cold"
            elif label == "warm":
                shutil.copytree(root / "phrases", after_cold)  # the cache as the warm render found it
            started, cpu = time.perf_counter(), time.process_time()
            result = render_session(options, root / "audio", cache_dir=root / "phrases")
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            new = len({p.name for p in (root / "phrases").rglob("*.npy")} - before)
            rows.append((label, options, result, wall, script.spoken_text(), cpu))
            print(
                f"{label}: {options.technique} {options.minutes:g} min -> {result.duration_s:.1f} s audio, "
                f"wall {wall:.1f} s (CPU {cpu:.1f} s, all threads), RTF {wall / result.duration_s:.4f}, {new} of {len(set(script.texts()))} "
                f"phrases synthesised, {result.loudness_lufs} LUFS, {result.true_peak_dbtp} dBTP, "
                f"stages {result.timings}",
                flush=True,
            )
        warm_walls = [rows[1][3]]
        warm_cpus = [rows[1][5]]
        for repeat in range(args.warm_repeats - 1):
            cache = root / f"phrases-warm-{repeat}"
            shutil.copytree(after_cold, cache)
            started, cpu = time.perf_counter(), time.process_time()
            render_session(second, root / f"audio-warm-{repeat}", cache_dir=cache)
            warm_walls.append(time.perf_counter() - started)
            warm_cpus.append(time.process_time() - cpu)
            shutil.rmtree(cache)
            shutil.rmtree(root / f"audio-warm-{repeat}")
        print(
            f"warm, {len(warm_walls)} runs from the same cache: best {min(warm_walls):.2f} s, "
            f"median {statistics.median(warm_walls):.2f} s ({', '.join(f'{w:.2f}' for w in warm_walls)}); "
            f"CPU best {min(warm_cpus):.2f} s, median {statistics.median(warm_cpus):.2f} s"
        )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of the render process (max RSS, all four renders): {peak_mb:.0f} MB")
        cold = rows[0][2]
        for fmt, path in cold.files.items():
            seconds = cold.timings.get(f"encode_{fmt}", float("nan"))  # nan: a version that did not time it
            cpu = cold.timings.get(f"encode_{fmt}_cpu", float("nan"))
            print(
                f"cold session as {fmt}: {path.stat().st_size / 1e6:.1f} MB, "
                f"written in {seconds:.1f} s ({cpu:.1f} s CPU) inside the render (formats written at once)"
            )
        print(f"all formats of the cold session written in {cold.timings['export']:.1f} s (stage 'export')")
        for fmt in ("ogg", "mp3"):
            (cold.folder / f"session.{fmt}").unlink(missing_ok=True)  # as a folder from before looks
            started = time.perf_counter()
            export_format(cold.folder, fmt)
            print(f"first download of {fmt} from a WAV-only folder (fallback): {time.perf_counter() - started:.1f} s")
        for label, options, _result, wall, text, _cpu in rows[:2]:
            plain, speech_s = plain_piper_in_subprocess(text, options.length_scale)
            print(
                f"{label}: plain Piper on the same {len(text.split())} words ({speech_s:.0f} s of speech) "
                f"took {plain:.1f} s; render/plain = {wall / plain:.2f}x",
                flush=True,
            )
        print(
            "targets: cold (all formats) <= 1.0x plain Piper, encodes add <= 3 s, warm <= 4 s, peak memory <= 1536 MB"
        )


if __name__ == "__main__":
    main()
