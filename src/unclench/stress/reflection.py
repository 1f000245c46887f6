"""Reflection prompts by body region, from the psychosomatic tradition (labelled as such; never about illness)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from unclench.body.taxonomy import get_region

DATA_FILE = Path(__file__).with_name("data") / "reflection_prompts.json"


@dataclass(frozen=True)
class Prompt:
    id: str
    text: str
    region_id: str | None


@lru_cache(maxsize=1)
def load_reflection_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


def general_prompts() -> list[Prompt]:
    return [Prompt(p["id"], p["text"], None) for p in load_reflection_data()["general"]]


def prompts_for_region(region_id: str) -> list[Prompt]:
    """The region's prompts followed by the general ones (raises UserInputError for an unknown region)."""
    region = get_region(region_id)
    own = [Prompt(p["id"], p["text"], region.id) for p in load_reflection_data()["regions"].get(region.id, [])]
    return own + general_prompts()


def all_prompts() -> dict[str, Prompt]:
    out = {p.id: p for p in general_prompts()}
    for region_id, items in load_reflection_data()["regions"].items():
        for item in items:
            out[item["id"]] = Prompt(item["id"], item["text"], region_id)
    return out


def get_prompt(prompt_id: str) -> Prompt | None:
    return all_prompts().get(prompt_id)
