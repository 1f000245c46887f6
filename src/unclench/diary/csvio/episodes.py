"""episodes.csv: one row per episode, imported as a stream in batches so that memory stays flat."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from unclench.body.taxonomy import split_region_side
from unclench.core import clock
from unclench.core.db import new_id, owner_id
from unclench.core.errors import FieldProblem
from unclench.diary import service
from unclench.diary.csvio.common import (
    ID_RULE,
    LIST_SEPARATOR,
    Problems,
    iso_utc,
    number_cell,
    read_rows,
    row_problems,
    utc_moment,
    valid_id,
    write_csv,
    yes_no,
)
from unclench.diary.models import Episode, EpisodeRegion
from unclench.diary.schemas import EpisodeIn

EPISODES_FILE = "episodes.csv"
EPISODE_COLUMNS = [
    "id",
    "started_at",
    "timezone",
    "duration_s",
    "ongoing",
    "kind",
    "intensity",
    "pain",
    "regions",
    "helped",
    "notes",
    "created_at",
]
BATCH_ROWS = 2000
"""Rows written per INSERT: big enough to be fast, small enough that memory stays flat."""
EPISODE_TABLE = cast(Table, Episode.__table__)
REGION_TABLE = cast(Table, EpisodeRegion.__table__)


def write_episodes(path: Path, episodes: Iterable[Episode]) -> int:
    """One row per episode, oldest first; the number written."""
    ordered = sorted(episodes, key=lambda e: (e.started_at, e.id))
    write_csv(
        path,
        EPISODE_COLUMNS,
        [
            [
                e.id,
                iso_utc(e.started_at),
                e.timezone,
                number_cell(e.duration_s),
                "yes" if e.ongoing else "no",
                e.kind,
                str(e.intensity),
                str(e.pain),
                LIST_SEPARATOR.join(f"{r.region_id}:{r.side}" for r in e.regions),
                e.helped,
                e.notes,
                iso_utc(e.created_at),
            ]
            for e in ordered
        ],
    )
    return len(ordered)


def _episode_in(number: int, row: dict[str, str], problems: Problems) -> EpisodeIn | None:
    ongoing = yes_no(row["ongoing"] or "no")
    parts = (split_region_side(part) for part in row["regions"].split(";") if part.strip())
    regions = [{"region": region, "side": side} for region, side in parts]
    raw = {
        "started_at": row["started_at"],
        "timezone": row["timezone"] or None,
        "duration_s": row["duration_s"] or None,
        "ongoing": ongoing if ongoing is not None else row["ongoing"],
        "kind": row["kind"],
        "intensity": row["intensity"],
        "pain": row["pain"] or 0,
        "regions": regions,
        "helped": row.get("helped", ""),
        "notes": row.get("notes", ""),
    }
    try:
        return EpisodeIn.model_validate(raw)
    except ValidationError as exc:
        problems.extend(row_problems(exc, EPISODES_FILE, number))
        return None


def import_episodes(db: Session, path: Path, problems: Problems) -> int:
    """Validate every row of episodes.csv and write the good ones in batches until the first problem; the count."""
    existing_ids = set(db.scalars(select(Episode.id)))
    ids_in_file: set[str] = set()
    repeated: dict[str, list[int]] = {}  # id → rows after its first
    episode_rows: list[dict[str, Any]] = []
    region_rows: list[dict[str, Any]] = []
    written_at = clock.now()
    owner = owner_id(db)  # Core inserts skip the ORM flush that stamps the owner: name it here
    count = 0

    def write() -> None:
        if episode_rows and not problems:
            # Core inserts (not the ORM's bulk path): a third faster, and nothing is kept in the session.
            connection = db.connection()
            connection.execute(insert(EPISODE_TABLE), episode_rows)
            connection.execute(insert(REGION_TABLE), region_rows)
        episode_rows.clear()
        region_rows.clear()

    for number, row in read_rows(path, EPISODE_COLUMNS[:9], problems):
        data = _episode_in(number, row, problems)
        episode_id = row["id"]
        if not valid_id(episode_id):
            problems.add(FieldProblem(f"{EPISODES_FILE}: id", ID_RULE, row=number))
            continue
        created_at = written_at
        if row.get("created_at"):
            try:
                created_at = utc_moment(row["created_at"])
            except ValueError as exc:
                problems.add(FieldProblem(f"{EPISODES_FILE}: created_at", str(exc), row=number))
                continue
        if episode_id in ids_in_file:
            repeated.setdefault(episode_id, []).append(number)
            continue
        if episode_id in existing_ids:
            problems.add(
                FieldProblem(
                    f"{EPISODES_FILE}: id",
                    "this episode is already in the diary (was this file imported before?)",
                    row=number,
                )
            )
            continue
        if data is None:
            continue
        if episode_id:
            ids_in_file.add(episode_id)
        count += 1
        if problems:
            continue  # nothing will be written: keep checking the rest so that every bad row is listed
        episode_id = episode_id or new_id()
        episode_rows.append(
            {
                **service.episode_columns(data),
                "id": episode_id,
                "person_id": owner,
                "created_at": created_at,
                "updated_at": written_at,
            }
        )
        region_rows += [
            {
                "episode_id": episode_id,
                "person_id": owner,
                "region_id": item.region,
                "side": item.side or "centre",
                "position": position,
            }
            for position, item in enumerate(data.regions)
        ]
        if len(episode_rows) >= BATCH_ROWS:
            write()
    write()
    if repeated:
        first_rows = _first_rows_of(path, set(repeated))
        for episode_id, numbers in repeated.items():
            for number in numbers:
                problems.add(
                    FieldProblem(
                        f"{EPISODES_FILE}: id",
                        f"'{episode_id}' is also the id on row {first_rows[episode_id]}; each episode needs its own id",
                        row=number,
                    )
                )
    return count


def _first_rows_of(path: Path, ids: set[str]) -> dict[str, int]:
    """The first row holding each of `ids` (a second pass, only when ids repeat, to keep the first pass lean)."""
    found: dict[str, int] = {}
    for number, row in read_rows(path, ["id"], Problems()):
        if row["id"] in ids:
            found.setdefault(row["id"], number)
    return found
