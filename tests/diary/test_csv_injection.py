"""Exports are safe to open in a spreadsheet (no cell runs as a formula) and import back to exactly the same diary."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from unclench.core import clock
from unclench.diary import csvio, service
from unclench.diary.schemas import CheckInIn, EpisodeIn, FactorIn

DANGEROUS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "＝1+1", "'=already"]
HARMLESS = ["'tis a cramp", "'", "a=b", "2-3", ""]


@pytest.mark.parametrize("text", DANGEROUS + HARMLESS)
def test_spreadsheet_safe_is_undone_exactly(text: str) -> None:
    safe = csvio.spreadsheet_safe(text)
    assert not safe.startswith(csvio.FORMULA_STARTS)
    assert csvio.from_spreadsheet_safe(safe) == text


@pytest.mark.parametrize("text", HARMLESS)
def test_cells_that_start_no_formula_are_written_as_they_are(text: str) -> None:
    assert csvio.spreadsheet_safe(text) == text == csvio.from_spreadsheet_safe(text)


def _diary_with_formulas(db: Session) -> None:
    started = clock.now() - timedelta(days=2)
    for number, text in enumerate(DANGEROUS):
        service.create_episode(
            db,
            EpisodeIn.model_validate(
                {
                    "started_at": started + timedelta(minutes=number),
                    "kind": "cramp",
                    "intensity": 4,
                    "regions": [{"region": "calf", "side": "left"}],
                    "notes": text,
                    "helped": text,
                }
            ),
        )
    service.create_factor(db, FactorIn(name="=1+1", kind="yesno", unit="@x"))
    service.upsert_checkin(
        db,
        CheckInIn(
            day=clock.today() - timedelta(days=1),
            notes="+44 123",
            exercise_type="-run",
            medications=["=cmd", "ibuprofen"],
            factors={"=1+1": 1},
        ),
    )
    db.commit()


def _cells(folder: Path) -> list[str]:
    cells = []
    for name in (csvio.EPISODES_FILE, csvio.CHECKINS_FILE, csvio.FACTORS_FILE):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        cells += [cell for row in rows[1:] for cell in row]
    return cells


def _empty_diary(db: Session) -> None:
    for episode in service.list_episodes(db):
        db.delete(episode)
    for checkin in service.list_checkins(db):
        db.delete(checkin)
    for factor in service.list_factors(db, include_archived=True):
        db.delete(factor)
    db.commit()


def test_export_neutralises_formulas_and_the_round_trip_is_lossless(db: Session, tmp_path: Path) -> None:
    _diary_with_formulas(db)
    first = tmp_path / "first"
    csvio.export_diary(db, first)
    cells = _cells(first)
    assert not [cell for cell in cells if cell.startswith(csvio.FORMULA_STARTS)]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells and "''=already" in cells
    notes_before = sorted(e.notes for e in service.list_episodes(db))
    _empty_diary(db)
    csvio.import_diary(db, first)
    db.commit()
    assert sorted(e.notes for e in service.list_episodes(db)) == notes_before
    [checkin] = service.list_checkins(db)
    assert (checkin.notes, checkin.exercise_type, checkin.medications) == ("+44 123", "-run", ["=cmd", "ibuprofen"])
    assert [(f.name, f.unit) for f in service.list_factors(db)] == [("=1+1", "@x")]
    second = tmp_path / "second"
    csvio.export_diary(db, second)
    for name in (csvio.EPISODES_FILE, csvio.CHECKINS_FILE, csvio.FACTORS_FILE):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_zip_download_is_neutralised_too(client: TestClient, db: Session) -> None:
    _diary_with_formulas(db)
    archive = zipfile.ZipFile(io.BytesIO(client.get("/reports/diary-csv.zip").content))
    text = archive.read(next(n for n in archive.namelist() if n.endswith(csvio.EPISODES_FILE))).decode()
    cells = [cell for row in list(csv.reader(io.StringIO(text)))[1:] for cell in row]
    assert "'@SUM(1+1)" in cells and "@SUM(1+1)" not in cells
