"""The one path for posted input: values kept as typed, errors per field, nothing half-written."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from unclench.core.errors import FieldProblem, UserInputError
from unclench.core.validation import parse_input
from unclench.diary import service
from unclench.diary.schemas import FactorIn
from unclench.web.forms import Form, PostedForm, field_errors


class Dose(BaseModel):
    name: str = Field(min_length=1)
    count: int = Field(ge=1)


def _echo_app() -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    def echo(form: PostedForm) -> dict[str, Any]:  # as every route takes a form: a plain def, on a worker thread
        form.with_lists("tags")
        parsed = None
        try:
            parsed = parse_input(Dose, form.values).model_dump()
        except UserInputError as exc:
            form.problems.extend(exc.problems)
        return {"values": form.values, "errors": form.errors, "parsed": parsed}

    return app


def test_a_list_item_problem_is_shown_at_its_list_and_the_first_problem_wins() -> None:
    problems = [
        FieldProblem("regions.0.side", "use left or right"),
        FieldProblem("regions.1.region", "unknown region"),
        FieldProblem("factors.Coffee", "must be a number"),
        FieldProblem("neck.weight", "is required", row=3),
    ]
    assert field_errors(problems) == {
        "regions": "use left or right",
        "factors.Coffee": "must be a number",
        "neck.weight": "is required",
    }
    assert field_errors(problems, labelled=True)["neck.weight"] == "row 3, neck.weight: is required"


def test_a_form_and_a_json_body_are_read_the_same_way_and_kept_as_typed() -> None:
    client = TestClient(_echo_app())
    posted = client.post("/echo", data={"name": "Magnesium", "count": "two", "tags": ["a", "b"]}).json()
    assert posted["values"] == {"name": "Magnesium", "count": "two", "tags": ["a", "b"]}
    # a checkbox group is a list however many boxes were ticked
    assert client.post("/echo", data={"name": "M", "count": "1", "tags": "a"}).json()["values"]["tags"] == ["a"]
    assert client.post("/echo", data={"name": "M", "count": "1"}).json()["values"]["tags"] == []
    assert posted["errors"] == {"count": "must be a whole number"} and posted["parsed"] is None
    sent = client.post("/echo", json={"name": "Magnesium", "count": 2}).json()
    assert sent["parsed"] == {"name": "Magnesium", "count": 2} and sent["errors"] == {}


def test_a_refused_attempt_leaves_nothing_written_and_keeps_the_input(db: Session) -> None:
    form = Form({"name": "Coffee", "kind": "number", "unit": "cups"})

    def save_then_refuse(valid: FactorIn) -> None:
        service.create_factor(db, valid)  # flushed: visible in this transaction until the attempt is undone
        raise UserInputError.single("unit", "is not a unit")

    assert form.submit(db, FactorIn, save_then_refuse) is None
    assert service.list_factors(db) == []
    assert form.errors == {"unit": "is not a unit"} and form.values["name"] == "Coffee"
    saved = form.submit(db, FactorIn, lambda valid: service.create_factor(db, valid))
    assert saved is not None and [f.name for f in service.list_factors(db)] == ["Coffee"]


def test_schema_problems_come_back_per_field_without_calling_the_action(db: Session) -> None:
    form = Form({"name": "", "kind": "colour"})
    assert form.submit(db, FactorIn, lambda valid: service.create_factor(db, valid)) is None
    assert set(form.errors) == {"name", "kind"} and not form.ok


def test_a_form_route_given_a_body_that_is_not_json_says_so_and_saves_nothing(client: TestClient, db: Session) -> None:
    for body in (b"{broken", b"\xff\xfe"):
        answer = client.post("/factors", content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 422 and "not valid JSON" in answer.text, answer.text
    assert service.list_factors(db) == []
