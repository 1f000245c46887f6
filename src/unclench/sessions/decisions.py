"""Adaptive sessions' decisions: log each one, fill its tone 10 s later, and what each cue did for this person.

The player logs a decision (docs/ADAPTIVE.md); the EMG layer, which holds the live stream or a recording tied
to the listen, fills ``tone_after`` through ``set_tone_after``. ``cue_effects`` and ``preferred_cues`` read the
decisions back for the insights and, through the session service, for the composer (the ordinary owner scoping keeps
them the person's own).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from unclench.body.taxonomy import get_region, split_region_side
from unclench.core.db import get_or_raise
from unclench.core.errors import UserInputError
from unclench.sessions.models import AudioSession, Listen, SessionDecision
from unclench.sessions.options import CuePreference, SessionOptions
from unclench.sessions.schemas import DecisionIn
from unclench.sessions.service import get_listen
from unclench.sessions.wordings import ADAPTIVE_RELEASE_CUES

TONE_AFTER_S = 10.0
"""The tone after a decision is read this long after it (the issue's "10 s after")."""
MIN_DECISIONS_FOR_EFFECT = 5
"""Below this many measured decisions a mean change and its interval say little: the insights wait for more."""
MIN_DECISIONS_TO_PREFER = 2
"""A cue is ranked once it was measured twice; until then the composer keeps its own order for it."""


def log_decision(db: Session, listen_id: str, data: DecisionIn, *, stream_t: float | None = None) -> SessionDecision:
    """Store one decision of the listen (NotFoundError for a listen that is not the caller's)."""
    listen = get_listen(db, listen_id)
    decision = SessionDecision(
        listen_id=listen.id,
        point=data.point,
        region=data.region,
        choice=data.choice,
        cue_id=data.cue_id,
        at_s=data.at_s,
        tone_before=data.tone_before,
        stream_t=stream_t,
    )
    db.add(decision)
    db.flush()
    return decision


def list_decisions(db: Session, listen_id: str) -> list[SessionDecision]:
    """The listen's decisions in the order they were made."""
    listen = get_listen(db, listen_id)
    query = select(SessionDecision).where(SessionDecision.listen_id == listen.id)
    return list(db.scalars(query.order_by(SessionDecision.at_s, SessionDecision.id)))


def pending_tone_after(db: Session, listen_id: str) -> list[SessionDecision]:
    """The listen's decisions still without a tone after."""
    return [d for d in list_decisions(db, listen_id) if d.tone_after is None]


def set_tone_after(
    db: Session, decision_id: int, ratio: float | None, *, source: Literal["live", "recording"]
) -> SessionDecision:
    """Fill a decision's tone 10 s after (a ratio already there is kept: the live stream's comes first)."""
    decision = get_or_raise(db, SessionDecision, decision_id, "decision")
    if decision.tone_after is None and ratio is not None and math.isfinite(ratio) and ratio > 0:
        decision.tone_after = float(ratio)
        decision.tone_after_source = source
        db.flush()
    return decision


@dataclass(frozen=True)
class CueEffect:
    """How tone changed 10 s after a kind of decision (or one cue) in a region: after/before, geometric mean."""

    choice: str
    region: str
    cue_id: str | None
    n: int
    change: float  # after/before ratio: 0.8 = tone 20 % lower 10 s later
    low: float | None  # 95 % interval of the change (None below MIN_DECISIONS_FOR_EFFECT)
    high: float | None

    @property
    def enough(self) -> bool:
        return self.low is not None


def _measured(db: Session) -> list[SessionDecision]:
    query = select(SessionDecision).where(
        SessionDecision.tone_before.is_not(None), SessionDecision.tone_after.is_not(None)
    )
    return list(db.scalars(query))


def _effect(choice: str, region: str, cue_id: str | None, logs: list[float]) -> CueEffect:
    n = len(logs)
    mean = sum(logs) / n
    if n < MIN_DECISIONS_FOR_EFFECT:
        return CueEffect(choice, region, cue_id, n, math.exp(mean), None, None)
    from scipy.stats import t as student_t  # SciPy only where an interval is drawn

    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (n - 1))
    half = float(student_t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return CueEffect(choice, region, cue_id, n, math.exp(mean), math.exp(mean - half), math.exp(mean + half))


def cue_effects(db: Session, *, by_cue: bool = False) -> list[CueEffect]:
    """Per kind of decision (or per cue) and region: the mean change of tone 10 s later, with an interval once
    there are MIN_DECISIONS_FOR_EFFECT measured decisions (logs of after/before, a t interval, back as ratios)."""
    groups: dict[tuple[str, str, str | None], list[float]] = {}
    for d in _measured(db):
        assert d.tone_before is not None and d.tone_after is not None
        key = (d.choice, d.region, d.cue_id if by_cue else None)
        groups.setdefault(key, []).append(math.log(d.tone_after / d.tone_before))
    effects = [_effect(choice, region, cue, logs) for (choice, region, cue), logs in groups.items()]
    return sorted(effects, key=lambda e: (e.region, e.choice, e.change))


def _cue_keys_by_listen(db: Session, listen_ids: set[str]) -> dict[str, dict[str, str]]:
    """Per listen: its adaptive session's cue clip ids → the wordings' keys, by composing the session's stored options
    again (pure and cached); a listen whose session is not visible, or is not adaptive, maps nothing."""
    from unclench.sessions.adaptive import cue_id
    from unclench.sessions.composer import compose

    query = select(Listen.id, AudioSession.options).join(AudioSession, Listen.session_id == AudioSession.id)
    by_options: dict[str, dict[str, str]] = {}
    found: dict[str, dict[str, str]] = {}
    for listen_id, options in db.execute(query.where(Listen.id.in_(listen_ids))):
        text = json.dumps(options, sort_keys=True)
        if text not in by_options:
            try:
                script = compose(SessionOptions.from_dict(options))
            except (UserInputError, TypeError, KeyError):  # settings an older version stored differently
                script = None
            by_options[text] = {
                cue_id(cue): key
                for point in (script.points if script else ())
                for cue, key in zip(point.cues, point.cue_keys, strict=True)
            }
        found[listen_id] = by_options[text]
    return found


def cue_preferences(db: Session, regions: Iterable[str] | None = None) -> tuple[CuePreference, ...]:
    """Per region (all, or those given): the release cues, as wording keys of `wordings.ADAPTIVE_RELEASE_CUES`, that
    this person measured at least MIN_DECISIONS_TO_PREFER times: ``prefer`` those that lowered their tone, most first;
    ``avoid`` those whose tone was not lower 10 s later on average. The rank is the mean log change shrunk toward
    none (sum / (n + 1)), so one lucky drop does not outrank a cue that worked again and again.

    A decision names its cue by the clip id the player played (a hash of the words, which differ with the muscle and
    the name) or by the wording key itself; clip ids are mapped to keys through the listen's session.
    """
    wanted = None if regions is None else {get_region(split_region_side(r)[0]).id for r in regions}
    measured = [
        d for d in _measured(db) if d.choice == "release_cue" and d.cue_id and (wanted is None or d.region in wanted)
    ]
    keys_of = _cue_keys_by_listen(db, {d.listen_id for d in measured if d.cue_id not in ADAPTIVE_RELEASE_CUES})
    logs: dict[str, dict[str, list[float]]] = {}
    for d in measured:
        assert d.tone_before is not None and d.tone_after is not None and d.cue_id is not None
        key = d.cue_id if d.cue_id in ADAPTIVE_RELEASE_CUES else keys_of.get(d.listen_id, {}).get(d.cue_id)
        if key is not None:
            logs.setdefault(d.region, {}).setdefault(key, []).append(math.log(d.tone_after / d.tone_before))
    preferences = []
    for region, by_key in sorted(logs.items()):
        ranked = sorted(
            (sum(v) / (len(v) + 1), -len(v), key) for key, v in by_key.items() if len(v) >= MIN_DECISIONS_TO_PREFER
        )
        prefer = tuple(key for score, _, key in ranked if score < 0)
        avoid = tuple(key for score, _, key in ranked if score >= 0)
        if prefer or avoid:
            preferences.append(CuePreference(region, prefer, avoid))
    return tuple(preferences)


def preferred_cues(db: Session, region: str) -> CuePreference:
    """The person's cue preference for ``region`` ('jaw' or 'jaw:left'); empty lists while nothing is measured."""
    region_id = get_region(split_region_side(region)[0]).id
    found = cue_preferences(db, [region_id])
    return found[0] if found else CuePreference(region_id)
