"""Questionnaire scoring as published (PSS-10, PHQ-4). Pure functions over the data files; no database."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from unclench.core.errors import FieldProblem, UserInputError

DATA_DIR = Path(__file__).with_name("data")
INSTRUMENTS = ("pss10", "phq4")


@lru_cache(maxsize=4)
def load_instrument(instrument: str) -> dict[str, Any]:
    """The instrument's data file (items, options, scoring, terms, norms, sources)."""
    if instrument not in INSTRUMENTS:
        raise UserInputError.single(
            "instrument", f"unknown questionnaire '{instrument}'; use one of {', '.join(INSTRUMENTS)}"
        )
    data: dict[str, Any] = json.loads((DATA_DIR / f"{instrument}.json").read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Score:
    instrument: str
    answers: tuple[int, ...]
    total: int
    maximum: int
    band: str | None
    band_label: str
    subscores: dict[str, int] = field(default_factory=dict)
    positive: dict[str, bool] = field(default_factory=dict)
    message: str = ""

    @property
    def any_positive(self) -> bool:
        return any(self.positive.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "answers": list(self.answers),
            "total": self.total,
            "maximum": self.maximum,
            "band": self.band,
            "band_label": self.band_label,
            "subscores": dict(self.subscores),
            "positive": dict(self.positive),
            "any_positive": self.any_positive,
            "message": self.message,
        }


def normalise_answers(
    instrument: str, answers: Sequence[int | str | None] | Mapping[int, int | str | None]
) -> list[int]:
    """Check every item is answered with an allowed value; otherwise say which items are missing or wrong.

    `answers` is a list in item order (None or "" for unanswered) or a mapping item number -> value.
    """
    data = load_instrument(instrument)
    numbers = [item["number"] for item in data["items"]]
    allowed = sorted(option["value"] for option in data["options"])
    if isinstance(answers, Mapping):
        extra = sorted(k for k in answers if k not in numbers)
        if extra:
            raise UserInputError.single("answers", f"there is no item {', '.join(map(str, extra))} in {data['name']}")
        by_number = {n: answers.get(n) for n in numbers}
    else:
        if len(answers) > len(numbers):
            raise UserInputError.single(
                "answers", f"{data['name']} has {len(numbers)} items; {len(answers)} answers were given"
            )
        padded = list(answers) + [None] * (len(numbers) - len(answers))
        by_number = dict(zip(numbers, padded, strict=True))
    problems: list[FieldProblem] = []
    missing: list[int] = []
    values: list[int] = []
    for number, value in by_number.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(number)
            continue
        try:
            as_int = int(value)
        except (TypeError, ValueError):
            problems.append(
                FieldProblem(f"item {number}", f"must be a whole number from {allowed[0]} to {allowed[-1]}")
            )
            continue
        if as_int not in allowed:
            problems.append(FieldProblem(f"item {number}", f"must be from {allowed[0]} to {allowed[-1]}"))
            continue
        values.append(as_int)
    if missing:
        item_word = "item" if len(missing) == 1 else "items"
        problems.insert(
            0,
            FieldProblem(
                "answers",
                f"cannot be scored until every item is answered; missing {item_word} {', '.join(map(str, missing))}",
            ),
        )
    if problems:
        raise UserInputError(problems)
    return values


def _band(bands: list[dict[str, Any]], total: int) -> str:
    for band in bands:
        if band["min"] <= total <= band["max"]:
            return str(band["label"])
    raise ValueError(f"no band for {total}")


def score_pss10(answers: Sequence[int | str | None] | Mapping[int, int | str | None]) -> Score:
    """PSS-10 as published: reverse items 4, 5, 7, 8 (0=4 … 4=0), then sum; 0–40."""
    data = load_instrument("pss10")
    values = normalise_answers("pss10", answers)
    reverse = set(data["reverse_items"])
    top = max(option["value"] for option in data["options"])
    total = sum(top - v if n in reverse else v for n, v in enumerate(values, start=1))
    common = data["common_bands"]
    band = _band(common["bands"], total)
    return Score(
        instrument="pss10",
        answers=tuple(values),
        total=total,
        maximum=top * len(values),
        band=band,
        band_label=f"{band} (a commonly used band, not from the scale's authors)",
        message=pss_context(total),
    )


def pss_context(total: int) -> str:
    """Place a PSS-10 total beside the authors' population norm, in words."""
    norm = load_instrument("pss10")["norms"]["groups"][0]
    mean, sd = float(norm["mean"]), float(norm["sd"])
    if total < mean - sd:
        where = "lower than most people's"
    elif total > mean + sd:
        where = "higher than most people's"
    else:
        where = "similar to most people's"
    return (
        f"Your score is {total} of 40. In the authors' US population sample the average was {mean:g} "
        f"(most people between {mean - sd:.0f} and {mean + sd:.0f}), so yours is {where}."
    )


def score_phq4(answers: Sequence[int | str | None] | Mapping[int, int | str | None]) -> Score:
    """PHQ-4 (Kroenke 2009): total 0–12 in four bands; a 2-item subscale of 3 or more is a positive screen."""
    data = load_instrument("phq4")
    values = normalise_answers("phq4", answers)
    total = sum(values)
    subscores: dict[str, int] = {}
    for item, value in zip(data["items"], values, strict=True):
        subscores[item["subscale"]] = subscores.get(item["subscale"], 0) + value
    positive = {name: subscores[name] >= int(spec["positive_at"]) for name, spec in data["subscales"].items()}
    band = _band(data["bands"], total)
    message = data["positive_message"] if any(positive.values()) else data["negative_message"]
    return Score(
        instrument="phq4",
        answers=tuple(values),
        total=total,
        maximum=3 * len(values),
        band=band,
        band_label=band,
        subscores=subscores,
        positive=positive,
        message=message,
    )


def score(instrument: str, answers: Sequence[int | str | None] | Mapping[int, int | str | None]) -> Score:
    load_instrument(instrument)
    return score_pss10(answers) if instrument == "pss10" else score_phq4(answers)
