"""Diary CSV export and import: three files, lossless round trip, all-or-nothing import."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from unclench.body.taxonomy import split_region_side
from unclench.core import clock
from unclench.core.db import new_id
from unclench.core.errors import FieldProblem, UserInputError
from unclench.core.validation import check_moment, problems_from
from unclench.diary import service
from unclench.diary.models import CheckIn, CustomFactor, CustomFactorValue, Episode, EpisodeRegion
from unclench.diary.schemas import CheckInIn, EpisodeIn, FactorIn

EPISODES_FILE = "episodes.csv"
CHECKINS_FILE = "checkins.csv"
FACTORS_FILE = "custom_factors.csv"

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
FACTOR_COLUMNS = ["id", "name", "kind", "unit", "archived"]
CHECKIN_COLUMNS = ["day", *service.CHECKIN_FIELDS]
CUSTOM_PREFIX = "custom:"
LIST_SEPARATOR = "; "


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"), full-width forms
# included. Such a cell is written with a leading apostrophe, which spreadsheets show as text and the import removes.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
TEXT_MARK = "'"


def spreadsheet_safe(value: str) -> str:
    """`value` with one more leading apostrophe if, after its apostrophes, it would start a formula."""
    return TEXT_MARK + value if value.lstrip(TEXT_MARK).startswith(FORMULA_STARTS) else value


def from_spreadsheet_safe(value: str) -> str:
    """Undo `spreadsheet_safe`: a cell left untouched by it comes back unchanged."""
    if value.startswith(TEXT_MARK) and value.lstrip(TEXT_MARK).startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        # RFC 4180 line ends: with "\n" alone, csv leaves a lone "\r" in a note unquoted and the row breaks on import.
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)


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
    _write(
        folder / FACTORS_FILE,
        FACTOR_COLUMNS,
        [[f.id, f.name, f.kind, f.unit, "yes" if f.archived else "no"] for f in sorted(factors, key=lambda f: f.name)],
    )
    episodes = sorted(service.list_episodes(db), key=lambda e: (e.started_at, e.id))
    _write(
        folder / EPISODES_FILE,
        EPISODE_COLUMNS,
        [
            [
                e.id,
                _iso_utc(e.started_at),
                e.timezone,
                _number(e.duration_s),
                "yes" if e.ongoing else "no",
                e.kind,
                str(e.intensity),
                str(e.pain),
                LIST_SEPARATOR.join(f"{r.region_id}:{r.side}" for r in e.regions),
                e.helped,
                e.notes,
                _iso_utc(e.created_at),
            ]
            for e in episodes
        ],
    )
    factor_names = sorted(f.name for f in factors)
    checkins = service.list_checkins(db)
    rows = []
    for checkin in checkins:
        values = {v.factor.name: v.value for v in checkin.factor_values}
        row = [checkin.day.isoformat()]
        for field in service.CHECKIN_FIELDS:
            value = getattr(checkin, field)
            if field == "medications":
                row.append(LIST_SEPARATOR.join(value))
            elif isinstance(value, str):
                row.append(value)
            else:
                row.append(_number(value))
        row += [_number(values.get(name)) for name in factor_names]
        rows.append(row)
    _write(folder / CHECKINS_FILE, CHECKIN_COLUMNS + [CUSTOM_PREFIX + n for n in factor_names], rows)
    return ExportSummary(episodes=len(episodes), checkins=len(checkins), factors=len(factors), folder=folder)


# ---------------------------------------------------------------- import

MAX_LISTED_PROBLEMS = 100
"""A file with a million bad rows is answered with the first hundred and a count of the rest."""
BATCH_ROWS = 2000
"""Rows written per INSERT: big enough to be fast, small enough that memory stays flat."""
EPISODE_TABLE = cast(Table, Episode.__table__)
REGION_TABLE = cast(Table, EpisodeRegion.__table__)
ID_RULE = "must be empty or up to 32 letters, digits, '-' or '_'"


class _Problems:
    """Every problem is counted; the first MAX_LISTED_PROBLEMS are kept to be listed."""

    def __init__(self) -> None:
        self.listed: list[FieldProblem] = []
        self.count = 0

    def add(self, problem: FieldProblem) -> None:
        self.count += 1
        if len(self.listed) < MAX_LISTED_PROBLEMS:
            self.listed.append(problem)

    def extend(self, problems: Iterable[FieldProblem]) -> None:
        for problem in problems:
            self.add(problem)

    def __bool__(self) -> bool:
        return self.count > 0

    def raise_if_any(self) -> None:
        if not self.count:
            return
        listed = list(self.listed)
        if self.count > len(listed):
            listed.append(
                FieldProblem(
                    "files", f"… and {self.count - len(listed):,} more problems; fix these and import again to see them"
                )
            )
        raise UserInputError(listed)


def _rows(path: Path, required: list[str], problems: _Problems) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, values by column) for each row of a CSV file, read as a stream; unreadable parts become problems."""
    label = path.name
    number = 1
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                problems.add(
                    FieldProblem(
                        label, f"is missing the column(s) {', '.join(missing)}; expected at least {', '.join(required)}"
                    )
                )
                return
            for number, row in enumerate(reader, start=2):
                if None in row:
                    problems.add(FieldProblem(label, "has more values than columns", row=number))
                    continue
                # The apostrophe test inline: this runs for every cell of a million-row file.
                yield (
                    number,
                    {k: from_spreadsheet_safe(v) if v and v[0] == TEXT_MARK else (v or "") for k, v in row.items()},
                )
    except UnicodeDecodeError:
        problems.add(FieldProblem(label, "is not UTF-8 text; save it again as 'CSV UTF-8' and retry"))
    except csv.Error as exc:
        problems.add(FieldProblem(label, _csv_error_message(exc), row=number + 1))


def _csv_error_message(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return (
            f"has a value longer than {csv.field_size_limit():,} characters, which is no diary field "
            "(notes hold up to 5,000): is this the right file?"
        )
    return f"cannot be read as CSV from this row on ({exc})"


_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{0,32}")


def _valid_id(value: str) -> bool:
    return _ID_PATTERN.fullmatch(value) is not None


def _utc_moment(text: str) -> datetime:
    """An ISO time in the accepted range, read as UTC when it names no offset; ValueError says what is wrong."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be a time like 2026-03-01T08:30:00Z") from None
    check_moment(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False}.get(value.strip().lower())


def _problems(exc: ValidationError | UserInputError, file: str, row: int) -> list[FieldProblem]:
    found = exc.problems if isinstance(exc, UserInputError) else problems_from(exc, row=row)
    return [FieldProblem(f"{file}: {p.field}", p.message, row=row) for p in found]


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
    problems = _Problems()
    factors_by_name, new_factors = _read_factors(db, paths[FACTORS_FILE], problems)
    if not problems:
        db.add_all(new_factors)
        db.flush()
    episodes = _import_episodes(db, paths[EPISODES_FILE], problems) if paths[EPISODES_FILE].exists() else 0
    checkins: list[tuple[CheckInIn, dict[str, float]]] = []
    if paths[CHECKINS_FILE].exists():
        checkins = _read_checkins(db, paths[CHECKINS_FILE], factors_by_name, problems)
    problems.raise_if_any()
    for data_checkin, custom in checkins:
        checkin = CheckIn(day=data_checkin.day)
        for field in service.CHECKIN_FIELDS:
            setattr(checkin, field, getattr(data_checkin, field))
        checkin.factor_values = [
            CustomFactorValue(factor_id=factors_by_name[name].id, value=value) for name, value in custom.items()
        ]
        db.add(checkin)
    db.flush()
    return ImportSummary(episodes=episodes, checkins=len(checkins), factors=len(new_factors))


def _read_factors(db: Session, path: Path, problems: _Problems) -> tuple[dict[str, CustomFactor], list[CustomFactor]]:
    """The person's factors by name, the file's new ones added; and the new ones alone."""
    factors_by_name: dict[str, CustomFactor] = {f.name: f for f in service.list_factors(db, include_archived=True)}
    if not path.exists():
        return factors_by_name, []
    known_factor_ids = {f.id: f.name for f in factors_by_name.values()}
    new_factors: list[CustomFactor] = []
    first_row_of_id: dict[str, int] = {}
    first_row_of_name: dict[str, int] = {}
    for number, row in _rows(path, FACTOR_COLUMNS, problems):
        try:
            factor_in = FactorIn.model_validate({"name": row["name"], "kind": row["kind"], "unit": row["unit"]})
        except ValidationError as exc:
            problems.extend(_problems(exc, FACTORS_FILE, number))
            continue
        archived = _yes_no(row["archived"])
        if archived is None:
            problems.add(FieldProblem(f"{FACTORS_FILE}: archived", "must be yes or no", row=number))
            continue
        factor_id = row["id"]
        if not _valid_id(factor_id):
            problems.add(FieldProblem(f"{FACTORS_FILE}: id", ID_RULE, row=number))
            continue
        if factor_id and factor_id in first_row_of_id:
            problems.add(
                FieldProblem(
                    f"{FACTORS_FILE}: id",
                    f"'{factor_id}' is also the id on row {first_row_of_id[factor_id]}; each factor needs its own id",
                    row=number,
                )
            )
            continue
        if factor_in.name in first_row_of_name:
            problems.add(
                FieldProblem(
                    f"{FACTORS_FILE}: name",
                    f"'{factor_in.name}' is also the name on row {first_row_of_name[factor_in.name]}; "
                    "each factor needs its own name",
                    row=number,
                )
            )
            continue
        first_row_of_id[factor_id] = first_row_of_name[factor_in.name] = number
        if factor_in.name in factors_by_name:
            continue  # the person already tracks it; values will attach to the existing factor
        if factor_id in known_factor_ids:
            problems.add(
                FieldProblem(
                    f"{FACTORS_FILE}: id",
                    f"your factor '{known_factor_ids[factor_id]}' already has the id '{factor_id}'; "
                    "leave the id empty to give this one a new id",
                    row=number,
                )
            )
            continue
        new_factor = CustomFactor(
            id=factor_id or new_id(), name=factor_in.name, kind=factor_in.kind, unit=factor_in.unit, archived=archived
        )
        factors_by_name[factor_in.name] = new_factor
        new_factors.append(new_factor)
    return factors_by_name, new_factors


def _episode_in(number: int, row: dict[str, str], problems: _Problems) -> EpisodeIn | None:
    ongoing = _yes_no(row["ongoing"] or "no")
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
        problems.extend(_problems(exc, EPISODES_FILE, number))
        return None


def _import_episodes(db: Session, path: Path, problems: _Problems) -> int:
    """Validate every row of episodes.csv and write the good ones in batches until the first problem; the count."""
    existing_ids = set(db.scalars(select(Episode.id)))
    ids_in_file: set[str] = set()
    repeated: dict[str, list[int]] = {}  # id → rows after its first
    episode_rows: list[dict[str, Any]] = []
    region_rows: list[dict[str, Any]] = []
    written_at = clock.now()
    count = 0

    def write() -> None:
        if episode_rows and not problems:
            # Core inserts (not the ORM's bulk path): a third faster, and nothing is kept in the session.
            connection = db.connection()
            connection.execute(insert(EPISODE_TABLE), episode_rows)
            connection.execute(insert(REGION_TABLE), region_rows)
        episode_rows.clear()
        region_rows.clear()

    for number, row in _rows(path, EPISODE_COLUMNS[:9], problems):
        data = _episode_in(number, row, problems)
        episode_id = row["id"]
        if not _valid_id(episode_id):
            problems.add(FieldProblem(f"{EPISODES_FILE}: id", ID_RULE, row=number))
            continue
        created_at = written_at
        if row.get("created_at"):
            try:
                created_at = _utc_moment(row["created_at"])
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
                "created_at": created_at,
                "updated_at": written_at,
            }
        )
        region_rows += [
            {"episode_id": episode_id, "region_id": item.region, "side": item.side or "centre", "position": position}
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
    for number, row in _rows(path, ["id"], _Problems()):
        if row["id"] in ids:
            found.setdefault(row["id"], number)
    return found


def _read_checkins(
    db: Session, path: Path, factors_by_name: dict[str, CustomFactor], problems: _Problems
) -> list[tuple[CheckInIn, dict[str, float]]]:
    """Validated check-ins with their custom factor values (at most one a day since 1900, so they fit in memory)."""
    checkins: list[tuple[CheckInIn, dict[str, float]]] = []
    existing_days = set(db.scalars(select(CheckIn.day)))
    seen_days: set[date] = set()
    for number, row in _rows(path, ["day"], problems):
        raw: dict[str, Any] = {"day": row["day"]}
        for field in service.CHECKIN_FIELDS:
            value = row.get(field, "")
            if field == "medications":
                raw[field] = [m for m in value.split(";") if m.strip()]
            elif field in ("exercise_type", "notes"):
                raw[field] = value
            elif value.strip():
                raw[field] = value.strip()
        custom: dict[str, float] = {}
        for column, value in row.items():
            if column.startswith(CUSTOM_PREFIX) and value.strip():
                name = column[len(CUSTOM_PREFIX) :]
                known = factors_by_name.get(name)
                try:
                    number_value = float(value)
                except ValueError:
                    problems.add(FieldProblem(f"{CHECKINS_FILE}: {column}", "must be a number", row=number))
                    continue
                if known is None:
                    problems.add(
                        FieldProblem(
                            f"{CHECKINS_FILE}: {column}",
                            f"'{name}' is not in {FACTORS_FILE} nor among your factors",
                            row=number,
                        )
                    )
                elif (reason := service.check_factor_value(known, number_value)) is not None:
                    problems.add(FieldProblem(f"{CHECKINS_FILE}: {column}", reason, row=number))
                else:
                    custom[name] = number_value
        try:
            data_checkin = CheckInIn.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_problems(exc, CHECKINS_FILE, number))
            continue
        if data_checkin.day in existing_days or data_checkin.day in seen_days:
            problems.add(
                FieldProblem(f"{CHECKINS_FILE}: day", f"there is already a check-in for {data_checkin.day}", row=number)
            )
            continue
        seen_days.add(data_checkin.day)
        checkins.append((data_checkin, custom))
    return checkins
