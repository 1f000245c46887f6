"""Errors a user can understand and fix."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    """One thing wrong with one input field (or CSV row/column)."""

    field: str
    message: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}: {self.message}"


@dataclass
class UserInputError(Exception):
    """Input was rejected; nothing was written. Carries every problem found, not just the first."""

    problems: list[FieldProblem] = field(default_factory=list)

    @classmethod
    def single(cls, field_name: str, message: str) -> UserInputError:
        return cls([FieldProblem(field_name, message)])

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems)


class NotFoundError(LookupError):
    """A record the user asked for does not exist (or was deleted)."""
