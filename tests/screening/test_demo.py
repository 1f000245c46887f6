"""The sample person gets a safety screen and a stress history (the `unclench demo` hook)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.screening import demo as screening_demo
from unclench.screening import service as screening
from unclench.stress import demo as stress_demo
from unclench.stress import service as stress

pytestmark = pytest.mark.hard_dates


def test_extend_demo_fills_screening_and_stress(db: Session) -> None:
    last = clock.today() - timedelta(days=1)  # the demo diary ends yesterday
    first = last - timedelta(days=179)
    screening_demo.extend_demo(db, seed=7, first_day=first, last_day=last)
    stress_demo.extend_demo(db, seed=7, first_day=first, last_day=last)
    db.commit()
    assert screening.latest_triage(db) is not None
    assert screening.latest_all_clear(db) is not None
    assert screening.medication_matches(db)[0]["entry"]["id"] == "beta2_agonists"
    history = stress.pss_history(db)
    assert len(history) == 6
    assert history[0]["total"] > history[-1]["total"]
    assert stress.current_plan(db).manage
    assert screening.safety_notices(db) == []
