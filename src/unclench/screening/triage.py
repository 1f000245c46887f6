"""Triage evaluation: the most serious level among the questions answered yes wins; every reason is listed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from unclench.core.errors import UserInputError
from unclench.screening.knowledge import Level, Source, TriageRule, load_red_flags, load_triage


@dataclass(frozen=True)
class TriageOutcome:
    level: Level
    matched: tuple[TriageRule, ...]
    reasons: tuple[str, ...]
    sources: tuple[Source, ...]

    @property
    def is_emergency(self) -> bool:
        return self.level.id == "emergency"


def validate_rule_ids(rule_ids: Iterable[str], *, field: str = "answers") -> list[str]:
    """The answered-yes ids in the order of the rule book, or a UserInputError naming unknown ones."""
    chosen = list(dict.fromkeys(i.strip() for i in rule_ids if i and i.strip()))
    book = load_triage()
    known = {r.id for r in book.rules}
    unknown = [i for i in chosen if i not in known]
    if unknown:
        raise UserInputError.single(field, f"unknown triage question(s): {', '.join(unknown)}")
    order = {r.id: n for n, r in enumerate(book.rules)}
    return sorted(chosen, key=order.__getitem__)


def evaluate_triage(yes: Iterable[str]) -> TriageOutcome:
    """Evaluate the triage from the ids of the questions answered yes (all others count as no)."""
    book = load_triage()
    ids = validate_rule_ids(yes)
    matched = [book.rule(i) for i in ids]
    if not matched:
        level = book.level("self_care")
        return TriageOutcome(level=level, matched=(), reasons=(book.no_flags_reason,), sources=level.sources)
    top_rank = max(book.level(r.level).rank for r in matched)
    level = next(lv for lv in book.levels if lv.rank == top_rank)
    if top_rank > 0:
        # "Brief cramps, self-care is fine" is not a reason once a warning sign applies.
        matched = [r for r in matched if book.level(r.level).rank > 0]
    # Most serious reasons first, so the one that decided the outcome is read first.
    matched.sort(key=lambda r: -book.level(r.level).rank)
    sources: dict[str, Source] = {}
    for rule in matched:
        for source in rule.sources:
            sources.setdefault(source.id, source)
    for source in level.sources:
        sources.setdefault(source.id, source)
    return TriageOutcome(
        level=level,
        matched=tuple(matched),
        reasons=tuple(r.reason for r in matched),
        sources=tuple(sources.values()),
    )


def rules_for_features(feature_ids: Iterable[str]) -> list[str]:
    """The triage questions a set of diary red-flag features points at (to highlight them in the form)."""
    wanted = set(feature_ids)
    out: list[str] = []
    for feature in load_red_flags():
        if feature.id in wanted:
            out.extend(r for r in feature.rules if r not in out)
    return out


def validate_features(feature_ids: Iterable[str], *, field: str = "features") -> list[str]:
    chosen = list(dict.fromkeys(f.strip() for f in feature_ids if f and f.strip()))
    known = {f.id for f in load_red_flags()}
    unknown = [f for f in chosen if f not in known]
    if unknown:
        raise UserInputError.single(
            field, f"unknown red-flag feature(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}"
        )
    return chosen


def emergency_answers(feature_ids: Iterable[str]) -> list[str]:
    """The emergency questions a diary sign answers by itself, in rule-book order.

    A sign answers its questions when every question it points at is an emergency one ("face droop or slurred
    speech" is the stroke question); a sign that only may mean one ("weakness": a stroke, or a cramp after fluid
    loss) is marked in the check instead, for the person to answer.
    """
    book = load_triage()
    wanted = set(feature_ids)
    answers: list[str] = []
    for feature in load_red_flags():
        if feature.id in wanted and all(book.rule(r).level == "emergency" for r in feature.rules):
            answers.extend(r for r in feature.rules if r not in answers)
    return validate_rule_ids(answers)
