"""What every diary CSV file shares: the dialect, formula-cell neutralisation, cell formats and row-problem collection."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from unclench.core.errors import FieldProblem, UserInputError
from unclench.core.validation import check_moment, problems_from

LIST_SEPARATOR = "; "
MAX_LISTED_PROBLEMS = 100
"""A file with a million bad rows is answered with the first hundred and a count of the rest."""
ID_RULE = "must be empty or up to 32 letters, digits, '-' or '_'"

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


# ---------------------------------------------------------------- writing


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def number_cell(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        # RFC 4180 line ends: with "\n" alone, csv leaves a lone "\r" in a note unquoted and the row breaks on import.
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)


# ---------------------------------------------------------------- reading


class Problems:
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


def read_rows(path: Path, required: list[str], problems: Problems) -> Iterator[tuple[int, dict[str, str]]]:
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


def valid_id(value: str) -> bool:
    return _ID_PATTERN.fullmatch(value) is not None


def utc_moment(text: str) -> datetime:
    """An ISO time in the accepted range, read as UTC when it names no offset; ValueError says what is wrong."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be a time like 2026-03-01T08:30:00Z") from None
    check_moment(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False}.get(value.strip().lower())


def row_problems(exc: ValidationError | UserInputError, file: str, row: int) -> list[FieldProblem]:
    """The validation problems of one row, each named by file and field."""
    found = exc.problems if isinstance(exc, UserInputError) else problems_from(exc, row=row)
    return [FieldProblem(f"{file}: {p.field}", p.message, row=row) for p in found]
