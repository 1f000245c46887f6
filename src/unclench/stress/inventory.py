"""The life-stressor inventory and the plan it yields: remove, reduce, or manage with relaxation practice."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from unclench.core.errors import FieldProblem, UserInputError

DATA_FILE = Path(__file__).with_name("data") / "stressors.json"
SCALE_MAX = 4
# Leeway 3-4: you can probably remove it; 1-2: reduce it; 0: manage how you carry it.
REMOVE_FROM_LEEWAY = 3
REDUCE_FROM_LEEWAY = 1


@dataclass(frozen=True)
class Stressor:
    id: str
    area: str
    label: str
    remove: str
    reduce: str


@dataclass(frozen=True)
class Rating:
    stressor_id: str
    weight: int
    leeway: int


@dataclass(frozen=True)
class PlanItem:
    stressor: Stressor
    weight: int
    leeway: int
    action: str  # remove, reduce or manage
    suggestion: str
    href: str | None


@dataclass(frozen=True)
class Plan:
    remove: tuple[PlanItem, ...]
    reduce: tuple[PlanItem, ...]
    manage: tuple[PlanItem, ...]

    @property
    def empty(self) -> bool:
        return not (self.remove or self.reduce or self.manage)

    def as_dict(self) -> dict[str, Any]:
        def item(p: PlanItem) -> dict[str, Any]:
            return {
                "stressor": p.stressor.id,
                "label": p.stressor.label,
                "area": p.stressor.area,
                "weight": p.weight,
                "leeway": p.leeway,
                "action": p.action,
                "suggestion": p.suggestion,
                "href": p.href,
            }

        return {
            "remove": [item(p) for p in self.remove],
            "reduce": [item(p) for p in self.reduce],
            "manage": [item(p) for p in self.manage],
            "manage_source": load_inventory_data()["manage"]["source"],
        }


@lru_cache(maxsize=1)
def load_inventory_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def stressors() -> tuple[Stressor, ...]:
    return tuple(
        Stressor(id=s["id"], area=s["area"], label=s["label"], remove=s["remove"], reduce=s["reduce"])
        for s in load_inventory_data()["stressors"]
    )


def validate_ratings(raw: Mapping[str, Mapping[str, Any]]) -> list[Rating]:
    """Check {stressor_id: {"weight": 0-4, "leeway": 0-4}}; every problem is reported at once."""
    known = {s.id for s in stressors()}
    problems: list[FieldProblem] = []
    ratings: list[Rating] = []
    for stressor_id, values in raw.items():
        if stressor_id not in known:
            problems.append(
                FieldProblem(stressor_id, f"is not a known stressor; use one of {', '.join(sorted(known))}")
            )
            continue
        parsed: dict[str, int] = {}
        for key in ("weight", "leeway"):
            value = values.get(key)
            try:
                number = int(value) if value is not None and str(value).strip() != "" else None
            except (TypeError, ValueError):
                number = -1
            if number is None:
                problems.append(FieldProblem(f"{stressor_id}.{key}", "is required"))
            elif not 0 <= number <= SCALE_MAX:
                problems.append(FieldProblem(f"{stressor_id}.{key}", f"must be a whole number from 0 to {SCALE_MAX}"))
            else:
                parsed[key] = number
        if len(parsed) == 2:
            ratings.append(Rating(stressor_id, parsed["weight"], parsed["leeway"]))
    if problems:
        raise UserInputError(problems)
    return ratings


def make_plan(ratings: list[Rating]) -> Plan:
    """Sort weighing stressors (weight > 0) into remove / reduce / manage by leeway, heaviest first."""
    by_id = {s.id: s for s in stressors()}
    manage_text = load_inventory_data()["manage"]
    buckets: dict[str, list[PlanItem]] = {"remove": [], "reduce": [], "manage": []}
    for rating in sorted(ratings, key=lambda r: (-r.weight, r.leeway)):
        if rating.weight == 0:
            continue
        stressor = by_id[rating.stressor_id]
        if rating.leeway >= REMOVE_FROM_LEEWAY:
            item = PlanItem(stressor, rating.weight, rating.leeway, "remove", stressor.remove, None)
        elif rating.leeway >= REDUCE_FROM_LEEWAY:
            item = PlanItem(stressor, rating.weight, rating.leeway, "reduce", stressor.reduce, None)
        else:
            item = PlanItem(stressor, rating.weight, rating.leeway, "manage", manage_text["text"], manage_text["href"])
        buckets[item.action].append(item)
    return Plan(remove=tuple(buckets["remove"]), reduce=tuple(buckets["reduce"]), manage=tuple(buckets["manage"]))
