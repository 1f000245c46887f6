"""Diary CSV export and import: three files, lossless round trip, all-or-nothing import.

One module per file (`episodes`, `checkins`, `factors`: its columns, writer and reader), what they share in
`common`; this module composes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from unclench.core.errors import UserInputError
from unclench.diary import service
from unclench.diary.csvio.checkins import (
    CHECKIN_COLUMNS,
    CHECKINS_FILE,
    CUSTOM_PREFIX,
    ReadCheckIn,
    add_checkins,
    read_checkins,
    write_checkins,
)
from unclench.diary.csvio.common import (
    FORMULA_STARTS,
    ID_RULE,
    LIST_SEPARATOR,
    MAX_LISTED_PROBLEMS,
    TEXT_MARK,
    Problems,
    from_spreadsheet_safe,
    spreadsheet_safe,
)
from unclench.diary.csvio.episodes import (
    BATCH_ROWS,
    EPISODE_COLUMNS,
    EPISODE_TABLE,
    EPISODES_FILE,
    REGION_TABLE,
    import_episodes,
    write_episodes,
)
from unclench.diary.csvio.factors import FACTOR_COLUMNS, FACTORS_FILE, read_factors, write_factors

__all__ = [
    "BATCH_ROWS",
    "CHECKINS_FILE",
    "CHECKIN_COLUMNS",
    "CUSTOM_PREFIX",
    "EPISODES_FILE",
    "EPISODE_COLUMNS",
    "EPISODE_TABLE",
    "FACTORS_FILE",
    "FACTOR_COLUMNS",
    "FORMULA_STARTS",
    "ID_RULE",
    "LIST_SEPARATOR",
    "MAX_LISTED_PROBLEMS",
    "REGION_TABLE",
    "TEXT_MARK",
    "ExportSummary",
    "ImportSummary",
    "export_diary",
    "from_spreadsheet_safe",
    "import_diary",
    "spreadsheet_safe",
]


@dataclass
class ExportSummary:
    episodes: int
    checkins: int
    factors: int
    folder: Path


def export_diary(db: Session, folder: Path) -> ExportSummary:
    """Write episodes.csv, checkins.csv and custom_factors.csv into `folder` (UTF-8, ordered, stable)."""
    folder.mkdir(parents=True, exist_ok=True)
    factors = service.list_factors(db, include_archived=True)
    write_factors(folder / FACTORS_FILE, factors)
    episodes = write_episodes(folder / EPISODES_FILE, service.list_episodes(db))
    checkins = service.list_checkins(db)
    write_checkins(folder / CHECKINS_FILE, checkins, sorted(f.name for f in factors))
    return ExportSummary(episodes=episodes, checkins=len(checkins), factors=len(factors), folder=folder)


@dataclass
class ImportSummary:
    episodes: int
    checkins: int
    factors: int


def import_diary(db: Session, folder: Path) -> ImportSummary:
    """Import a folder written by export_diary. Any bad row: nothing is written, and every bad row is reported.

    The episodes file is read and written as a stream in batches, so memory stays flat however long it is.
    Rows go into the caller's transaction; on any problem this raises UserInputError before the caller commits,
    and the caller's rollback (session_scope, request_session) removes the rows already sent.
    """
    if not folder.is_dir():
        raise UserInputError.single("folder", f"{folder} is not a folder; give the folder that holds {EPISODES_FILE}")
    paths = {name: folder / name for name in (EPISODES_FILE, CHECKINS_FILE, FACTORS_FILE)}
    if not paths[EPISODES_FILE].exists() and not paths[CHECKINS_FILE].exists():
        raise UserInputError.single("folder", f"{folder} holds neither {EPISODES_FILE} nor {CHECKINS_FILE}")
    problems = Problems()
    factors_by_name, new_factors = read_factors(db, paths[FACTORS_FILE], problems)
    if not problems:
        db.add_all(new_factors)
        db.flush()
    episodes = import_episodes(db, paths[EPISODES_FILE], problems) if paths[EPISODES_FILE].exists() else 0
    checkins: list[ReadCheckIn] = []
    if paths[CHECKINS_FILE].exists():
        checkins = read_checkins(db, paths[CHECKINS_FILE], factors_by_name, problems)
    problems.raise_if_any()
    add_checkins(db, checkins, factors_by_name)
    db.flush()
    return ImportSummary(episodes=episodes, checkins=len(checkins), factors=len(new_factors))
