"""Turn Pydantic validation failures into UserInputError with plain-words messages."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from unclench.core.errors import FieldProblem, UserInputError

ModelT = TypeVar("ModelT", bound=BaseModel)

_FRIENDLY = {
    "int_parsing": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be yes or no",
    "date_from_datetime_parsing": "must be a date like 2026-03-01",
    "date_parsing": "must be a date like 2026-03-01",
    "datetime_from_date_parsing": "must be a date and time like 2026-03-01T08:30",
    "datetime_parsing": "must be a date and time like 2026-03-01T08:30",
    "missing": "is required",
    "string_too_long": "is too long",
    "too_short": "needs at least one entry",
}


def problems_from(exc: ValidationError, *, row: int | None = None) -> list[FieldProblem]:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "input"
        kind = error["type"]
        if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            ctx = error.get("ctx", {})
            bound = next(iter(ctx.values()), "")
            relation = {
                "greater_than_equal": "at least",
                "less_than_equal": "at most",
                "greater_than": "more than",
                "less_than": "less than",
            }[kind]
            message = f"must be {relation} {bound}"
        elif kind == "literal_error":
            message = f"must be one of {error.get('ctx', {}).get('expected', '')}"
        elif kind == "value_error":
            message = str(error.get("ctx", {}).get("error", error["msg"]))
        else:
            message = _FRIENDLY.get(kind, error["msg"])
        problems.append(FieldProblem(field=field, message=message, row=row))
    return problems


def parse_input(schema: type[ModelT], data: Any, *, row: int | None = None) -> ModelT:
    """Validate raw input (form, CLI options, CSV row) against a schema, or raise UserInputError."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise UserInputError(problems_from(exc, row=row)) from None
