"""checkins.csv: one row per day, the fixed check-in fields then one `custom:<name>` column per custom factor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from unclench.core.errors import FieldProblem
from unclench.diary import service
from unclench.diary.csvio.common import LIST_SEPARATOR, Problems, number_cell, read_rows, row_problems, write_csv
from unclench.diary.csvio.factors import FACTORS_FILE
from unclench.diary.models import CheckIn, CustomFactor, CustomFactorValue
from unclench.diary.schemas import CheckInIn

CHECKINS_FILE = "checkins.csv"
CHECKIN_COLUMNS = ["day", *service.CHECKIN_FIELDS]
CUSTOM_PREFIX = "custom:"

ReadCheckIn = tuple[CheckInIn, dict[str, float]]
"""A validated check-in and its custom factor values by factor name."""


def write_checkins(path: Path, checkins: Sequence[CheckIn], factor_names: list[str]) -> None:
    """One row per check-in, a column for each of `factor_names` (sorted) after the fixed fields."""
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
                row.append(number_cell(value))
        row += [number_cell(values.get(name)) for name in factor_names]
        rows.append(row)
    write_csv(path, CHECKIN_COLUMNS + [CUSTOM_PREFIX + n for n in factor_names], rows)


def read_checkins(
    db: Session, path: Path, factors_by_name: dict[str, CustomFactor], problems: Problems
) -> list[ReadCheckIn]:
    """Validated check-ins with their custom factor values (at most one a day since 1900, so they fit in memory)."""
    checkins: list[ReadCheckIn] = []
    existing_days = set(db.scalars(select(CheckIn.day)))
    seen_days: set[date] = set()
    for number, row in read_rows(path, ["day"], problems):
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
            problems.extend(row_problems(exc, CHECKINS_FILE, number))
            continue
        if data_checkin.day in existing_days or data_checkin.day in seen_days:
            problems.add(
                FieldProblem(f"{CHECKINS_FILE}: day", f"there is already a check-in for {data_checkin.day}", row=number)
            )
            continue
        seen_days.add(data_checkin.day)
        checkins.append((data_checkin, custom))
    return checkins


def add_checkins(db: Session, checkins: Iterable[ReadCheckIn], factors_by_name: dict[str, CustomFactor]) -> None:
    """Add checked rows from `read_checkins` to the session, their values attached to the factors by name."""
    for data_checkin, custom in checkins:
        checkin = CheckIn(day=data_checkin.day)
        for field in service.CHECKIN_FIELDS:
            setattr(checkin, field, getattr(data_checkin, field))
        checkin.factor_values = [
            CustomFactorValue(factor_id=factors_by_name[name].id, value=value) for name, value in custom.items()
        ]
        db.add(checkin)
