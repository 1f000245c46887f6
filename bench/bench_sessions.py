"""Benchmark: cold and warm 20-minute personalised session renders against plain Piper.

Run: .venv/bin/python bench/bench_sessions.py [--minutes 20]
Prints wall time, real-time factor, the ratio against plain Piper reading the same spoken text
in one call (fresh PiperVoice.load, default settings, model load not counted), export times for
Opus and MP3, and the process's peak memory. Plain Piper runs in a separate process afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
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
    args = parser.parse_args()
    first = SessionOptions(
        minutes=args.minutes,
        technique="pmr",
        pmr_groups=16,
        cramp_prone=True,
        regions=(TargetRegion("suboccipitals", "both"), TargetRegion("jaw", "both"), TargetRegion("calf", "left")),
        background="rain",
        name="Anna",
        seed=101,
    )
    second = SessionOptions(
        minutes=args.minutes,
        technique="hypnotic",
        regions=(TargetRegion("shoulder", "both"), TargetRegion("lower_back", "both")),
        background="ocean",
        binaural="theta",
        ending="sleep",
        name="Ben",
        seed=202,
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = []
        for label, options in (("cold", first), ("warm", second)):
            started = time.perf_counter()
            result = render_session(options, root / "audio", cache_dir=root / "phrases", formats=("wav",))
            wall = time.perf_counter() - started
            script = compose(options)
            rows.append((label, options, result, wall, script.spoken_text()))
            print(
                f"{label}: {options.technique} {options.minutes:g} min -> {result.duration_s:.1f} s audio, "
                f"wall {wall:.1f} s, RTF {wall / result.duration_s:.4f}, {result.loudness_lufs} LUFS, "
                f"{result.true_peak_dbtp} dBTP, stages {result.timings}",
                flush=True,
            )
        started = time.perf_counter()
        export_format(rows[0][2].folder, "ogg")
        ogg = time.perf_counter() - started
        started = time.perf_counter()
        export_format(rows[0][2].folder, "mp3")
        mp3 = time.perf_counter() - started
        print(f"export of the cold session on demand: OGG/Opus {ogg:.1f} s, MP3 {mp3:.1f} s")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (max RSS of the render process): {peak_mb:.0f} MB")
        for label, options, _result, wall, text in rows:
            plain, speech_s = plain_piper_in_subprocess(text, options.length_scale)
            print(
                f"{label}: plain Piper on the same {len(text.split())} words ({speech_s:.0f} s of speech) "
                f"took {plain:.1f} s; render/plain = {wall / plain:.2f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
