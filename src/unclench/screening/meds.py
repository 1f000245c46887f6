"""Match freely typed medicine names: tolerant of brand names, case, doses and misspellings.

Two lists: the knowledge base of medicines with muscle effects (`medications.json`), and a general list of medicine
names (`medicine_names.json`, WHO Essential Medicines and MedlinePlus). A name on the second list only is a medicine
we recognise whose muscle effects our sources do not list; a name on neither is a word we do not recognise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from unclench.core.errors import UserInputError
from unclench.screening.knowledge import MedicationEntry, Source, load_medications, load_medicine_names

# A typo is accepted as a match at this similarity (0-100, rapidfuzz ratio) for names of 5+ letters.
ACCEPT_SCORE = 85.0
# Below acceptance, names this similar are offered as "did you mean".
SUGGEST_SCORE = 65.0
MIN_FUZZY_LENGTH = 5

_DOSE = re.compile(
    r"\b\d+([.,]\d+)?\s*(mg|mcg|µg|ug|g|ml|iu|units?|puffs?|%)?\b|\b(tablets?|tabs?|capsules?|caps?|inhalers?|"
    r"injections?|daily|once|twice|a day|per day|at night|as needed|prn|mr|sr|xl|er|retard)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class IndexName:
    name: str  # normalised lookup key
    display: str  # the canonical name: as written in the data file
    kind: str  # generic, brand or class (medicines with muscle effects), or medicine (the general list)
    entry: MedicationEntry | None  # None: a medicine from the general list, no muscle effect in our sources
    source: Source | None = None  # the general list's source (for a name found there only)


@dataclass(frozen=True)
class MedicationMatch:
    typed: str
    entry: MedicationEntry | None
    matched_name: str | None
    matched_kind: str | None
    exact: bool
    score: float
    suggestions: tuple[str, ...]
    name_source: Source | None = None

    @property
    def found(self) -> bool:
        """A medicine with a known muscle effect."""
        return self.entry is not None

    @property
    def recognised(self) -> bool:
        """A medicine name we know (with or without a muscle effect in our sources)."""
        return self.matched_name is not None

    @property
    def message(self) -> str:
        if self.matched_name is None:
            base = f"We don't recognise '{self.typed}' as a medicine name — check the spelling."
            if self.suggestions:
                return base + " Did you mean: " + ", ".join(self.suggestions) + "?"
            return base
        how = "" if self.exact else f" (we read '{self.typed}' as {self.matched_name})"
        if self.entry is None:
            return f"{self.matched_name}{how}: a medicine we know; our sources list no muscle cramps or spasms for it."
        return f"{self.matched_name} — {self.entry.drug_class}{how}: {self.entry.effect}"

    def as_dict(self) -> dict[str, object]:
        entry = self.entry
        return {
            "typed": self.typed,
            "found": self.found,
            "recognised": self.recognised,
            "matched_name": self.matched_name,
            "matched_kind": self.matched_kind,
            "exact": self.exact,
            "score": round(self.score, 1),
            "suggestions": list(self.suggestions),
            "message": self.message,
            "name_source": None
            if self.name_source is None
            else {"title": self.name_source.title, "url": self.name_source.url},
            "entry": None
            if entry is None
            else {
                "id": entry.id,
                "class": entry.drug_class,
                "effect": entry.effect,
                "evidence": entry.evidence,
                "evidence_note": entry.evidence_note,
                "sources": [{"title": s.title, "url": s.url} for s in entry.sources],
            },
        }


def normalise_name(text: str) -> str:
    """Lower case, without doses, forms and punctuation: 'Atorvastatin 20mg tablets' -> 'atorvastatin'."""
    cleaned = _DOSE.sub(" ", text.lower())
    cleaned = re.sub(r"[^a-zµ\- ]+", " ", cleaned).replace("-", " ")
    return re.sub(r"\s+", " ", cleaned).strip()


@lru_cache(maxsize=1)
def name_index() -> dict[str, IndexName]:
    """Every name we know, normalised: the muscle-effect knowledge base first, then the general list."""
    index: dict[str, IndexName] = {}
    for entry in load_medications().entries:
        for kind, names in (("generic", entry.generics), ("brand", entry.brands), ("class", entry.aliases)):
            for name in names:
                key = normalise_name(name)
                index.setdefault(key, IndexName(name=key, display=name, kind=kind, entry=entry))
    general = load_medicine_names()
    for medicine in general.names:
        key = normalise_name(medicine.name)
        index.setdefault(
            key, IndexName(name=key, display=medicine.name, kind="medicine", entry=None, source=medicine.source)
        )
    for other, canonical in general.also_known_as.items():
        target = index[normalise_name(canonical)]  # the name it stands for (in the knowledge base if it is there)
        index.setdefault(
            normalise_name(other),
            IndexName(normalise_name(other), target.display, target.kind, target.entry, target.source),
        )
    return index


def _hit(typed: str, item: IndexName, *, exact: bool, score: float) -> MedicationMatch:
    return MedicationMatch(
        typed=typed,
        entry=item.entry,
        matched_name=item.display,
        matched_kind=item.kind,
        exact=exact,
        score=score,
        suggestions=(),
        name_source=item.source,
    )


def match_medication(typed: str) -> MedicationMatch:
    """Match one typed medicine name. Exact (after normalising), then word by word, then by similarity."""
    raw = typed.strip()
    if not raw:
        raise UserInputError.single("name", "type the name of a medicine")
    if len(raw) > 120:
        raise UserInputError.single("name", "that is too long for a medicine name (120 characters at most)")
    key = normalise_name(raw)
    if not key:
        raise UserInputError.single("name", "type the name of a medicine, not only a dose")
    index = name_index()
    if key in index:
        return _hit(raw, index[key], exact=True, score=100.0)
    words = key.split()
    # 'Ventolin Evohaler', 'atorvastatin calcium': any run of words that is a known name.
    for size in range(len(words) - 1, 0, -1):
        for start in range(len(words) - size + 1):
            piece = " ".join(words[start : start + size])
            if piece in index:
                return _hit(raw, index[piece], exact=True, score=100.0)
    candidates = [key, *[w for w in words if len(w) >= MIN_FUZZY_LENGTH]] if len(words) > 1 else [key]
    best: tuple[IndexName, float] | None = None
    for candidate in candidates:
        if len(candidate) < MIN_FUZZY_LENGTH:
            continue
        found = process.extractOne(candidate, list(index), scorer=fuzz.ratio, score_cutoff=ACCEPT_SCORE)
        if found is not None and (best is None or found[1] > best[1]):
            best = (index[found[0]], float(found[1]))
    if best is not None:
        return _hit(raw, best[0], exact=False, score=best[1])
    near = process.extract(key, list(index), scorer=fuzz.ratio, limit=3, score_cutoff=SUGGEST_SCORE)
    return MedicationMatch(
        typed=raw,
        entry=None,
        matched_name=None,
        matched_kind=None,
        exact=False,
        score=float(near[0][1]) if near else 0.0,
        suggestions=tuple(index[name].display for name, _score, _i in near),
    )
