"""Tone across a session: resting tone and bursts per chapter of a listen, from one channel's analysis.

A recording is tied to a listen by one number, ``offset_s``: the recording's own time (seconds from its
first sample) at which the session's position 0 played. Chapter times are session positions, so chapter
``[start, end)`` covers recording time ``[start + offset_s, end + offset_s)``. Pure: arrays and numbers in,
numbers out; no database import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from unclench.emg.dsp._arrays import BoolArray, FloatArray
from unclench.emg.dsp.bursts import Burst
from unclench.emg.dsp.tone import quiet_mask

MIN_CLEAN_S = 5.0
"""A chapter (or the time before the session) needs this much clean signal for a tone number."""
MIN_CLEAN_SHARE = 0.25
"""…and at least this share of the part it covers, so a number never stands for a few stray seconds."""
MIN_QUIET_S = 1.0
"""Resting tone is read between bursts; a part with less than this between them has no resting tone to read."""
PRE_SESSION_S = 60.0
"""The reference "before the session" is the last minute recorded before position 0 (when there is one)."""
MIN_OVERLAP_S = 30.0
"""A recording tied to a listen must cover at least this much of the session (or all of a shorter one)."""
CHANGE_WORDS_PCT = 10.0
"""Changes within ±10 % of the reference are described as "about the same": a median envelope over tens of
seconds of one recording moves that much from electrode settling and posture alone."""
TIMELINE_BIN_S = 5.0


@dataclass(frozen=True)
class ChapterSpan:
    """One chapter of the session: its title, kind (opening, induction, …) and session positions (s)."""

    title: str
    kind: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class ChapterTone:
    """Tone in one chapter: median quiet envelope (µV), change from the reference (%), bursts, data quality."""

    title: str
    kind: str
    start_s: float
    end_s: float
    covered_s: float
    """Seconds of the chapter the recording covers."""
    clean_s: float
    """Seconds of clean signal in it (no flat line, clipping or motion)."""
    tone_uv: float | None
    change_pct: float | None
    bursts: int
    enough: bool
    note: str = ""
    """Why there is no number, in plain words ("" when there is one)."""

    @property
    def verdict(self) -> Literal["let go", "tensed", "same", "unknown"]:
        """How the muscle did in this chapter against the reference."""
        if self.change_pct is None:
            return "unknown"
        if self.change_pct <= -CHANGE_WORDS_PCT:
            return "let go"
        if self.change_pct >= CHANGE_WORDS_PCT:
            return "tensed"
        return "same"


@dataclass(frozen=True)
class SessionTone:
    """Per-chapter tone of one channel over a listen, with the reference and a binned tone timeline."""

    offset_s: float
    reference: Literal["before", "first chapter"] | None
    reference_title: str
    reference_uv: float | None
    chapters: list[ChapterTone]
    timeline_s: list[float] = field(default_factory=list)
    """Session positions (s) of the timeline bins' starts; negative before the session began."""
    timeline_uv: list[float | None] = field(default_factory=list)
    """Median quiet tone per bin (µV), None where the bin is mostly bursts or bad signal."""
    bin_s: float = TIMELINE_BIN_S
    burst_times_s: list[tuple[float, float]] = field(default_factory=list)
    """Bursts as (onset, offset) in session positions (s)."""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["burst_times_s"] = [list(b) for b in self.burst_times_s]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionTone:
        """The inverse of ``to_dict`` (a recording's stored summary)."""
        return cls(
            offset_s=float(data["offset_s"]),
            reference=data.get("reference"),
            reference_title=str(data.get("reference_title", "")),
            reference_uv=data.get("reference_uv"),
            chapters=[ChapterTone(**c) for c in data.get("chapters", [])],
            timeline_s=[float(t) for t in data.get("timeline_s", [])],
            timeline_uv=list(data.get("timeline_uv", [])),
            bin_s=float(data.get("bin_s", TIMELINE_BIN_S)),
            burst_times_s=[(float(a), float(b)) for a, b in data.get("burst_times_s", [])],
        )


def overlap_s(offset_s: float, recording_s: float, session_s: float) -> float:
    """Seconds of the session that the recording covers.

    Example
    -------
    >>> overlap_s(60.0, 300.0, 600.0)  # the session began a minute into a 5-minute recording
    240.0
    >>> overlap_s(-700.0, 300.0, 600.0)  # the recording began after the session had ended
    0.0
    """
    return max(0.0, min(recording_s, offset_s + session_s) - max(0.0, offset_s))


def enough_overlap(offset_s: float, recording_s: float, session_s: float) -> bool:
    """Whether the recording covers enough of the session to tie them (``MIN_OVERLAP_S`` or all of it)."""
    return overlap_s(offset_s, recording_s, session_s) >= min(MIN_OVERLAP_S, 0.9 * session_s)


def _clean_tone(
    env: FloatArray, valid: BoolArray, quiet: BoolArray, i0: int, i1: int, env_fs: float
) -> tuple[float, float, float, float]:
    """(median quiet envelope or NaN, quiet seconds, clean seconds, covered seconds) over points [i0, i1)."""
    i0, i1 = max(0, i0), min(env.size, i1)
    if i1 <= i0:
        return float("nan"), 0.0, 0.0, 0.0
    calm = quiet[i0:i1]
    quiet_s = int(calm.sum()) / env_fs
    tone = float(np.median(env[i0:i1][calm])) if quiet_s >= MIN_QUIET_S else float("nan")
    return tone, quiet_s, int(valid[i0:i1].sum()) / env_fs, (i1 - i0) / env_fs


def _enough(clean_s: float, covered_s: float) -> bool:
    return clean_s >= MIN_CLEAN_S and clean_s >= MIN_CLEAN_SHARE * covered_s


def tone_by_chapter(
    env: FloatArray,
    env_fs: float,
    valid: BoolArray,
    bursts: Sequence[Burst],
    chapters: Sequence[ChapterSpan],
    *,
    offset_s: float,
    pre_s: float = PRE_SESSION_S,
    bin_s: float = TIMELINE_BIN_S,
) -> SessionTone:
    """Median resting tone, change from the start and bursts per chapter of a listen.

    The reference is the minute recorded before the session began when the recording holds enough clean
    signal there, else the first chapter with enough. A chapter with less than ``MIN_CLEAN_S`` (or under
    ``MIN_CLEAN_SHARE`` of it) of quiet, clean signal gets no number, only a note saying why.

    Parameters
    ----------
    env : ndarray
        Envelope of the whole recording, µV.
    env_fs : float
        Envelope points per second, Hz.
    valid : ndarray of bool
        Points that count (no flat line, clipping, motion).
    bursts : list of Burst
        Bursts in recording time (s); they are left out of the tone and counted per chapter by onset.
    chapters : list of ChapterSpan
        The session's chapters in session positions (s).
    offset_s : float
        Recording time at which the session's position 0 played (negative: the recording began later).
    pre_s : float
        Length of the reference before the session, seconds.
    bin_s : float
        Width of the timeline's bins, seconds.

    Returns
    -------
    SessionTone
        The reference and one ChapterTone per chapter, with a binned timeline for drawing.

    Example
    -------
    >>> env = np.r_[np.full(6000, 8.0), np.full(6000, 4.0)]  # 2 minutes: 8 µV, then 4 µV (100 points/s)
    >>> chapters = [ChapterSpan("Welcome", "opening", 0, 60), ChapterSpan("Letting go", "induction", 60, 120)]
    >>> result = tone_by_chapter(env, 100.0, np.ones(env.size, dtype=bool), [], chapters, offset_s=0.0)
    >>> [(c.tone_uv, c.change_pct, c.verdict) for c in result.chapters]
    [(8.0, 0.0, 'same'), (4.0, -50.0, 'let go')]
    """
    env = np.asarray(env, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    # Twitches and bursts are events, left out of the resting tone; held (sustained) tension is the tone itself,
    # so a chapter spent tense reads as tense rather than as missing.
    quiet = quiet_mask(env.size, valid, [b for b in bursts if b.kind != "sustained"], env_fs)

    def idx(t_session: float) -> int:
        return round((t_session + offset_s) * env_fs)

    pre_tone, _, pre_clean, pre_cov = _clean_tone(env, valid, quiet, idx(-pre_s), idx(0.0), env_fs)
    measured: list[tuple[ChapterSpan, float, float, float, int]] = []
    for ch in chapters:
        tone, _, clean_s, covered_s = _clean_tone(env, valid, quiet, idx(ch.start_s), idx(ch.end_s), env_fs)
        lo, hi = ch.start_s + offset_s, ch.end_s + offset_s
        count = sum(1 for b in bursts if lo <= b.onset_s < hi)
        measured.append((ch, tone, clean_s, covered_s, count))

    reference: Literal["before", "first chapter"] | None = None
    ref_uv: float | None = None
    ref_title = ""
    if _enough(pre_clean, pre_cov) and np.isfinite(pre_tone):
        reference, ref_uv, ref_title = "before", pre_tone, "before the session"
    else:
        for ch, tone, clean_s, covered_s, _ in measured:
            if _enough(clean_s, covered_s) and np.isfinite(tone):
                reference, ref_uv, ref_title = "first chapter", tone, ch.title
                break

    out: list[ChapterTone] = []
    for ch, tone, clean_s, covered_s, count in measured:
        ok = _enough(clean_s, covered_s) and bool(np.isfinite(tone))
        if covered_s == 0:
            note = "Not recorded: the recording does not reach this part."
        elif not _enough(clean_s, covered_s):
            note = (
                f"Too little clean signal here ({clean_s:.0f} s; the sensor was off, clipped or moved)"
                " to give a number."
            )
        elif not ok:
            note = "Bursts almost all the way through: no quiet moment to read the resting tone from."
        else:
            note = ""
        change = None
        if ok and ref_uv is not None and ref_uv > 0:
            change = round(100.0 * (tone - ref_uv) / ref_uv, 1)
        out.append(
            ChapterTone(
                title=ch.title,
                kind=ch.kind,
                start_s=float(ch.start_s),
                end_s=float(ch.end_s),
                covered_s=round(covered_s, 2),
                clean_s=round(clean_s, 2),
                tone_uv=round(tone, 3) if ok else None,
                change_pct=change,
                bursts=count,
                enough=ok,
                note=note,
            )
        )

    end_s = max((ch.end_s for ch in chapters), default=0.0)
    first = max(-pre_s, -offset_s) if reference == "before" else max(0.0, -offset_s)
    first = float(np.floor(first / bin_s) * bin_s)
    times: list[float] = []
    values: list[float | None] = []
    t = first
    while t < end_s and idx(t) < env.size:
        tone, _, clean_s, covered_s = _clean_tone(env, valid, quiet, idx(t), idx(t + bin_s), env_fs)
        times.append(round(t, 3))
        values.append(round(tone, 3) if np.isfinite(tone) and clean_s >= 0.5 * covered_s else None)
        t += bin_s
    burst_times = [
        (round(b.onset_s - offset_s, 3), round(b.offset_s - offset_s, 3))
        for b in bursts
        if b.offset_s - offset_s >= first and b.onset_s - offset_s < end_s
    ]
    return SessionTone(
        offset_s=float(offset_s),
        reference=reference,
        reference_title=ref_title,
        reference_uv=None if ref_uv is None else round(ref_uv, 3),
        chapters=out,
        timeline_s=times,
        timeline_uv=values,
        bin_s=bin_s,
        burst_times_s=burst_times,
    )


def describe_chapter(ch: ChapterTone, *, is_reference: bool = False) -> str:
    """One plain sentence on what the muscle did in a chapter (no diagnosis, only the measurement)."""
    if ch.tone_uv is None:
        return ch.note
    if is_reference:
        return f"Resting tone {ch.tone_uv:.1f} µV: the start the other parts are compared with."
    if ch.change_pct is None:
        return f"Resting tone {ch.tone_uv:.1f} µV; no start to compare it with."
    pct = abs(ch.change_pct)
    if ch.verdict == "let go":
        return f"Resting tone {pct:.0f} % lower than at the start: the muscle let go here."
    if ch.verdict == "tensed":
        return f"Resting tone {pct:.0f} % higher than at the start: the muscle did not let go here."
    return f"About the same as at the start (within {CHANGE_WORDS_PCT:.0f} %)."
