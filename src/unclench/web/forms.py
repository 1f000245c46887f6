"""One path for posted input on pages: read it, validate it with `parse_input`, keep what was typed, errors per field.

A view takes the body as its `PostedForm` parameter (read on the event loop before the view runs, so the view itself
is a plain `def` that FastAPI runs in a worker thread: no database statement ever waits on the loop), then runs its
service calls through `Form.submit` (schema + action) or `Form.save` (action only). A `UserInputError` from validation
or from a service undoes everything the attempt wrote and becomes the form's problems, so the view re-renders the
page with the input kept and status 422 (`form_page`). Views never roll back themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from unclench.core.errors import FieldProblem, UserInputError
from unclench.core.validation import parse_input
from unclench.web.security import CSRF_FIELD
from unclench.web.templating import render

ModelT = TypeVar("ModelT", bound=BaseModel)
ResultT = TypeVar("ResultT")


def field_key(name: str) -> str:
    """The form field a problem belongs to: a list item's problem (`regions.0.side`) is shown at its list."""
    head, _, rest = name.partition(".")
    return head if rest.split(".")[0].isdigit() else name


def field_errors(problems: Collection[FieldProblem], *, labelled: bool = False) -> dict[str, str]:
    """The first problem per form field; `labelled` keeps the row and field name in the message."""
    errors: dict[str, str] = {}
    for problem in problems:
        errors.setdefault(field_key(problem.field), str(problem) if labelled else problem.message)
    return errors


@dataclass
class Form:
    """A posted form: the input as typed (shown again on an error) and the problems found with it."""

    values: dict[str, Any]
    problems: list[FieldProblem] = field(default_factory=list)
    # every posted value per name, for `with_lists`; None for a JSON body, whose lists are in `values` already
    posted_lists: dict[str, list[str]] | None = None

    def with_lists(self, *names: str) -> Form:
        """Each name in `names` as the list of its posted values (a checkbox group), even when one or none was sent."""
        if self.posted_lists is not None:
            for name in names:
                self.values[name] = list(self.posted_lists.get(name, []))
        return self

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def errors(self) -> dict[str, str]:
        return field_errors(self.problems)

    def text(self, name: str, default: str = "") -> str:
        """One field as typed ('' for a field that was not sent)."""
        value = self.values.get(name, default)
        return value if isinstance(value, str) else default

    def save(self, db: Session, action: Callable[[], ResultT]) -> ResultT | None:
        """`action()`, or None with the problems kept if it raised UserInputError; then nothing it wrote stays."""
        try:
            return action()
        except UserInputError as exc:
            # The request's session commits when the route returns; the page shown next must not see (nor
            # save) what this attempt half-wrote.
            db.rollback()
            self.problems.extend(exc.problems)
            return None

    def submit(
        self, db: Session, schema: type[ModelT], action: Callable[[ModelT], ResultT], *, data: Any = None
    ) -> ResultT | None:
        """Validate `data` (default: the values as typed) against `schema`, then `action(valid)`, as `save`."""
        source = self.values if data is None else data
        return self.save(db, lambda: action(parse_input(schema, source)))


async def read_form(request: Request) -> Form:
    """The posted form (or JSON object) as {name: text}; a checkbox group's values by `Form.with_lists`."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:  # not JSON at all (or not UTF-8): said in words, never a server error
            raise UserInputError.single("input", "the body is not valid JSON: send one JSON object") from None
        if not isinstance(body, dict):
            raise UserInputError.single("input", "send a JSON object with one key per field")
        return Form({key: value for key, value in body.items() if key != CSRF_FIELD})
    posted = await request.form()
    # The CSRF token was checked by the guard before the route ran; it is not one of the form's fields.
    values: dict[str, Any] = {
        key: value for key, value in posted.items() if isinstance(value, str) and key != CSRF_FIELD
    }
    every: dict[str, list[str]] = {}
    for key, value in posted.multi_items():
        if isinstance(value, str) and key != CSRF_FIELD:
            every.setdefault(key, []).append(value)
    return Form(values, posted_lists=every)


# Use this in routes that take a form: `form: PostedForm`, with the route a plain `def`.
PostedForm = Annotated[Form, Depends(read_form)]


def form_page(
    request: Request, template: str, context: dict[str, Any], form: Form | None = None, *, status: int | None = None
) -> HTMLResponse:
    """A page holding a form: `values` and `errors` from `form` (empty without one); 422 when it has problems."""
    values = form.values if form is not None else {}
    errors = form.errors if form is not None else {}
    code = status if status is not None else (422 if form is not None and not form.ok else 200)
    return render(request, template, {"values": values, "errors": errors, **context}, status_code=code)
