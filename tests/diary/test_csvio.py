"""CSV export/import: lossless round trip, all-or-nothing import with every bad row reported."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.diary import csvio, demo, service

pytestmark = pytest.mark.hard_dates


def test_export_import_export_is_identical(db: Session, tmp_path: Path) -> None:
    demo.create_demo_person(db, days=40, seed=3, end=clock.today() - timedelta(days=1))
    db.commit()
    first = tmp_path / "first"
    csvio.export_diary(db, first)
    # Empty the diary, import, export again.
    for episode in service.list_episodes(db):
        db.delete(episode)
    for checkin in service.list_checkins(db):
        db.delete(checkin)
    for factor in service.list_factors(db, include_archived=True):
        db.delete(factor)
    db.commit()
    summary = csvio.import_diary(db, first)
    db.commit()
    assert summary.checkins == 40 and summary.episodes > 10
    second = tmp_path / "second"
    csvio.export_diary(db, second)
    for name in (csvio.EPISODES_FILE, csvio.CHECKINS_FILE, csvio.FACTORS_FILE):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def _write(folder: Path, name: str, content: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)


def test_import_with_bad_rows_writes_nothing_and_lists_every_bad_row(db: Session, tmp_path: Path) -> None:
    header = b"id,started_at,timezone,duration_s,ongoing,kind,intensity,pain,regions,helped,notes,created_at\n"
    rows = (
        b",2026-03-01T07:00:00Z,Europe/Berlin,60,no,cramp,5,2,calf:left,,,\n"
        b",2026-03-02T07:00:00Z,Europe/Berlin,60,no,cramp,15,2,calf:left,,,\n"
        b",2026-03-03T07:00:00Z,Europe/Berlin,60,no,itch,5,2,elbowz:left,,,\n"
        b",not a date,Europe/Berlin,,no,tic,5,0,eyelid:left,,,\n"
    )
    _write(tmp_path, "episodes.csv", header + rows)
    with pytest.raises(UserInputError) as caught:
        csvio.import_diary(db, tmp_path)
    bad_rows = {p.row for p in caught.value.problems}
    assert bad_rows == {3, 4, 5}
    message = str(caught.value)
    assert "intensity" in message and "elbowz" in message and "started_at" in message
    db.rollback()
    assert service.list_episodes(db) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"started_at,kind\n2026-03-01T07:00:00Z,cramp\n", "missing the column"),
        (
            "id,started_at,timezone,duration_s,ongoing,kind,intensity,pain,regions\n,2026-03-01T07:00:00Z,,,no,cramp,5,0,Wade\xe9\n".encode(
                "latin-1"
            ),
            "not UTF-8",
        ),
        (
            b"id,started_at,timezone,duration_s,ongoing,kind,intensity,pain,regions\n,2026-03-01T07:00:00Z,,,maybe,cramp,5,0,calf:left\n",
            "ongoing",
        ),
    ],
)
def test_malformed_files_get_clear_messages(db: Session, tmp_path: Path, content: bytes, expected: str) -> None:
    _write(tmp_path, "episodes.csv", content)
    with pytest.raises(UserInputError, match=expected):
        csvio.import_diary(db, tmp_path)


def test_checkin_rows_are_checked_against_factors(db: Session, tmp_path: Path) -> None:
    _write(tmp_path, "custom_factors.csv", b"id,name,kind,unit,archived\n,Cold,yesno,,no\n")
    _write(
        tmp_path,
        "checkins.csv",
        b"day,stress,custom:Cold,custom:Ghost\n2026-03-01,5,3,1\n2026-03-01,4,1,\n2026-03-02,x,1,\n",
    )
    with pytest.raises(UserInputError) as caught:
        csvio.import_diary(db, tmp_path)
    text = str(caught.value)
    assert "yes/no" in text and "Ghost" in text and "already a check-in" in text and "whole number" in text
    db.rollback()
    assert service.list_checkins(db) == [] and service.list_factors(db) == []
