"""The insights in plain words: the few sentences a person reads first, built from the trigger findings.

Pure: a trigger report and the practice results in, sentences out. Only findings that are clear after the
false-discovery control are put into words; a finding that shrinks once the other factors are allowed for
says so ("this moves with …; on its own it shows no clear link"). The words describe what went with what in
the diary, never a cause, and never a diagnosis. The statistics themselves stay on the page, folded away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from unclench.insights.practice import MIN_SESSIONS, PracticeWeeks, TechniqueChange
from unclench.insights.triggers import MIN_DAYS, Finding, TriggerReport

LEAD_SENTENCES = 3
"""At most this many findings are put into words; the rest stay with the statistics."""
_TIMES_WORDS = {2: "twice", 3: "three times", 4: "four times", 5: "five times"}


@dataclass(frozen=True)
class PlainSummary:
    sentences: list[str]
    """What goes with the person's episodes, strongest first; one 'nothing stands out' line when nothing is clear."""
    practice: str
    """Whether practice went with lower tension or fewer episodes, or what is needed to tell; may be empty."""
    needs: str
    """What to log for patterns to show, when there is too little data; else empty."""

    def as_dict(self) -> dict[str, object]:
        return {"sentences": list(self.sentences), "practice": self.practice, "needs": self.needs}

    @property
    def all_sentences(self) -> list[str]:
        return [*self.sentences, *(s for s in (self.practice, self.needs) if s)]


def how_many(ratio: float) -> str:
    """A rate ratio in words: 'about twice as many', 'about 40 % more', 'about 30 % fewer'."""
    if ratio >= 1.85:
        rounded = round(ratio * 2) / 2
        if rounded == int(rounded) and int(rounded) in _TIMES_WORDS:
            return f"about {_TIMES_WORDS[int(rounded)]} as many"
        return f"about {rounded:g} times as many"
    percent = round(abs(ratio - 1) * 10) * 10
    if percent == 0:
        return "about as many"
    return f"about {percent} % {'more' if ratio > 1 else 'fewer'}"


def compared(ratio: float, noun: str, other: str) -> str:
    """'about twice as many cramps as on other days', 'about 30 % fewer cramps than on other days'."""
    words = how_many(ratio)
    return f"{words} {noun} {'as' if words.endswith('as many') else 'than'} {other}"


def _points(value: float) -> str:
    """0.8 → '0.8', 1.74 → '1.5', 2.2 → '2': people read halves, not hundredths."""
    size = abs(value)
    if size < 1:
        return f"{size:.1f}"
    return f"{round(size * 2) / 2:g}"


def finding_sentence(finding: Finding, noun: str) -> str:
    """One clear finding in plain words ('went with', never 'caused')."""
    assert finding.estimate is not None
    if finding.outcome == "rate":
        sentence = f"{finding.opening} you logged {compared(finding.estimate, noun, 'on other days')}"
    else:
        direction = "stronger" if finding.estimate >= 0 else "milder"
        sentence = (
            f"{finding.opening} your {noun} were about {_points(finding.estimate)} points {direction} "
            "than on other days (on the 0–10 scale)"
        )
    adjusted = finding.adjusted
    if adjusted is not None and adjusted.verdict == "shrinks":
        partner = adjusted.moves_with or " and ".join(adjusted.adjusted_for)
        return f"{sentence}, but this moves with {partner}; on its own it shows no clear link."
    if adjusted is not None and adjusted.verdict == "unclear":
        return f"{sentence}. This might partly come with your other factors, so it is less sure than it looks."
    return f"{sentence}."


def lead_sentences(report: TriggerReport, noun: str, limit: int = LEAD_SENTENCES) -> list[str]:
    """The clear findings in words, one per factor, in the report's order (strongest evidence first)."""
    out: list[str] = []
    said: set[str] = set()
    for finding in report.findings:
        if finding.status != "clear" or finding.estimate is None or finding.factor_key in said:
            continue
        said.add(finding.factor_key)
        out.append(finding_sentence(finding, noun))
        if len(out) == limit:
            break
    return out


def needs_sentence(report: TriggerReport, noun: str, min_days: int = MIN_DAYS) -> str:
    """What to log when nothing could be compared yet; empty once comparisons were made."""
    if report.tests:
        return ""
    if report.days and not report.episodes:
        return f"You logged no {noun} in this period yet, so there is nothing to compare. Keep logging them as they happen."
    shortfalls = [
        max(0, min_days - f.days_with) + max(0, min_days - f.days_without)
        for f in report.missing
        if f.status == "not_enough_data"
    ]
    days = min(shortfalls) if shortfalls else max(2 * min_days - report.days, min_days)
    weeks = max(1, math.ceil(days / 7))
    return (
        f"Log for about {weeks} more week{'s' if weeks != 1 else ''} to see patterns: "
        "the daily check-in and each episode as it happens."
    )


def practice_sentence(weeks: PracticeWeeks | None, techniques: list[TechniqueChange], noun: str) -> str:
    """Practice in one sentence: tension before and after sessions, else weeks with and without practice."""
    rated = [t for t in techniques if t.sessions >= MIN_SESSIONS and t.mean_drop is not None]
    if rated:
        sessions = sum(t.sessions for t in rated)
        drop = sum((t.mean_drop or 0.0) * t.sessions for t in rated) / sessions
        if abs(drop) < 0.5:
            return (
                f"When you practised, your tension changed little from before to after a session ({sessions} sessions)."
            )
        verb = "dropped" if drop > 0 else "rose"
        return (
            f"When you practised, your tension {verb} by about {_points(drop)} points on average "
            f"from before to after a session ({sessions} sessions, 0–10 scale)."
        )
    ratio, low, high = (weeks.ratio, weeks.low, weeks.high) if weeks else (None, None, None)
    if ratio is not None and low is not None and high is not None and (high < 1 or low > 1):
        return f"In weeks you practised regularly you logged {compared(ratio, noun, 'in weeks without')}."
    if techniques:
        return "Rate your tension before and after a few more sessions to see whether practice goes with less tension."
    return ""


def summarise(
    report: TriggerReport,
    weeks: PracticeWeeks | None,
    techniques: list[TechniqueChange],
    noun: str,
    *,
    min_days: int = MIN_DAYS,
) -> PlainSummary:
    sentences = lead_sentences(report, noun)
    if report.tests and not sentences:
        sentences = [
            f"Nothing stands out clearly yet: no factor went with more {noun} than chance could explain. "
            "More days of diary make smaller patterns visible."
        ]
    return PlainSummary(
        sentences,
        practice_sentence(weeks, techniques, noun),
        needs_sentence(report, noun, min_days),
    )
