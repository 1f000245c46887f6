"""EMG tone per technique and chapter kind in the insights: hidden below the minimum, then a t interval per group
(a known set of listens with recordings, on SQLite and PostgreSQL, through the service and the page)."""

from __future__ import annotations

from datetime import date, time, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats
from sqlalchemy.orm import Session

from tests.emg.listen_fixtures import listen_with_chapters
from unclench.core import clock
from unclench.emg.models import EmgRecording
from unclench.insights import service
from unclench.insights.practice import MIN_LISTENS_WITH_RECORDING, tone_change_by_chapter
from unclench.sessions import service as sessions

DEEPENING = [-20.0, -30.0, -25.0, -35.0, -15.0, -25.0]
KINDS = [("opening", "Welcome"), ("induction", "The technique itself"), ("deepener", "Deepening")]


def test_pure_groups_average_a_listens_channels_first_and_give_a_t_interval() -> None:
    changes = [(f"L{i}", "pmr", "deepener", v) for i, v in enumerate(DEEPENING)]
    changes += [("L0", "pmr", "deepener", -40.0)]  # a second channel of the first listen: averaged with it
    changes += [("L0", "pmr", "induction", -5.0), ("L1", "pmr", "induction", 5.0)]
    result = tone_change_by_chapter(changes, listens=6, kinds=KINDS, techniques={"pmr": "PMR"})
    assert [(r.kind, r.listens) for r in result.rows] == [("induction", 2), ("deepener", 6)]
    induction, deepener = result.rows
    assert induction.low is None and "needs 3 for a likely range" in induction.sentence
    values = np.array([-30.0, *DEEPENING[1:]])
    half = stats.t.ppf(0.975, 5) * values.std(ddof=1) / np.sqrt(6)
    assert deepener.mean_pct == pytest.approx(values.mean())
    assert deepener.low == pytest.approx(values.mean() - half) and deepener.high == pytest.approx(values.mean() + half)
    assert deepener.sentence.startswith("PMR · Deepening: resting tone 27 % lower than at the start")
    few = tone_change_by_chapter(changes, listens=MIN_LISTENS_WITH_RECORDING - 2, kinds=KINDS)
    assert few.rows == [] and few.sentence.endswith("2 more listens with a recording.")


def _recording(db: Session, listen_id: str, number: int, deepening: float) -> None:
    chapters = [
        {"title": "Welcome", "kind": "opening", "change_pct": 0.0},  # the reference itself: not a change
        {"title": "Deepening", "kind": "deepener", "change_pct": deepening},
        {"title": "Waking up", "kind": "ending", "change_pct": None},  # too little clean signal
    ]
    tone = {"reference": "first chapter", "reference_title": "Welcome", "chapters": chapters}
    db.add(
        EmgRecording(
            source="file",
            original_name=f"listen {number}",
            file_sha256=f"{number:064x}",
            file_name=f"{number:064x}.edf",
            file_format="edf",
            recorded_at=clock.now(),
            fs=1000.0,
            duration_s=600.0,
            summary={"channels": [], "session_tone": {"listen_id": listen_id, "offset_s": 0.0, "channels": [tone]}},
            listen_id=listen_id,
        )
    )


def test_insights_show_tone_per_part_once_enough_listens_have_recordings(
    client: TestClient, db: Session, seeded: date
) -> None:
    first = listen_with_chapters(db, minutes=3)
    listens = [first]
    for _ in DEEPENING[1:]:
        listen = sessions.start_listen(db, first.session_id, tension_before=7)
        sessions.update_listen(db, listen.id, heard_s=180, finished=True, tension_after=4)
        listens.append(listen)
    for i, listen in enumerate(listens):  # one listen a day inside the diary's period
        listen.started_at = clock.local_moment(seeded + timedelta(days=10 + i), time(12))
    for i, (listen, value) in enumerate(zip(listens[:4], DEEPENING, strict=False)):
        _recording(db, listen.id, i + 1, value)
    db.commit()
    practice = service.compute_insights(db).practice
    assert practice.chapters is not None and practice.chapters.listens == 4 and practice.chapters.rows == []
    page = client.get("/insights").text
    assert "Muscle tone per part of a session" in page and "1 more listen with a recording" in page

    for i, (listen, value) in enumerate(zip(listens[4:], DEEPENING[4:], strict=True)):
        _recording(db, listen.id, i + 5, value)
    db.commit()
    chapters = service.compute_insights(db).practice.chapters
    assert chapters is not None and chapters.listens == 6
    [row] = chapters.rows  # the reference chapter and the one without a number add nothing
    assert (row.technique, row.kind, row.listens) == ("pmr", "deepener", 6)
    assert row.mean_pct == pytest.approx(-25.0) and row.high is not None and row.high < 0
    page = client.get("/insights").text
    assert "<td>Progressive muscle relaxation</td><td>Deepening</td><td>6</td>" in page
    assert "-25 %" in page and "Felt tension fell" in page and "<td>3.0</td>" in page
    data = client.get("/api/insights").json()["practice"]["chapters"]
    assert data["needed"] == MIN_LISTENS_WITH_RECORDING and data["rows"][0]["mean_pct"] == pytest.approx(-25.0)
