"""Benchmark the pure screening/stress logic: medicine matching (exact, typo, unknown), triage, questionnaire scoring.

Run: .venv/bin/python bench/bench_screening.py
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from unclench.screening.knowledge import load_triage
from unclench.screening.meds import match_medication, name_index, normalise_name
from unclench.screening.triage import evaluate_triage
from unclench.stress.questionnaires import score_phq4, score_pss10


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]  # drop one letter


def per_call_us(fn: Callable[[], object], repeats: int = 5, number: int = 200) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(times), min(times)


def main() -> None:
    rng = random.Random(1)
    names = [item.display for item in name_index().values()]
    longer = [n for n in names if len(n) >= 8]
    print(
        f"knowledge base: {len(name_index())} names (generic, brand, class) in {len({i.entry.id for i in name_index().values()})} groups"
    )

    # Accuracy on single-letter-drop typos of names with 8+ letters.
    hits = 0
    sample = [rng.choice(longer) for _ in range(500)]
    for name in sample:
        result = match_medication(typo(name, rng))
        hits += result.found and result.entry is name_index()[normalise_name(name)].entry
    print(f"typo recall (one letter dropped, names of 8+ letters, n=500): {hits / len(sample):.1%}")
    unknown = ["paracetamol", "metformin", "levothyroxine", "omeprazole", "cetirizine", "ibuprofen", "warfarin"]
    false_hits = [u for u in unknown if match_medication(u).found]
    print(f"unrelated common medicines wrongly matched: {len(false_hits)} of {len(unknown)} {false_hits}")

    for label, fn in (
        ("match exact 'Lipitor 20mg'", lambda: match_medication("Lipitor 20mg")),
        ("match typo 'metoclopromide'", lambda: match_medication("metoclopromide")),
        ("match unknown 'paracetamol'", lambda: match_medication("paracetamol")),
        ("triage, 3 yes answers", lambda: evaluate_triage(["stroke_signs", "dvt", "neuropathy"])),
        (
            f"triage, all {len(load_triage().rules)} answers",
            lambda: evaluate_triage([r.id for r in load_triage().rules]),
        ),
        ("score PSS-10", lambda: score_pss10([2, 3, 2, 1, 2, 3, 2, 1, 2, 3])),
        ("score PHQ-4", lambda: score_phq4([1, 2, 0, 1])),
    ):
        median, best = per_call_us(fn)
        print(f"{label:<34} median {median:8.1f} µs/call   best {best:8.1f} µs/call")


if __name__ == "__main__":
    main()
