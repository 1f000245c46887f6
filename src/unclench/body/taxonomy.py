"""The region → muscle taxonomy, loaded from taxonomy.json (the single source of region ids)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from unclench.core.errors import UserInputError

TAXONOMY_FILE = Path(__file__).with_name("taxonomy.json")


@dataclass(frozen=True)
class Muscle:
    id: str
    name: str


@dataclass(frozen=True)
class Region:
    id: str
    label: str
    group: str
    views: tuple[str, ...]
    lateral: bool
    muscles: tuple[Muscle, ...]
    spoken: str
    pmr_group: str

    @property
    def allowed_sides(self) -> tuple[str, ...]:
        return ("left", "right", "both") if self.lateral else ("centre",)

    def describe(self, side: str) -> str:
        """A short label with the side, e.g. 'Calf (left)'."""
        if side in ("centre", "both") and not self.lateral:
            return self.label
        return f"{self.label} ({side_label(side).lower()})"


@dataclass(frozen=True)
class Taxonomy:
    regions: tuple[Region, ...]
    sides: dict[str, str]
    groups: dict[str, str]

    def by_id(self) -> dict[str, Region]:
        return {region.id: region for region in self.regions}


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    raw = json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))
    regions = tuple(
        Region(
            id=item["id"],
            label=item["label"],
            group=item["group"],
            views=tuple(item["views"]),
            lateral=item["lateral"],
            muscles=tuple(Muscle(**m) for m in item["muscles"]),
            spoken=item["spoken"],
            pmr_group=item["pmr_group"],
        )
        for item in raw["regions"]
    )
    return Taxonomy(regions=regions, sides=raw["sides"], groups=raw["groups"])


def all_regions() -> tuple[Region, ...]:
    return load_taxonomy().regions


def region_ids() -> list[str]:
    return [region.id for region in all_regions()]


def side_label(side: str) -> str:
    return load_taxonomy().sides.get(side, side)


def get_region(region_id: str, *, field: str = "region") -> Region:
    """The region with this id, or a UserInputError that lists what is allowed."""
    region = load_taxonomy().by_id().get(region_id)
    if region is None:
        raise UserInputError.single(
            field, f"'{region_id}' is not a known body region. Known regions: {', '.join(region_ids())}."
        )
    return region


def split_region_side(text: str) -> tuple[str, str]:
    """'jaw:left' → ('jaw', 'left'), 'neck_back' → ('neck_back', ''): the written form every surface takes.

    Only splits; `get_region` and `normalise_side` check the parts.
    """
    region, _, side = text.strip().partition(":")
    return region.strip(), side.strip()


def normalise_side(region: Region, side: str | None, *, field: str = "side") -> str:
    """Check a side against a region: lateral regions take left/right/both, midline ones 'centre'."""
    if not region.lateral:
        if side in (None, "", "centre", "both"):
            return "centre"
        raise UserInputError.single(field, f"{region.label} is in the middle of the body; it has no left or right.")
    if side in (None, ""):
        return "both"
    if side not in region.allowed_sides:
        raise UserInputError.single(field, f"'{side}' is not a side. Use left, right or both.")
    return side
