"""Script composer: personal options + seed → a script of speech and pauses in chapters (pure, no database).

The composer works in two steps. ``compose`` picks the blocks and wordings and sizes the content
with *estimated* speech durations so the session can reach its length. ``fit_timeline`` then takes
the *real* spoken durations (after synthesis) and stretches or shrinks the pauses, each within its
own bounds where possible, so the session lasts exactly the requested length.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Final, Literal

from unclench.body.taxonomy import get_region
from unclench.sessions import wordings as w
from unclench.sessions.options import (
    PMR_GROUPS,
    TECHNIQUES,
    CheckedOptions,
    CuePreference,
    SessionOptions,
    validate_options,
)

# Calibrated on the Joe voice at length scale 1.0 (about 187 words a minute, sentence onset ~0.3 s).
WORDS_PER_SECOND: Final = 187.0 / 60.0
SENTENCE_OVERHEAD_S: Final = 0.3

PMR_TENSE_S: Final = (6.0, 5.0, 7.0)  # base, min, max seconds of holding the tension
PMR_RELEASE_S: Final = (25.0, 20.0, 40.0)  # attending to the release
PMR_PASSIVE_S: Final = (22.0, 15.0, 40.0)
SENTENCE_GAP_S: Final = (1.0, 0.5, 2.5)
# A short session ("compact"): shorter holds and rests, a count down from three, one phrase where there were two.
PMR_TENSE_SHORT_S: Final = (5.0, 4.0, 7.0)
PMR_RELEASE_SHORT_S: Final = (15.0, 10.0, 40.0)
PMR_PASSIVE_SHORT_S: Final = (12.0, 8.0, 40.0)
COMPACT_COUNT_FROM: Final = 3
ADAPTIVE_CUE_PAUSE_S: Final = 10.0
"""Quiet after an adaptive release cue, before the sensor is read again."""
ADAPTIVE_SILENCE_S: Final = 20.0
"""The longer silence (with a softer background) once two cues in a row have been given."""
DEFAULT_SENSOR_REGION: Final = "forearm"
"""Where an adaptive session expects the sensor when the person chose no place (the usual forearm placement)."""
FIT_SHARE: Final = 0.97
"""The content's shortest form (every pause at its minimum) must leave this share of the length for it to fit."""


@dataclass(frozen=True)
class Speech:
    text: str
    chapter: str


@dataclass(frozen=True)
class Pause:
    seconds: float
    min_s: float
    max_s: float
    chapter: str


Item = Speech | Pause


@dataclass(frozen=True)
class DecisionPoint:
    """A place where an adaptive session may change course, by the live tone of the muscle it names.

    ``index``: the point lies just before ``Script.items[index]`` (inside a pause, so a cut there is silent).
    ``regions``: the taxonomy regions it is about (a sensor on any of them decides); ``region`` the one it names.
    ``cues``: two extra release cues in plain words, for "still tense" (at most twice in a row), in the order offered;
    ``cue_keys``: their wordings' keys in `wordings.ADAPTIVE_RELEASE_CUES` (what a person's decisions rank).
    """

    id: str
    region: str
    side: str
    regions: tuple[str, ...]
    spoken: str
    chapter: str
    cues: tuple[str, str]
    cue_keys: tuple[str, str] = ("", "")
    index: int = -1


Mark = DecisionPoint
"""A decision point while parts are built, before its index in the script is known."""


@dataclass(frozen=True)
class Script:
    options: SessionOptions
    items: tuple[Item, ...]
    chapters: tuple[str, ...]
    points: tuple[DecisionPoint, ...] = ()
    """Decision points of an adaptive session, in order (none for a plain session)."""

    def texts(self) -> list[str]:
        """Unique spoken texts in order of first appearance."""
        seen: dict[str, None] = {}
        for item in self.items:
            if isinstance(item, Speech):
                seen.setdefault(item.text, None)
        return list(seen)

    def alternative_texts(self) -> list[str]:
        """The adaptive release cues, unique, in order (spoken only when the sensor asks for them)."""
        return list(dict.fromkeys(cue for point in self.points for cue in point.cues))

    def spoken_text(self) -> str:
        """All speech in order, as one text (what plain Piper would read in one call)."""
        return " ".join(item.text for item in self.items if isinstance(item, Speech))

    def estimated_seconds(self) -> float:
        return estimate_total(self.items, self.options.length_scale)


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    kind: Literal["speech", "pause"]
    text: str
    chapter: str


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float
    end: float


@dataclass(frozen=True)
class Timeline:
    segments: tuple[Segment, ...]
    chapters: tuple[Chapter, ...]
    duration: float

    def speech(self) -> list[Segment]:
        return [s for s in self.segments if s.kind == "speech"]


def estimate_speech_seconds(text: str, length_scale: float) -> float:
    """Rough spoken duration of one sentence before synthesis (seconds)."""
    return SENTENCE_OVERHEAD_S + len(text.split()) / WORDS_PER_SECOND * length_scale


def estimate_total(items: Sequence[Item | Mark], length_scale: float, *, pauses: str = "base") -> float:
    total = 0.0
    for item in items:
        if isinstance(item, Speech):
            total += estimate_speech_seconds(item.text, length_scale)
        elif isinstance(item, Pause):
            total += item.min_s if pauses == "min" else item.seconds
    return total


# --- Building blocks ---------------------------------------------------------------------------


@dataclass
class _Part:
    """One chapter: core items always used, extras added in order while the session has room."""

    title: str
    core: list[Item | Mark] = field(default_factory=list)
    extras: list[Sequence[Item | Mark]] = field(default_factory=list)
    tail: list[Item | Mark] = field(default_factory=list)


class _Writer:
    def __init__(self, options: SessionOptions, rng: random.Random, *, compact: bool = False) -> None:
        self.options = options
        self.rng = rng
        self.compact = compact
        name = options.name
        self.fmt = {"name_comma": f", {name}" if name else "", "minutes": str(round(options.minutes))}

    def block(self, name: str) -> _Writer:
        """A writer with its own seeded stream for one block, so changing one block (a region,
        the ending) leaves the others' wordings alone and their phrases stay in the cache."""
        return _Writer(
            self.options, random.Random(f"unclench-session:{self.options.seed}:{name}"), compact=self.compact
        )

    def pick(self, choices: Sequence[w.Wording]) -> w.Wording:
        return choices[self.rng.randrange(len(choices))]

    def pick_str(self, choices: Sequence[str]) -> str:
        return choices[self.rng.randrange(len(choices))]

    def steps(self, wording: w.Wording, chapter: str, **fmt: str) -> list[Item]:
        items: list[Item] = []
        values = {**self.fmt, **fmt}
        for step in wording:
            if isinstance(step, str):
                if items and isinstance(items[-1], Speech):
                    items.append(Pause(*SENTENCE_GAP_S, chapter))
                text = step.format(**values)
                items.append(Speech(text[0].upper() + text[1:], chapter))
            else:
                items.append(Pause(float(step), 0.5 * step, 3.0 * step, chapter))
        if items and isinstance(items[-1], Speech):
            items.append(Pause(*SENTENCE_GAP_S, chapter))
        return items

    def point(self, key: str, spoken: str, regions: Sequence[str], side: str, chapter: str) -> list[Item | Mark]:
        """A decision point naming ``spoken``, in an adaptive session only (else nothing).

        Its two cues come from their own seeded stream, so an adaptive session keeps every wording of the plain one
        (and its phrases in the cache); only the cues are new.
        """
        if not self.options.adaptive:
            return []
        seeded = random.Random(f"unclench-session:{self.options.seed}:point:{key}").sample(
            list(w.ADAPTIVE_RELEASE_CUES), 2
        )
        first, second = _ordered_cues(seeded, self.cue_preference(regions))
        cues = (
            w.ADAPTIVE_RELEASE_CUES[first].format(target=spoken),
            w.ADAPTIVE_RELEASE_CUES[second].format(target=spoken),
        )
        return [DecisionPoint("", regions[0], side, tuple(regions), spoken, chapter, cues, (first, second))]

    def cue_preference(self, regions: Sequence[str]) -> CuePreference | None:
        """The person's cue preference for the first of a point's regions that has one."""
        by_region = {p.region_id: p for p in self.options.cue_preferences}
        return next((by_region[r] for r in regions if r in by_region), None)

    def sensor_point(self, key: str, chapter: str) -> list[Item | Mark]:
        """A point about the place the sensor is expected on: the first chosen place, else the forearm."""
        if self.options.regions:
            target = self.options.regions[0]
            region_id, side = target.region_id, target.side
        else:
            region_id, side = DEFAULT_SENSOR_REGION, self.options.dominant_side
        return self.point(key, get_region(region_id).spoken, (region_id,), side, chapter)

    def shuffled(self, choices: Sequence[w.Wording], count: int) -> list[w.Wording]:
        """``count`` wordings, cycling through a seeded shuffle so neighbours differ."""
        order = list(choices)
        self.rng.shuffle(order)
        return [order[i % len(order)] for i in range(count)]


def _ordered_cues(seeded: Sequence[str], preference: CuePreference | None) -> tuple[str, str]:
    """A point's two release cues (wording keys): the ones that lowered this person's tone, best first, then the
    seeded pair, then the other wordings; a cue that measurably did not help is left out while there are others."""
    if preference is None:
        return seeded[0], seeded[1]
    order = list(dict.fromkeys([*preference.prefer, *seeded, *w.ADAPTIVE_RELEASE_CUES]))
    avoided = set(preference.avoid)
    order = [k for k in order if k not in avoided] + [k for k in order if k in avoided]
    return order[0], order[1]


def _pmr_groups(options: SessionOptions) -> list[tuple[str, str]]:
    """(target, action) for each group, after Bernstein & Borkovec; toes always curl upward."""
    d = options.dominant_side
    o = "left" if d == "right" else "right"

    def arm(side: str) -> list[tuple[str, str]]:
        return [
            (f"your {side} hand and forearm", f"make a fist with your {side} hand"),
            (f"your {side} upper arm", f"bend your {side} elbow and press it down into the surface beside you"),
        ]

    def leg(side: str) -> list[tuple[str, str]]:
        return [
            (f"your {side} thigh", f"lift your {side} leg a little and tighten the muscles of your thigh"),
            (f"your {side} calf", f"pull the toes of your {side} foot up towards your knee"),
            (f"your {side} foot", f"curl the toes of your {side} foot upward, towards you, never down"),
        ]

    face_neck = [
        ("your forehead", "raise your eyebrows as high as they will go"),
        ("your eyes and nose", "squeeze your eyes shut and wrinkle your nose"),
        ("your cheeks and jaw", "press your lips together and pull the corners of your mouth back"),
        ("your neck and throat", "pull your chin down towards your chest, without letting it touch"),
    ]
    trunk = [
        ("your chest, shoulders and upper back", "take a breath, hold it, and pull your shoulder blades together"),
        ("your stomach", "make your stomach firm, as if getting ready for a gentle push"),
    ]
    if options.pmr_groups == 16:
        return [*arm(d), *arm(o), *face_neck, *trunk, *leg(d), *leg(o)]
    if options.pmr_groups == 7:
        return [
            (f"your {d} arm", f"make a fist with your {d} hand and bend your elbow, tightening the whole arm"),
            (f"your {o} arm", f"make a fist with your {o} hand and bend your elbow, tightening the whole arm"),
            ("your face", "raise your eyebrows, squeeze your eyes shut and press your lips together"),
            ("your neck", "pull your chin down towards your chest, without letting it touch"),
            (
                "your chest, shoulders, back and stomach",
                "take a breath, pull your shoulder blades together and firm your stomach",
            ),
            (f"your {d} leg", f"straighten your {d} leg and pull your toes up towards you"),
            (f"your {o} leg", f"straighten your {o} leg and pull your toes up towards you"),
        ]
    return [
        ("your arms and hands", "make fists with both hands and bend your elbows"),
        ("your face and neck", "scrunch up your face and pull your chin down towards your chest"),
        (
            "your chest, shoulders, back and stomach",
            "take a breath, pull your shoulder blades together and firm your stomach",
        ),
        ("your legs and feet", "straighten both legs and pull your toes up towards you"),
    ]


_NECK: Final = ("neck_back", "neck_side", "suboccipitals", "throat")
_UPPER_TRUNK: Final = ("shoulder", "shoulder_blade", "upper_back", "upper_chest", "chest_centre")
_BELLY: Final = ("stomach", "navel")
_ARM: Final = ("forearm", "hand", "upper_arm")
_LEG: Final = ("thigh_front", "thigh_back", "knee", "calf", "shin", "foot")
_FACE: Final = ("forehead", "scalp", "eyelid", "jaw", "face")


def _pmr_regions(options: SessionOptions) -> list[tuple[tuple[str, ...], str]]:
    """The body taxonomy's regions (and side) each of `_pmr_groups` works, in the same order."""
    d = options.dominant_side
    o = "left" if d == "right" else "right"
    if options.pmr_groups == 16:

        def arm(side: str) -> list[tuple[tuple[str, ...], str]]:
            return [(("forearm", "hand"), side), (("upper_arm",), side)]

        def leg(side: str) -> list[tuple[tuple[str, ...], str]]:
            return [(("thigh_front", "thigh_back", "knee"), side), (("calf", "shin"), side), (("foot",), side)]

        face_neck = [
            (("forehead", "scalp"), "centre"),
            (("eyelid",), "both"),
            (("jaw", "face"), "both"),
            (_NECK, "both"),
        ]
        trunk = [(_UPPER_TRUNK, "both"), (_BELLY, "centre")]
        return [*arm(d), *arm(o), *face_neck, *trunk, *leg(d), *leg(o)]
    if options.pmr_groups == 7:
        whole_trunk = (*_UPPER_TRUNK, "lower_back", *_BELLY)
        return [(_ARM, d), (_ARM, o), (_FACE, "centre"), (_NECK, "both"), (whole_trunk, "both"), (_LEG, d), (_LEG, o)]
    return [
        (_ARM, "both"),
        ((*_FACE, *_NECK), "both"),
        ((*_UPPER_TRUNK, "lower_back", *_BELLY), "both"),
        (_LEG, "both"),
    ]


BODY_SCAN_REGIONS: Final[tuple[tuple[str, ...], ...]] = (
    ("scalp",),
    ("forehead",),
    ("eyelid",),
    ("jaw", "face"),
    _NECK,
    ("shoulder", "shoulder_blade"),
    _ARM,
    ("upper_chest", "chest_centre"),
    _BELLY,
    ("upper_back", "lower_back", "shoulder_blade"),
    ("pelvis",),
    ("thigh_front", "thigh_back"),
    ("knee", "calf", "shin"),
    ("foot",),
)
"""The body taxonomy's regions each place of `wordings.BODY_SCAN_PARTS` visits, in the same order."""


def _scan_point(wr: _Writer, place: int, title: str) -> list[Item | Mark]:
    """A point at a body-scan place that holds one of the chosen places (every place when none was chosen)."""
    regions = BODY_SCAN_REGIONS[place]
    chosen = [t for t in wr.options.regions if t.region_id in regions]
    if wr.options.regions and not chosen:
        return []
    region_id, side = (chosen[0].region_id, chosen[0].side) if chosen else (regions[0], "both")
    region = get_region(region_id)
    side = side if region.lateral else "centre"
    return wr.point(f"scan:{place}", region.spoken, (region_id, *[r for r in regions if r != region_id]), side, title)


def _induction(wr: _Writer, title: str) -> _Part:
    o = wr.options
    part = _Part(title)
    tense_s, release_s, passive_s = (
        (PMR_TENSE_SHORT_S, PMR_RELEASE_SHORT_S, PMR_PASSIVE_SHORT_S)
        if wr.compact
        else (PMR_TENSE_S, PMR_RELEASE_S, PMR_PASSIVE_S)
    )
    breath_cycles = wr.shuffled(w.BREATH_CYCLE, 24)
    if o.technique == "breathing":
        part.core += wr.steps(wr.pick(w.BREATHING_INTRO), title)
        for cycle in breath_cycles[:3]:
            part.core += wr.steps(cycle, title)
        part.extras += [wr.steps(cycle, title) for cycle in breath_cycles[3:]]
    elif o.technique == "pmr":
        if o.pmr_style == "release_only":
            part.core += wr.steps(wr.pick(w.PMR_PASSIVE_INTRO), title)
        else:
            part.core += wr.steps(wr.pick(w.PMR_INTRO), title)
            if o.cramp_prone:
                part.core += wr.steps(wr.pick(w.PMR_GENTLE_NOTE), title)
        group_regions = _pmr_regions(o)
        for number, (target, action) in enumerate(_pmr_groups(o)):
            regions, side = group_regions[number]
            if o.pmr_style == "release_only":
                part.core += [
                    Speech(wr.pick_str(w.PMR_PASSIVE_CUE).format(target=target), title),
                    Pause(*passive_s, title),
                    *wr.point(f"pmr:{number}", target, regions, side, title),
                ]
                continue
            cue = wr.pick_str(w.PMR_GENTLE_CUE if o.cramp_prone else w.PMR_TENSE_CUE)
            text = cue.format(action=action, action_cap=action[0].upper() + action[1:])
            part.core += [
                Speech(text, title),
                Pause(*tense_s, title),
                Speech(wr.pick_str(w.PMR_RELEASE_CUE).format(target=target), title),
                Pause(*SENTENCE_GAP_S, title),
                Speech(wr.pick_str(w.PMR_RELEASE_FOLLOW), title),
                Pause(*release_s, title),
                *wr.point(f"pmr:{number}", target, regions, side, title),
            ]
        second: list[list[Item | Mark]] = [[*wr.steps(wr.pick(w.PMR_SECOND_PASS), title)]]
        for number, (target, _action) in enumerate(_pmr_groups(o)):
            regions, side = group_regions[number]
            second.append(
                [
                    Speech(wr.pick_str(w.PMR_PASSIVE_CUE).format(target=target), title),
                    Pause(*passive_s, title),
                    *wr.point(f"pmr:{number}", target, regions, side, title),  # the same cues as the first pass
                ]
            )
        second[1] = second[0] + second[1]
        part.extras += second[1:]
        part.extras += [wr.steps(cycle, title) for cycle in breath_cycles[:6]]
    elif o.technique == "body_scan":
        part.core += wr.steps(wr.pick(w.BODY_SCAN_INTRO), title)
        # A short session visits every other place on the way down, and the feet.
        every = range(len(w.BODY_SCAN_PARTS))
        places = [*every[::2], every[-1]] if wr.compact else list(every)
        for place in places:
            place_cue = Speech(wr.pick_str(w.BODY_SCAN_CUE).format(part=w.BODY_SCAN_PARTS[place]), title)
            follow = wr.pick_str(w.BODY_SCAN_FOLLOW)  # picked either way, so the later wordings stay the same
            if wr.compact:
                part.core += [place_cue, Pause(4.0, 2.0, 18.0, title), *_scan_point(wr, place, title)]
                continue
            part.core += [place_cue, Pause(*SENTENCE_GAP_S, title), Speech(follow, title), Pause(6.0, 2.0, 18.0, title)]
            part.core += _scan_point(wr, place, title)
        back_up = [wr.steps(wr.pick(w.BODY_SCAN_RETURN), title)]
        for body_part in reversed(w.BODY_SCAN_PARTS):
            back_up.append(
                [Speech(wr.pick_str(w.BODY_SCAN_CUE).format(part=body_part), title), Pause(8.0, 3.0, 20.0, title)]
            )
        back_up[1] = back_up[0] + back_up[1]
        part.extras += back_up[1:]
        part.extras += [wr.steps(cycle, title) for cycle in breath_cycles[:6]]
    elif o.technique == "autogenic":
        part.core += wr.steps(wr.pick(w.AUTOGENIC_INTRO), title)
        repeats = 1 if wr.compact else 2  # a short session says each phrase once; the repeats come back as extras
        for formula in w.AUTOGENIC_FORMULAS:
            for _ in range(repeats):
                part.core += [Speech(formula, title), Pause(6.0, 4.0, 15.0, title)]
        for _ in range(4 - repeats):
            part.extras += [[Speech(f, title), Pause(6.0, 4.0, 15.0, title)] for f in w.AUTOGENIC_FORMULAS]
    else:  # hypnotic
        for wording in w.HYPNOTIC_INDUCTION:
            part.core += wr.steps(wording, title)
        part.extras += [wr.steps(x, title) for x in wr.shuffled(w.HYPNOTIC_EXTRA, 3)]
        part.extras += [wr.steps(cycle, title) for cycle in breath_cycles[:4]]
    part.tail.append(Pause(5.0, 2.0, math.inf, title))
    return part


def _deepener(wr: _Writer, title: str) -> _Part:
    part = _Part(title)
    start = COMPACT_COUNT_FROM if wr.compact else 10 if wr.options.minutes >= 10 else 5
    part.core += wr.steps(wr.pick(w.DEEPENER_INTRO), title, count_from=_number_word(start))
    # A hypnotic induction's deepener is where an adaptive session checks the muscle: halfway down and at the bottom.
    checks = {1, (start + 1) // 2} if start > COMPACT_COUNT_FROM else {1}
    hypnotic = wr.options.technique == "hypnotic"
    for count in range(start, 0, -1):
        step = wr.pick_str(w.DEEPENER_STEP).format(count=_number_word(count).capitalize())
        part.core += [Speech(step, title), Pause(3.0, 1.5, 8.0, title)]
        if hypnotic and count in checks:
            part.core += wr.sensor_point(f"deepener:{count}", title)
    part.extras += [wr.steps(x, title) for x in wr.shuffled(w.DEEPENER_EXTRA, 4)]
    part.extras += [wr.steps(x, title) for x in wr.shuffled(w.QUIET_REST, 14)]
    part.tail.append(Pause(6.0, 2.0, math.inf, title))
    return part


def _targeted(wr: _Writer, title: str, places: int | None = None) -> _Part:
    part = _Part(title)
    part.core += wr.steps(wr.pick(w.TARGET_INTRO), title)
    per_region: list[list[list[Item]]] = []
    for target in wr.options.regions[:places]:
        region = get_region(target.region_id)
        side = f", on the {target.side} side" if target.side in ("left", "right") else ""
        wordings = wr.block(f"target:{region.id}").shuffled(w.TARGET_REGION, 3)
        per_region.append([wr.steps(x, title, region=region.spoken, side=side) for x in wordings])
    for items in per_region:
        part.core += items[0]
    for round_ in (1, 2):
        part.extras += [items[round_] for items in per_region]
    part.extras += [wr.steps(x, title) for x in wr.shuffled(w.QUIET_REST, 2)]
    part.tail.append(Pause(6.0, 2.0, math.inf, title))
    return part


def _suggestions(wr: _Writer, title: str, choices: Sequence[w.Wording], core_count: int) -> _Part:
    part = _Part(title)
    chosen = wr.shuffled(choices, len(choices))
    for wording in chosen[:core_count]:
        part.core += wr.steps(wording, title)
    part.extras += [wr.steps(x, title) for x in chosen[core_count:]]
    return part


def _number_word(n: int) -> str:
    return ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"][n]


def chapter_titles(options: SessionOptions) -> dict[str, str]:
    sleep = options.ending == "sleep"
    return {
        "opening": "Welcome",
        "induction": TECHNIQUES[options.technique],
        "deepener": "Deepening",
        "targeted": "Your body",
        "stress": "Calm under stress",
        "post": "For the night" if sleep else "For the day ahead",
        "ending": "Drifting to sleep" if sleep else "Waking up",
    }


@dataclass(frozen=True)
class LengthFit:
    """How a session's content was fitted to its length: the options used and what was shortened, in words."""

    options: CheckedOptions
    compact: bool
    changes: tuple[str, ...]
    brief: bool = False
    places: int | None = None
    """How many of the chosen places a brief session names (None: all of them)."""


def _parts(options: CheckedOptions, *, compact: bool, brief: bool = False, places: int | None = None) -> list[_Part]:
    """Every chapter's content for these options: core items always used, extras while the session has room.

    ``brief`` (the shortest sessions, 3 or 4 minutes): no deepening and no closing suggestions, so the time goes to
    the technique itself and the places the person chose; ``places``: how many of those it names (None: all).
    """
    base = _Writer(options, random.Random(f"unclench-session:{options.seed}"), compact=compact)
    titles = chapter_titles(options)
    opening = _Part(titles["opening"])
    wr = base.block("opening")
    opening.core += wr.steps(wr.pick(w.OPENING), opening.title)
    opening.extras += [wr.steps(x, opening.title) for x in wr.shuffled(w.SETTLE, 3)]
    parts = [opening, _induction(base.block(f"induction:{options.technique}"), titles["induction"])]
    if not brief:
        parts.append(_deepener(base.block("deepener"), titles["deepener"]))
    elif options.technique == "hypnotic":  # no deepener in a brief session: check once where it would begin
        parts[-1].core += base.block("deepener").sensor_point("deepener:1", parts[-1].title)
    if options.regions[:places]:
        parts.append(_targeted(base.block("targeted"), titles["targeted"], places))
    sleep = options.ending == "sleep"
    if not brief:
        parts.append(_suggestions(base.block("stress"), titles["stress"], w.STRESS, 1 if compact else 2))
        parts.append(
            _suggestions(
                base.block(f"post:{options.ending}"), titles["post"], w.POST_SLEEP if sleep else w.POST_WAKE, 1
            )
        )
    ending = _Part(titles["ending"])
    wr = base.block(f"ending:{options.ending}")
    ending.core += wr.steps(wr.pick(w.SLEEP if sleep else w.WAKE), ending.title)
    if sleep:
        ending.tail.append(Pause(20.0, 8.0, math.inf, ending.title))
    else:
        ending.core.pop()  # no sentence gap after the last words; a short end pause instead
        ending.tail.append(Pause(3.0, 2.0, 6.0, ending.title))
    parts.append(ending)
    return parts


def _shortest_seconds(parts: Sequence[_Part], length_scale: float) -> float:
    """The content's estimated length with no extras and every pause at its minimum."""
    return sum(estimate_total([*p.core, *p.tail], length_scale, pauses="min") for p in parts)


def _shorter_versions(options: CheckedOptions) -> list[tuple[CheckedOptions, bool, bool, int | None]]:
    """What to try, in order, until the content fits: (options, compact, brief, places named).

    As asked, fewer PMR groups, release only, compact; then brief (no deepening or closing suggestions), with one
    target place, then with none. Each step keeps the previous ones, so the options a fit ends with fit at the same
    step again (saved options compose to the same script).
    """
    tries: list[tuple[CheckedOptions, bool, bool, int | None]] = [(options, False, False, None)]
    if options.technique == "pmr":
        for groups in sorted(PMR_GROUPS, reverse=True):
            if groups < options.pmr_groups:
                tries.append((replace(options, pmr_groups=groups), False, False, None))
        if options.pmr_style != "release_only":
            tries.append((replace(tries[-1][0], pmr_style="release_only"), False, False, None))
    shortest = tries[-1][0]
    tries += [(shortest, True, False, None), (shortest, True, True, None)]
    # The places stay in the options (they are the person's choice); a brief session names fewer of them.
    tries += [(shortest, True, True, kept) for kept in (1, 0) if kept < len(shortest.regions)]
    return tries


_COMPACT_CHANGE: Final = {
    "pmr": "keeps each hold and rest shorter",
    "body_scan": "visits fewer places on the way down",
    "autogenic": "says each phrase once",
}


def _changes(
    asked: CheckedOptions, used: CheckedOptions, *, compact: bool, brief: bool = False, places: int | None = None
) -> tuple[str, ...]:
    """What a short session changes, in the person's words."""
    changes: list[str] = []
    if used.pmr_groups != asked.pmr_groups:
        changes.append(f"uses {used.pmr_groups} muscle groups instead of {asked.pmr_groups}")
    if used.pmr_style != asked.pmr_style:
        changes.append("releases each group without tensing it")
    if compact:
        changes.append(_COMPACT_CHANGE.get(used.technique, "keeps its rests shorter"))
    if brief:
        changes.append("leaves out the deepening and the closing suggestions")
        if places == 0:
            changes.append("leaves out your chosen places")
        elif places is not None:
            changes.append("names only the first of your chosen places")
    elif compact:
        changes.append("counts down from three")
    return tuple(changes)


def fit_to_length(options: SessionOptions) -> LengthFit:
    """The options and content size that fit the asked length (shortened step by step, never refused)."""
    return _fit_to_length(validate_options(options))


@lru_cache(maxsize=64)
def _fit_to_length(asked: CheckedOptions) -> LengthFit:
    tries = _shorter_versions(asked)
    for used, compact, brief, places in tries:
        parts = _parts(used, compact=compact, brief=brief, places=places)
        if _shortest_seconds(parts, used.length_scale) <= used.seconds * FIT_SHARE:
            changes = _changes(asked, used, compact=compact, brief=brief, places=places)
            return LengthFit(used, compact, changes, brief, places)
    # Nothing the form offers gets here (a test covers every technique, length and option); if wordings grow,
    # the shortest version still plays, its pauses shrunk below their minimums by `fit_timeline`.
    used, compact, brief, places = tries[-1]
    return LengthFit(used, compact, _changes(asked, used, compact=compact, brief=brief, places=places), brief, places)


def describe_short_session(options: SessionOptions) -> str:
    """One sentence for the form: what changes at this length, or "" when nothing does."""
    fit = fit_to_length(options)
    if not fit.changes:
        return ""
    what = TECHNIQUES[options.technique].lower()
    listed = ", ".join(fit.changes[:-1]) + (" and " if len(fit.changes) > 1 else "") + fit.changes[-1]
    return f"At {options.minutes:g} minutes, {what} {listed}."


def compose(options: SessionOptions) -> Script:
    """Build a seeded script whose estimated length is close to the requested length.

    A short length shortens the content (see `fit_to_length`); the script's options are the ones used.
    """
    return _compose(validate_options(options))


@lru_cache(maxsize=16)
def _compose(options: CheckedOptions) -> Script:
    """The script for checked options, kept: saving a session composes it, rendering reuses it."""
    fit = fit_to_length(options)
    options = fit.options
    titles = chapter_titles(options)
    parts = _parts(options, compact=fit.compact, brief=fit.brief, places=fit.places)
    length_scale = options.length_scale
    target = options.seconds
    estimate = sum(estimate_total([*p.core, *p.tail], length_scale) for p in parts)
    chosen: list[list[Sequence[Item | Mark]]] = [[] for _ in parts]
    # Round-robin over chapters (targeted and deepening first), adding extras while they fit.
    rank = {titles["targeted"]: 0, titles["deepener"]: 1, titles["induction"]: 2}
    priority = sorted(range(len(parts)), key=lambda i: rank.get(parts[i].title, 3))
    progress = True
    while progress and estimate < target:
        progress = False
        for i in priority:
            part = parts[i]
            if len(chosen[i]) >= len(part.extras):
                continue
            extra = part.extras[len(chosen[i])]
            cost = estimate_total(extra, length_scale)
            if estimate + cost <= target * 1.02:
                chosen[i].append(extra)
                estimate += cost
                progress = True
    items: list[Item] = []
    points: list[DecisionPoint] = []
    for part, extras in zip(parts, chosen, strict=True):
        for item in [*part.core, *(x for extra in extras for x in extra), *part.tail]:
            if isinstance(item, DecisionPoint):
                points.append(replace(item, id=f"p{len(points) + 1}", index=len(items)))
            else:
                items.append(item)
    return Script(options=options, items=tuple(items), chapters=tuple(p.title for p in parts), points=tuple(points))


def _solve_scale(pauses: Sequence[Pause], budget: float) -> list[float]:
    """Pause lengths summing to ``budget``: base × k clipped to each pause's bounds (bisection on k)."""
    low_sum = sum(p.min_s for p in pauses)
    high_sum = sum(p.max_s for p in pauses)
    if budget <= low_sum:
        # More speech than planned: shrink every pause below its minimum in proportion (rare).
        factor = max(budget, 0.0) / low_sum if low_sum else 0.0
        return [p.min_s * factor for p in pauses]
    if budget >= high_sum:
        factor = budget / high_sum
        return [p.max_s * factor for p in pauses]

    def total(k: float) -> float:
        return sum(min(max(p.seconds * k, p.min_s), p.max_s) for p in pauses)

    lo, hi = 0.0, 1.0
    while total(hi) < budget:
        hi *= 2.0
    for _ in range(80):
        mid = (lo + hi) / 2.0
        if total(mid) < budget:
            lo = mid
        else:
            hi = mid
    lengths = [min(max(p.seconds * hi, p.min_s), p.max_s) for p in pauses]
    # Put the last rounding residue into the longest unbounded-ish pause.
    residue = budget - sum(lengths)
    longest = max(range(len(lengths)), key=lambda j: pauses[j].max_s - lengths[j])
    lengths[longest] += residue
    return lengths


def fit_timeline(
    script: Script, spoken_seconds: Mapping[str, float], *, total_seconds: float | None = None
) -> Timeline:
    """Lay the script out in time with real spoken durations, stretching pauses to the requested length."""
    total = script.options.seconds if total_seconds is None else total_seconds
    missing = [t for t in script.texts() if t not in spoken_seconds]
    if missing:
        raise ValueError(f"no spoken duration for {len(missing)} sentences, e.g. {missing[0]!r}")
    speech_total = sum(spoken_seconds[item.text] for item in script.items if isinstance(item, Speech))
    pauses = [item for item in script.items if isinstance(item, Pause)]
    lengths = iter(_solve_scale(pauses, total - speech_total))
    segments: list[Segment] = []
    clock = 0.0
    for item in script.items:
        if isinstance(item, Speech):
            duration = spoken_seconds[item.text]
            segments.append(Segment(clock, clock + duration, "speech", item.text, item.chapter))
        else:
            duration = next(lengths)
            segments.append(Segment(clock, clock + duration, "pause", "", item.chapter))
        clock += duration
    chapters: list[Chapter] = []
    for title in script.chapters:
        inside = [s for s in segments if s.chapter == title]
        if inside:
            chapters.append(Chapter(title, inside[0].start, inside[-1].end))
    return Timeline(segments=tuple(segments), chapters=tuple(chapters), duration=clock)


def estimated_timeline(script: Script) -> Timeline:
    """The timeline with estimated spoken durations (for previews before synthesis)."""
    scale = script.options.length_scale
    return fit_timeline(script, {t: estimate_speech_seconds(t, scale) for t in script.texts()})
