"""The insights in plain words: the planted link in one sentence, what to log, 'moves with', and never a cause."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.insights.insights_seed import seed_diary
from unclench.insights import service
from unclench.insights.daytable import build_day_table
from unclench.insights.plain import PlainSummary, how_many, practice_sentence, summarise
from unclench.insights.practice import PracticeWeeks, TechniqueChange
from unclench.insights.simulate import simulate_confounded_diary, simulate_diary
from unclench.insights.triggers import TriggerReport, analyse_triggers

# Words that claim a cause or a diagnosis; a plain sentence may say "went with" and "moves with", never these.
CAUSAL = re.compile(
    r"\b(caus\w*|because|due to|leads? to|led to|results? in|trigger\w*|makes? you|made you|diagnos\w*|"
    r"responsible|the reason|produces?|brings? on|disorder|disease|syndrome)\b",
    re.IGNORECASE,
)


def _summary(db: Session, **kwargs: object) -> PlainSummary:
    result = service.compute_insights(db, **kwargs)  # type: ignore[arg-type]
    practice = result.practice
    return summarise(result.triggers, practice.weeks, practice.techniques, result.data.noun)


def _simulated(report: TriggerReport) -> PlainSummary:
    return summarise(report, None, [], "episodes")


def test_the_planted_link_leads_the_page_in_one_plain_sentence(db: Session, seeded: date, client: TestClient) -> None:
    summary = _summary(db)
    planted = service.compute_insights(db).triggers.findings[0]
    assert planted.factor_name == "late screen" and planted.status == "clear"
    # The diary triples the rate after "late screen" days; its own 90 days estimate 3.4×.
    assert 2.5 <= (planted.estimate or 0) <= 4
    assert summary.sentences[0] == (
        "On days after a day with “late screen” you logged about 3.5 times as many episodes as on other days."
    )
    assert summary.needs == ""
    assert client.get("/api/insights").json()["plain"]["sentences"][0] == summary.sentences[0]
    page = client.get("/insights").text
    assert (
        page.index(summary.sentences[0])
        < page.index("For your therapist: the statistics")
        < page.index("Factors, strongest evidence first")
    )
    assert re.search(r"<details class=\"card therapist-stats\">\s*<summary>For your therapist: the statistics", page)


def test_too_little_diary_says_how_long_to_log(db: Session) -> None:
    seed_diary(db, days=10)
    db.commit()
    summary = _summary(db)
    assert summary.sentences == []
    assert re.fullmatch(
        r"Log for about [1-4] more weeks? to see patterns: the daily check-in and each episode as it happens\.",
        summary.needs,
    )


def test_an_empty_diary_says_to_log_and_a_quiet_one_says_nothing_stands_out() -> None:
    empty = TriggerReport([], [], [], [], 0, 0, 0.05, 0)
    assert (
        _simulated(empty).needs
        == "Log for about 4 more weeks to see patterns: the daily check-in and each episode as it happens."
    )
    none_logged = TriggerReport([], [], [], [], 30, 0, 0.05, 0)
    assert _simulated(none_logged).needs.startswith("You logged no episodes in this period yet")
    diary = simulate_diary(days=200, planted_ratio=None, seed=3)  # no planted effect at all
    report = analyse_triggers(
        build_day_table(diary.episodes, diary.checkins, first=diary.first, last=diary.last), diary.factors
    )
    quiet = _simulated(report)
    assert report.tests > 0 and report.clear == []  # pure noise: comparisons made, none clear
    assert quiet.sentences == [
        "Nothing stands out clearly yet: no factor went with more episodes than chance could explain. "
        "More days of diary make smaller patterns visible."
    ]
    assert quiet.needs == ""


def test_a_factor_that_moves_with_short_sleep_says_so_in_plain_words() -> None:
    diary = simulate_confounded_diary(days=240, seed=2)
    report = analyse_triggers(
        build_day_table(diary.episodes, diary.checkins, first=diary.first, last=diary.last), diary.factors
    )
    sentences = _simulated(report).sentences
    assert sentences[0].startswith("On days after a night with less than 6 h of sleep you logged about")
    caffeine = next(s for s in sentences if "caffeinated" in s)
    assert caffeine.startswith("On days with 3 or more caffeinated drinks you logged about")
    assert caffeine.endswith(
        "but this moves with less than 6 h of sleep (night before); on its own it shows no clear link."
    )


def test_only_clear_findings_are_put_into_words() -> None:
    diary = simulate_confounded_diary(days=240, seed=0)
    report = analyse_triggers(
        build_day_table(diary.episodes, diary.checkins, first=diary.first, last=diary.last), diary.factors
    )
    sentences = _simulated(report).sentences
    clear_keys = {f.factor_key for f in report.clear}
    named = [f for f in report.findings if f.opening and any(s.startswith(f.opening + " ") for s in sentences)]
    assert named and all(f.factor_key in clear_keys for f in named)
    assert len(sentences) <= 3


@pytest.mark.parametrize(
    ("ratio", "words"),
    [
        (2.04, "about twice as many"),
        (2.9, "about three times as many"),
        (2.3, "about 2.5 times as many"),
        (1.38, "about 40 % more"),
        (0.72, "about 30 % fewer"),
        (1.02, "about as many"),
    ],
)
def test_rate_ratios_in_words(ratio: float, words: str) -> None:
    assert how_many(ratio) == words


def test_practice_in_one_sentence() -> None:
    rated = [
        TechniqueChange("body scan", 6, 2.1, 1.2, 3.0, 0.001, ""),
        TechniqueChange("breathing", 4, 1.6, 0.4, 2.8, 0.02, ""),
    ]
    assert practice_sentence(None, rated, "cramps") == (
        "When you practised, your tension dropped by about 2 points on average from before to after a session "
        "(10 sessions, 0–10 scale)."
    )
    weeks = PracticeWeeks(6, 5, 4.0, 6.0, 0.66, 0.5, 0.87, 0.003, None, None, "")
    assert (
        practice_sentence(weeks, [], "cramps")
        == "In weeks you practised regularly you logged about 30 % fewer cramps than in weeks without."
    )
    unsure = PracticeWeeks(6, 5, 4.0, 6.0, 0.8, 0.6, 1.1, 0.2, None, None, "")
    assert practice_sentence(unsure, [], "cramps") == ""
    few = [TechniqueChange("body scan", 1, 2.0, None, None, None, "")]
    assert practice_sentence(None, few, "cramps").startswith("Rate your tension before and after a few more sessions")


def test_no_plain_sentence_claims_a_cause_or_a_diagnosis() -> None:
    said: list[str] = []
    for seed in range(6):
        for diary in (simulate_confounded_diary(days=240, seed=seed), simulate_diary(days=150, seed=seed)):
            table = build_day_table(diary.episodes, diary.checkins, first=diary.first, last=diary.last)
            said += summarise(analyse_triggers(table, diary.factors), None, [], "twitches").all_sentences
    said += summarise(TriggerReport([], [], [], [], 0, 0, 0.05, 0), None, [], "cramps").all_sentences
    said += summarise(TriggerReport([], [], [], [], 20, 0, 0.05, 0), None, [], "cramps").all_sentences
    for drop in (-2.0, 0.2, 2.0):
        said.append(practice_sentence(None, [TechniqueChange("x", 5, drop, drop - 1, drop + 1, 0.1, "")], "cramps"))
    assert len(said) >= 15 and any("moves with" in s for s in said)
    offending = [s for s in said if CAUSAL.search(s)]
    assert offending == []
