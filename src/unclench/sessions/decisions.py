"""Adaptive sessions' decisions: log each one, fill its tone 10 s later, and what each cue did for this person.

The player logs a decision (docs/ADAPTIVE.md); the EMG layer, which holds the live stream or a recording tied
to the listen, fills ``tone_after`` through ``set_tone_after``. ``cue_effects`` and ``preferred_cues`` read the
decisions back for the insights and for the composer (the ordinary owner scoping keeps them the person's own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from unclench.body.taxonomy import get_region, split_region_side
from unclench.core.db import get_or_raise
from unclench.sessions.models import SessionDecision
from unclench.sessions.schemas import DecisionIn
from unclench.sessions.service import get_listen

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


def preferred_cues(db: Session, region: str) -> list[str]:
    """Release cues for ``region`` ('jaw' or 'jaw:left') that this person has measured at least twice, the most
    tone-lowering first. The rank is the mean log change shrunk toward none (sum / (n + 1)), so one lucky drop
    does not outrank a cue that worked again and again; cues not listed keep the composer's own order."""
    region_id = get_region(split_region_side(region)[0]).id
    logs: dict[str, list[float]] = {}
    for d in _measured(db):
        if d.region == region_id and d.choice == "release_cue" and d.cue_id:
            assert d.tone_before is not None and d.tone_after is not None
            logs.setdefault(d.cue_id, []).append(math.log(d.tone_after / d.tone_before))
    ranked = [(sum(v) / (len(v) + 1), -len(v), cue) for cue, v in logs.items() if len(v) >= MIN_DECISIONS_TO_PREFER]
    return [cue for _, _, cue in sorted(ranked)]
