"""custom_factors.csv: the person's own check-in factors."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from unclench.core.db import new_id
from unclench.core.errors import FieldProblem
from unclench.diary import service
from unclench.diary.csvio.common import ID_RULE, Problems, read_rows, row_problems, valid_id, write_csv, yes_no
from unclench.diary.models import CustomFactor
from unclench.diary.schemas import FactorIn

FACTORS_FILE = "custom_factors.csv"
FACTOR_COLUMNS = ["id", "name", "kind", "unit", "archived"]


def write_factors(path: Path, factors: Iterable[CustomFactor]) -> None:
    """One row per factor, by name."""
    write_csv(
        path,
        FACTOR_COLUMNS,
        [[f.id, f.name, f.kind, f.unit, "yes" if f.archived else "no"] for f in sorted(factors, key=lambda f: f.name)],
    )


def read_factors(db: Session, path: Path, problems: Problems) -> tuple[dict[str, CustomFactor], list[CustomFactor]]:
    """The person's factors by name, the file's new ones added; and the new ones alone."""
    factors_by_name: dict[str, CustomFactor] = {f.name: f for f in service.list_factors(db, include_archived=True)}
    if not path.exists():
        return factors_by_name, []
    known_factor_ids = {f.id: f.name for f in factors_by_name.values()}
    new_factors: list[CustomFactor] = []
    first_row_of_id: dict[str, int] = {}
    first_row_of_name: dict[str, int] = {}
    for number, row in read_rows(path, FACTOR_COLUMNS, problems):
        try:
            factor_in = FactorIn.model_validate({"name": row["name"], "kind": row["kind"], "unit": row["unit"]})
        except ValidationError as exc:
            problems.extend(row_problems(exc, FACTORS_FILE, number))
            continue
        archived = yes_no(row["archived"])
        if archived is None:
            problems.add(FieldProblem(f"{FACTORS_FILE}: archived", "must be yes or no", row=number))
            continue
        factor_id = row["id"]
        if not valid_id(factor_id):
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
