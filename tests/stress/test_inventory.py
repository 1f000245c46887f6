"""Life-stressor inventory: ratings are checked, and the plan sorts stressors by leeway."""

from __future__ import annotations

import pytest

from unclench.core.errors import UserInputError
from unclench.stress.inventory import make_plan, stressors, validate_ratings


def test_inventory_has_the_issue_sources_at_work_and_home() -> None:
    work = {s.id for s in stressors() if s.area == "work"}
    home = {s.id for s in stressors() if s.area == "home"}
    assert work == {"deadlines", "message_flood", "job_insecurity", "work_conflict", "workload"}
    assert home == {"relationships", "neighbours", "children", "family_illness", "isolation", "money"}


def test_plan_buckets_by_leeway_heaviest_first() -> None:
    ratings = validate_ratings(
        {
            "message_flood": {"weight": 3, "leeway": 4},
            "deadlines": {"weight": 4, "leeway": 3},
            "workload": {"weight": 2, "leeway": 2},
            "job_insecurity": {"weight": 4, "leeway": 0},
            "money": {"weight": 1, "leeway": 1},
            "neighbours": {"weight": 0, "leeway": 0},
        }
    )
    plan = make_plan(ratings)
    assert [p.stressor.id for p in plan.remove] == ["deadlines", "message_flood"]
    assert [p.stressor.id for p in plan.reduce] == ["workload", "money"]
    assert [p.stressor.id for p in plan.manage] == ["job_insecurity"]
    assert plan.manage[0].href == "/sessions"
    assert "can help many people relax" in plan.manage[0].suggestion
    assert all(p.stressor.id != "neighbours" for p in (*plan.remove, *plan.reduce, *plan.manage))
    assert plan.as_dict()["manage_source"]["url"].startswith("https://")


def test_empty_plan() -> None:
    assert make_plan([]).empty


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"bananas": {"weight": 1, "leeway": 1}}, "bananas"),
        ({"money": {"weight": 5, "leeway": 1}}, "money.weight"),
        ({"money": {"weight": 1}}, "money.leeway"),
        ({"money": {"weight": "lots", "leeway": 1}}, "money.weight"),
    ],
)
def test_bad_ratings_are_refused(raw: dict[str, dict[str, object]], field: str) -> None:
    with pytest.raises(UserInputError) as info:
        validate_ratings(raw)  # type: ignore[arg-type]
    assert info.value.problems[0].field == field
