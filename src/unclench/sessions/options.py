"""Personal options for a session, checked in one place with clear errors (no database import)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Final

from unclench.body.taxonomy import get_region, normalise_side
from unclench.core.errors import FieldProblem, UserInputError
from unclench.sessions.wordings import ADAPTIVE_RELEASE_CUES

TECHNIQUES: Final[dict[str, str]] = {
    "pmr": "Progressive muscle relaxation",
    "breathing": "Slow breathing",
    "body_scan": "Body scan",
    "autogenic": "Autogenic phrases",
    "hypnotic": "Hypnotic relaxation",
}
PMR_GROUPS: Final[tuple[int, ...]] = (16, 7, 4)
PMR_STYLES: Final[dict[str, str]] = {
    "tense_release": "Tense gently, then release",
    "release_only": "Release only (no tensing)",
}
BACKGROUNDS: Final[dict[str, str]] = {
    "none": "None",
    "pink": "Pink noise",
    "brown": "Brown noise",
    "rain": "Rain-like noise",
    "ocean": "Slow ocean swell",
}
ENDINGS: Final[dict[str, str]] = {"wake": "Wake up refreshed", "sleep": "Drift off to sleep"}
# Pace names map to Piper's length scale (>1 is slower).
PACES: Final[dict[str, float]] = {"slow": 1.3, "calm": 1.15, "natural": 1.0}
VOICES: Final[dict[str, str]] = {"joe": "Joe (US English, Piper medium)"}
BINAURAL_BEATS: Final[dict[str, float]] = {"none": 0.0, "theta": 6.0, "alpha": 10.0, "delta": 2.5}
ADAPTIVE_TECHNIQUES: Final[tuple[str, ...]] = ("pmr", "body_scan", "hypnotic")
"""Techniques an adaptive session (one that follows a live EMG sensor) is made for: they have points to decide at."""
MIN_MINUTES: Final = 3.0
MAX_MINUTES: Final = 45.0
MAX_TARGET_REGIONS: Final = 4
FIRST_VARIATION: Final = 1
"""New sessions start at variation (seed) 1; see `service.next_variation`."""
_NAME_RE = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")


@dataclass(frozen=True)
class TargetRegion:
    region_id: str
    side: str = "both"


@dataclass(frozen=True)
class CuePreference:
    """What this person's decisions said about the release cues in one region (wording keys of
    `wordings.ADAPTIVE_RELEASE_CUES`): ``prefer`` lowered their tone, best first; ``avoid`` measurably did not."""

    region_id: str
    prefer: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionOptions:
    """Everything that decides a session's script and sound. Same options + seed = same audio."""

    minutes: float = 10.0
    technique: str = "pmr"
    pmr_groups: int = 7
    pmr_style: str = "tense_release"
    cramp_prone: bool = False
    dominant_side: str = "right"
    regions: tuple[TargetRegion, ...] = field(default_factory=tuple)
    voice: str = "joe"
    pace: str = "calm"
    background: str = "pink"
    binaural: str = "none"
    ending: str = "wake"
    name: str = ""
    seed: int = 1
    adaptive: bool = False
    """Render alternatives at decision points, for the player to follow a live EMG sensor (see docs/ADAPTIVE.md)."""
    cue_preferences: tuple[CuePreference, ...] = field(default_factory=tuple)
    """An adaptive session's release cues per region, as this person's decisions ranked them
    (`sessions.decisions.cue_preferences`); none keeps the composer's own order (and the plain settings hash)."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["regions"] = [{"region_id": r.region_id, "side": r.side} for r in self.regions]
        data["cue_preferences"] = [
            {"region_id": p.region_id, "prefer": list(p.prefer), "avoid": list(p.avoid)} for p in self.cue_preferences
        ]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionOptions:
        values = dict(data)
        values["regions"] = tuple(
            TargetRegion(r["region_id"], r.get("side", "both")) if isinstance(r, dict) else TargetRegion(*r)
            for r in values.get("regions", ())
        )
        values["cue_preferences"] = tuple(
            CuePreference(p["region_id"], tuple(p.get("prefer", ())), tuple(p.get("avoid", ())))
            if isinstance(p, dict)
            else CuePreference(p[0], tuple(p[1]), tuple(p[2]))
            for p in values.get("cue_preferences", ())
        )
        return cls(**values)

    @property
    def length_scale(self) -> float:
        return PACES[self.pace]

    @property
    def seconds(self) -> float:
        return self.minutes * 60.0


def _choice(
    problems: list[FieldProblem], field_name: str, value: object, allowed: dict[str, Any] | tuple[Any, ...]
) -> None:
    if value not in allowed:
        names = ", ".join(str(a) for a in allowed)
        problems.append(
            FieldProblem(
                field_name, f"'{value}' is not a known {field_name.replace('_', ' ')}. Choose one of: {names}."
            )
        )


def _shown(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _checked_fields(options: SessionOptions) -> tuple[list[FieldProblem], dict[str, Any]]:
    """Every problem with the options, and their fields normalised (name tidied, regions known and unique)."""
    problems: list[FieldProblem] = []
    if not isinstance(options.minutes, int | float) or not (MIN_MINUTES <= float(options.minutes) <= MAX_MINUTES):
        problems.append(
            FieldProblem(
                "minutes",
                f"A session lasts {MIN_MINUTES:g} to {MAX_MINUTES:g} minutes; {_shown(options.minutes)} was asked for.",
            )
        )
    _choice(problems, "technique", options.technique, TECHNIQUES)
    _choice(problems, "pmr_groups", options.pmr_groups, PMR_GROUPS)
    _choice(problems, "pmr_style", options.pmr_style, PMR_STYLES)
    _choice(problems, "background", options.background, BACKGROUNDS)
    _choice(problems, "binaural", options.binaural, BINAURAL_BEATS)
    _choice(problems, "ending", options.ending, ENDINGS)
    _choice(problems, "pace", options.pace, PACES)
    if options.voice not in VOICES:
        installed = "; ".join(f"{key}: {label}" for key, label in VOICES.items())
        problems.append(FieldProblem("voice", f"'{options.voice}' is not an installed voice. Installed: {installed}."))
    if options.dominant_side not in ("left", "right"):
        problems.append(FieldProblem("dominant_side", "Use left or right."))
    name = " ".join(options.name.split())
    if name and (len(name) > 40 or not _NAME_RE.match(name)):
        problems.append(
            FieldProblem("name", "A spoken name is up to 40 letters (spaces, hyphens and apostrophes allowed).")
        )
    if not isinstance(options.adaptive, bool):
        problems.append(FieldProblem("adaptive", "Adaptive is on or off."))
    elif options.adaptive and options.technique in TECHNIQUES and options.technique not in ADAPTIVE_TECHNIQUES:
        names = [TECHNIQUES[t].lower() for t in ADAPTIVE_TECHNIQUES]
        made_for = ", ".join(names[:-1]) + " or " + names[-1]
        problems.append(
            FieldProblem(
                "adaptive",
                f"A session that follows your muscle is made for {made_for}; "
                f"{TECHNIQUES[options.technique].lower()} has no points where it could change course.",
            )
        )
    if not isinstance(options.seed, int) or isinstance(options.seed, bool) or not (0 <= options.seed < 2**31):
        problems.append(FieldProblem("seed", "The seed is a whole number from 0 to 2147483647."))
    regions: list[TargetRegion] = []
    seen: set[str] = set()
    if len(options.regions) > MAX_TARGET_REGIONS:
        problems.append(FieldProblem("regions", f"Choose at most {MAX_TARGET_REGIONS} target regions."))
    for target in options.regions:
        try:
            region = get_region(target.region_id, field="regions")
            side = normalise_side(region, target.side, field="regions")
        except UserInputError as exc:
            problems.extend(exc.problems)
            continue
        if region.id not in seen:
            seen.add(region.id)
            regions.append(TargetRegion(region.id, side))
    preferences = _checked_cue_preferences(problems, options.cue_preferences)
    if problems:
        return problems, {}
    return [], {f.name: getattr(options, f.name) for f in fields(SessionOptions)} | {
        "name": name,
        "regions": tuple(regions),
        "minutes": float(options.minutes),
        # A plain session has no cues: preferences would change its settings hash for nothing.
        "cue_preferences": preferences if options.adaptive is True else (),
    }


MAX_CUE_PREFERENCES: Final = 64
"""More regions than any session's decision points name (16 PMR groups of a few regions each)."""


def _checked_cue_preferences(problems: list[FieldProblem], given: object) -> tuple[CuePreference, ...]:
    """The cue preferences, each region once and known, each wording key known and in one list only."""
    field_name = "cue_preferences"
    if not isinstance(given, tuple | list) or not all(isinstance(p, CuePreference) for p in given):
        problems.append(FieldProblem(field_name, "Cue preferences are a list of regions with their cues."))
        return ()
    if len(given) > MAX_CUE_PREFERENCES:
        problems.append(FieldProblem(field_name, f"Cue preferences name at most {MAX_CUE_PREFERENCES} regions."))
        return ()
    known = ", ".join(ADAPTIVE_RELEASE_CUES)
    checked: list[CuePreference] = []
    seen: set[str] = set()
    for preference in given:
        try:
            region_id = get_region(str(preference.region_id), field=field_name).id
        except UserInputError as exc:
            problems.extend(exc.problems)
            continue
        keys = [*preference.prefer, *preference.avoid]
        unknown = [str(k) for k in keys if k not in ADAPTIVE_RELEASE_CUES]
        if unknown:
            problems.append(
                FieldProblem(field_name, f"'{unknown[0]}' is not a known release cue. Known cues: {known}.")
            )
        elif len(set(keys)) < len(keys):
            problems.append(FieldProblem(field_name, f"Each cue is preferred or avoided once for {region_id}."))
        elif region_id in seen:
            problems.append(FieldProblem(field_name, f"The cue preferences name {region_id} twice."))
        else:
            seen.add(region_id)
            checked.append(CuePreference(region_id, tuple(preference.prefer), tuple(preference.avoid)))
    return tuple(checked)


@dataclass(frozen=True)
class CheckedOptions(SessionOptions):
    """Options that passed every check, normalised: what the composer, the renderer and storage are given.

    Making one runs the checks (so `dataclasses.replace` on it checks the new values too); `validate_options`
    passes one on unchanged, so options checked at the edge are not checked again on the way to the audio.
    """

    def __post_init__(self) -> None:
        problems, normalised = _checked_fields(self)
        if problems:
            raise UserInputError(problems)
        for name, value in normalised.items():
            object.__setattr__(self, name, value)  # frozen: the normalised values are set once, while it is made


def validate_options(options: SessionOptions) -> CheckedOptions:
    """Check every option; raise one UserInputError listing every problem, or return normalised options."""
    if isinstance(options, CheckedOptions):
        return options
    return CheckedOptions(**{f.name: getattr(options, f.name) for f in fields(SessionOptions)})
