"""The screening knowledge base, loaded from the JSON data files beside this module (no database).

Every item keeps its sources; `load_*` functions check that each source id, rule id and level
they name exists, so a typo in a data file fails loudly in the tests instead of showing nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str


@dataclass(frozen=True)
class Phone:
    """A number to call for a level (999, 112, 911, 111), where it works, and the source that gives it."""

    number: str
    where: str
    source: Source

    @property
    def href(self) -> str:
        return f"tel:{self.number}"


@dataclass(frozen=True)
class Level:
    id: str
    rank: int
    title: str
    action: str
    tone: str
    sources: tuple[Source, ...]
    phones: tuple[Phone, ...] = ()
    own_doctor: bool = False
    """The outcome offers the person's own doctor's number (when they saved one)."""


@dataclass(frozen=True)
class TriageRule:
    id: str
    level: str
    question: str
    reason: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class RedFlagFeature:
    id: str
    label: str
    hint: str
    rules: tuple[str, ...]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class PhysicalCause:
    id: str
    title: str
    why: str
    ask: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class MedicationEntry:
    id: str
    drug_class: str
    generics: tuple[str, ...]
    brands: tuple[str, ...]
    aliases: tuple[str, ...]
    effect: str
    evidence: str
    evidence_note: str
    sources: tuple[Source, ...]


def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def load_sources() -> dict[str, Source]:
    raw = _read("sources.json")["sources"]
    return {key: Source(id=key, title=value["title"], url=value["url"]) for key, value in raw.items()}


def _sources(ids: list[str], where: str) -> tuple[Source, ...]:
    known = load_sources()
    missing = [s for s in ids if s not in known]
    if missing:
        raise ValueError(f"{where} names unknown source(s): {', '.join(missing)}")
    if not ids:
        raise ValueError(f"{where} has no source")
    return tuple(known[s] for s in ids)


@dataclass(frozen=True)
class TriageBook:
    levels: tuple[Level, ...]
    rules: tuple[TriageRule, ...]
    no_flags_reason: str

    def level(self, level_id: str) -> Level:
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(level_id)

    def rule(self, rule_id: str) -> TriageRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def rules_by_level(self) -> list[tuple[Level, list[TriageRule]]]:
        ordered = sorted(self.levels, key=lambda lv: -lv.rank)
        return [(lv, [r for r in self.rules if r.level == lv.id]) for lv in ordered]


@lru_cache(maxsize=1)
def load_triage() -> TriageBook:
    raw = _read("triage_rules.json")
    levels = tuple(
        Level(
            id=item["id"],
            rank=int(item["rank"]),
            title=item["title"],
            action=item["action"],
            tone=item["tone"],
            sources=_sources(item["sources"], f"level {item['id']}") if item.get("sources") else (),
            phones=tuple(
                Phone(phone["number"], phone["where"], _sources([phone["source"]], f"level {item['id']}")[0])
                for phone in item.get("phones", [])
            ),
            own_doctor=bool(item.get("own_doctor", False)),
        )
        for item in raw["levels"]
    )
    level_ids = {lv.id for lv in levels}
    rules = []
    for item in raw["rules"]:
        if item["level"] not in level_ids:
            raise ValueError(f"rule {item['id']} has unknown level {item['level']}")
        rules.append(
            TriageRule(
                id=item["id"],
                level=item["level"],
                question=item["question"],
                reason=item["reason"],
                sources=_sources(item["sources"], f"rule {item['id']}"),
            )
        )
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError("triage rule ids must be unique")
    return TriageBook(levels=levels, rules=tuple(rules), no_flags_reason=raw["no_flags_reason"])


@lru_cache(maxsize=1)
def load_red_flags() -> tuple[RedFlagFeature, ...]:
    book = load_triage()
    rule_ids = {r.id for r in book.rules}
    features = []
    for item in _read("red_flags.json")["features"]:
        unknown = [r for r in item["rules"] if r not in rule_ids]
        if unknown:
            raise ValueError(f"red flag {item['id']} names unknown rule(s): {', '.join(unknown)}")
        features.append(
            RedFlagFeature(
                id=item["id"],
                label=item["label"],
                hint=item.get("hint", ""),
                rules=tuple(item["rules"]),
                sources=_sources(item["sources"], f"red flag {item['id']}"),
            )
        )
    return tuple(features)


def red_flag(feature_id: str) -> RedFlagFeature | None:
    return next((f for f in load_red_flags() if f.id == feature_id), None)


@dataclass(frozen=True)
class PhysicalChecklist:
    intro: str
    items: tuple[PhysicalCause, ...]
    blood_tests_note: str
    blood_tests_sources: tuple[Source, ...]


@lru_cache(maxsize=1)
def load_physical_causes() -> PhysicalChecklist:
    raw = _read("physical_causes.json")
    items = tuple(
        PhysicalCause(
            id=item["id"],
            title=item["title"],
            why=item["why"],
            ask=item["ask"],
            sources=_sources(item["sources"], f"physical cause {item['id']}"),
        )
        for item in raw["items"]
    )
    note = raw["blood_tests_note"]
    return PhysicalChecklist(
        intro=raw["intro"],
        items=items,
        blood_tests_note=note["text"],
        blood_tests_sources=_sources(note["sources"], "blood tests note"),
    )


EVIDENCE_LEVELS = ("established", "mixed", "reported only")


@dataclass(frozen=True)
class MedicationBook:
    advice: str
    entries: tuple[MedicationEntry, ...]


@lru_cache(maxsize=1)
def load_medications() -> MedicationBook:
    raw = _read("medications.json")
    entries = []
    for item in raw["entries"]:
        if item["evidence"] not in EVIDENCE_LEVELS:
            raise ValueError(f"medication {item['id']} has unknown evidence level {item['evidence']}")
        entries.append(
            MedicationEntry(
                id=item["id"],
                drug_class=item["class"],
                generics=tuple(item["generics"]),
                brands=tuple(item.get("brands", ())),
                aliases=tuple(item.get("aliases", ())),
                effect=item["effect"],
                evidence=item["evidence"],
                evidence_note=item.get("evidence_note", ""),
                sources=_sources(item["sources"], f"medication {item['id']}"),
            )
        )
    return MedicationBook(advice=raw["advice"], entries=tuple(entries))


@dataclass(frozen=True)
class MedicineName:
    """A medicine's name from the general list, and the source that lists it."""

    name: str
    source: Source


@dataclass(frozen=True)
class MedicineNames:
    """Medicine names in general (no side effects): recognising a medicine is not knowing its muscle effects."""

    names: tuple[MedicineName, ...]
    also_known_as: dict[str, str]


@lru_cache(maxsize=1)
def load_medicine_names() -> MedicineNames:
    raw = _read("medicine_names.json")
    names: dict[str, MedicineName] = {}
    for group in raw["lists"]:
        source = _sources([group["source"]], "medicine_names.json")[0]
        for name in group["names"]:
            names.setdefault(name, MedicineName(name, source))
    unknown = [target for target in raw["also_known_as"].values() if target not in names]
    if unknown:
        raise ValueError(f"medicine_names.json: also_known_as names unlisted medicine(s): {', '.join(unknown)}")
    return MedicineNames(names=tuple(names.values()), also_known_as=dict(raw["also_known_as"]))


def source_dict(source: Source) -> dict[str, str]:
    return {"title": source.title, "url": source.url}
