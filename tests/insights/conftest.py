"""Fixtures for the insights tests: a seeded diary with a planted link."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from tests.insights.insights_seed import seed_diary


@pytest.fixture
def seeded(db: Session) -> date:
    first = seed_diary(db)
    db.commit()
    return first
