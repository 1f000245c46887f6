"""Every sentence the doctor's report builds ends once: no "…glucose).)." where a note's own full stop meets the
sentence's."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.formatting import clause
from unclench.diary import demo as diary_demo
from unclench.reports import service
from unclench.screening import demo as screening_demo
from unclench.screening import service as screening
from unclench.stress import demo as stress_demo

# A closing mark (. ! ? ; : ,), then any closing brackets or quotes, then another full stop or closing mark.
DOUBLED = re.compile(r"[.!?;:,][)\]”\"’']*\s*[.!?;:,](?![.\d])")


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("GP: bloods normal (salts, glucose).", "GP: bloods normal (salts, glucose)"),
        ("fine!  ", "fine"),
        ("no change", "no change"),
        ("wait…", "wait…"),
        (None, ""),
    ],
)
def test_clause_drops_the_closing_stop(text: str | None, inside: str) -> None:
    assert clause(text) == inside


def _report_text(db: Session) -> str:
    report = service.build_report(db, service.parse_options(None, None))
    page = service.render_html(report, preview=True)
    body = page.split("<body>", 1)[1]
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", body, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text))


def test_no_sentence_in_the_report_has_doubled_punctuation(db: Session) -> None:
    # The demo person (what `unclench demo` makes: its GP note ends "…glucose)."), and every free text the report
    # places inside a sentence given its own closing full stop.
    summary = diary_demo.create_demo_person(db, days=120, seed=7)
    for extend in (screening_demo.extend_demo, stress_demo.extend_demo):
        extend(db, seed=7, first_day=summary.first_day, last_day=summary.last_day)
    screening.record_all_clear(db, clock.today() - timedelta(days=1), "Seen by Dr Lee; all fine.")
    screening.add_medication(db, "atorvastatin")
    db.flush()
    text = _report_text(db)
    assert "Dr Lee; all fine)." in text  # the sentence closes once, after the note
    assert DOUBLED.findall(text) == [], [text[max(0, m.start() - 60) : m.end() + 10] for m in DOUBLED.finditer(text)]
