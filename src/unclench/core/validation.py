"""Turn Pydantic validation failures into UserInputError with plain-words messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ValidationError

from unclench.core import clock
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


# ---------------------------------------------------------------- the range of dates the app accepts

EARLIEST_DAY = date(1900, 1, 1)
"""No diary entry, check-in or period starts before this day (pandas and time zones break near year 1)."""


def latest_day() -> date:
    """The last day any input may fall on: the person's today + 1 day (clock drift and time zones)."""
    return clock.today() + timedelta(days=1)


def check_day(value: date) -> date:
    """`value` if it lies in EARLIEST_DAY..latest_day(), else ValueError saying what is allowed."""
    if EARLIEST_DAY <= value < clock.now().date():
        return value  # before the UTC date, so before the person's today in any zone: the common case, made cheap
    last = latest_day()
    if value < EARLIEST_DAY:
        raise ValueError(f"{value.isoformat()} is too early: use a date from {EARLIEST_DAY.isoformat()} to {last}")
    if value > last:
        raise ValueError(f"{value.isoformat()} is in the future: use a date from {EARLIEST_DAY.isoformat()} to {last}")
    return value


def check_moment(value: datetime) -> datetime:
    """`value` if its calendar date (as written, before any zone conversion) passes `check_day`."""
    check_day(value.date())
    return value


# ---------------------------------------------------------------- free text


def refuse_nul(value: str) -> str:
    """`value` unless it holds a NUL character, which no person types and PostgreSQL cannot store in text."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character (\\x00)")
    return value


PlainText = Annotated[str, AfterValidator(refuse_nul)]
"""Free text a person writes (notes, names): any characters but NUL, the same on SQLite and PostgreSQL."""


# ---------------------------------------------------------------- validation errors in plain words


def friendly_message(error: Mapping[str, Any]) -> str:
    """One Pydantic (or FastAPI request) error as a plain-words message."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()), "")
        relation = {
            "greater_than_equal": "at least",
            "less_than_equal": "at most",
            "greater_than": "more than",
            "less_than": "less than",
        }[kind]
        return f"must be {relation} {bound}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "finite_number":
        return "must be a finite number (not NaN or Infinity)"
    return _FRIENDLY.get(kind, str(error["msg"]))


def field_name(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc) or "input"


def problems_from(exc: ValidationError, *, row: int | None = None) -> list[FieldProblem]:
    return [FieldProblem(field=field_name(e["loc"]), message=friendly_message(e), row=row) for e in exc.errors()]


def parse_input(schema: type[ModelT], data: Any, *, row: int | None = None) -> ModelT:
    """Validate raw input (form, CLI options, CSV row) against a schema, or raise UserInputError."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise UserInputError(problems_from(exc, row=row)) from None
