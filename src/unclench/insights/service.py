"""Insights over the person's diary: reads the diary only through `unclench.diary.service`."""

from __future__ import annotations

import copy
import hashlib
import statistics
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from unclench.body.taxonomy import get_region
from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.core.validation import EARLIEST_DAY, check_day
from unclench.diary import service as diary
from unclench.diary.schemas import KIND_LABELS
from unclench.insights.daytable import (
    COUNT,
    CheckInRecord,
    EpisodeRecord,
    build_day_table,
    check_day_start,
    diary_day,
)
from unclench.insights.models import InsightsPreference
from unclench.insights.plain import PlainSummary, summarise
from unclench.insights.practice import (
    PracticeWeeks,
    TechniqueChange,
    ToneByChapter,
    ToneTrend,
    resting_tone_trend,
    tension_change_by_technique,
    tone_change_by_chapter,
    weekly_practice_effect,
)
from unclench.insights.triggers import (
    BUILTIN_FACTORS,
    FDR_LEVEL,
    MIN_DAYS,
    Factor,
    TriggerReport,
    analyse_triggers,
    choose_cut,
    custom_factor,
)

BUILTIN_FIELDS = tuple(f.key for f in BUILTIN_FACTORS)
CUSTOM_PREFIX = "custom:"
KIND_NOUNS = {
    "twitch": "twitches",
    "tic": "tics",
    "cramp": "cramps",
    "spasm": "spasms",
    "tension": "tension episodes",
}
DEFAULT_DAY_START = 6


# ---------------------------------------------------------------- the person's day boundary


def get_day_start(db: Session) -> int:
    """The hour (0–12) the person's diary day starts; 6 (06:00) until they choose."""
    preference = db.scalar(select(InsightsPreference))  # the caller's own (owner scoping)
    return preference.day_starts_at if preference is not None else DEFAULT_DAY_START


def set_day_start(db: Session, hour: int) -> int:
    check_day_start(hour)
    preference = db.scalar(select(InsightsPreference))
    if preference is None:
        preference = InsightsPreference(day_starts_at=hour)
        db.add(preference)
    preference.day_starts_at = hour
    db.flush()
    return hour


# ---------------------------------------------------------------- loading


@dataclass
class DiaryData:
    """The diary for one period as plain records, plus the factor definitions."""

    first: date
    last: date
    day_starts_at: int
    kind: str | None
    episodes: list[EpisodeRecord]
    checkins: list[CheckInRecord]
    factors: list[Factor]
    medications: dict[str, date] = field(default_factory=dict)
    """Each medicine the person wrote down, with the first day it appears."""
    region: str | None = None
    """Only episodes in this body region (both sides) were kept."""

    @property
    def noun(self) -> str:
        return KIND_NOUNS.get(self.kind or "", "episodes")

    def table(self) -> pd.DataFrame:
        return build_day_table(
            self.episodes,
            self.checkins,
            first=self.first,
            last=self.last,
            day_starts_at=self.day_starts_at,
            kinds=[self.kind] if self.kind else None,
        )


def parse_period(first: date | str | None, last: date | str | None) -> tuple[date | None, date | None]:
    """Dates from text (YYYY-MM-DD) with a clear message, or None for 'the whole diary'."""

    def _one(name: str, value: date | str | None) -> date | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise UserInputError.single(name, f"'{value}' is not a date like 2026-03-01") from None
        try:
            return check_day(value)
        except ValueError as exc:
            raise UserInputError.single(name, str(exc)) from None

    start, end = _one("from", first), _one("to", last)
    if start and end and end < start:
        raise UserInputError.single("to", "the end of the period is before its start")
    return start, end


def load_diary(
    db: Session,
    *,
    first: date | None = None,
    last: date | None = None,
    kind: str | None = None,
    day_starts_at: int | None = None,
    region: str | None = None,
) -> DiaryData:
    """Episodes and check-ins for [first, last] (default: the whole diary up to today), only in `region` if given."""
    if kind and kind not in KIND_LABELS:
        raise UserInputError.single("kind", f"'{kind}' is not one of: {', '.join(KIND_LABELS)}")
    if region:
        get_region(region)  # an unknown region is a clear error, not an empty page
    hour = get_day_start(db) if day_starts_at is None else check_day_start(day_starts_at)
    end_day = last or clock.today()
    # Episodes may belong to a diary day up to `hour` hours into the next date, and time zones vary.
    _, end_at = clock.day_bounds(end_day + timedelta(days=1), end_day + timedelta(days=1))
    # Whatever is stored, the analyses only look at days the app accepts (pandas cannot count days near year 1).
    checkin_rows = _checkin_rows(db, first or EARLIEST_DAY, end_day)
    if first is None:
        earliest_at, _ = clock.day_bounds(EARLIEST_DAY, EARLIEST_DAY)
        rows = diary.list_episodes(db, start=earliest_at, end=end_at)
        start_day = checkin_rows[0][0] if checkin_rows else end_day
        if rows:
            start_day = min(start_day, diary_day(rows[-1].started_at, rows[-1].timezone, hour))
        start_day = max(min(start_day, end_day), EARLIEST_DAY)
    else:
        start_day = max(first, EARLIEST_DAY)
        if end_day < start_day:
            raise UserInputError.single("to", "the end of the period is before its start")
        start_at, _ = clock.day_bounds(start_day - timedelta(days=1), start_day - timedelta(days=1))
        rows = diary.list_episodes(db, start=start_at, end=end_at)
    episodes = [
        EpisodeRecord(
            e.started_at,
            e.timezone,
            e.kind,
            e.intensity,
            e.duration_s,
            tuple((r.region_id, r.side) for r in e.regions),
        )
        for e in rows
        if not region or any(r.region_id == region for r in e.regions)
    ]
    custom = diary.list_factors(db, include_archived=True)
    factors = [*BUILTIN_FACTORS]
    factors += [custom_factor(CUSTOM_PREFIX + f.id, f.name, f.kind, f.unit) for f in custom]  # type: ignore[arg-type]
    checkins: list[CheckInRecord] = []
    medications: dict[str, date] = {}
    for day, values, names in checkin_rows:
        if not start_day <= day <= end_day:
            continue
        for name in names:
            medications.setdefault(name, day)
        checkins.append(CheckInRecord(day, values))
    return DiaryData(start_day, end_day, hour, kind, episodes, checkins, factors, medications, region or None)


def _checkin_rows(db: Session, first: date, last: date) -> list[tuple[date, dict[str, float | None], list[str]]]:
    """(day, factor values by column, medications) per check-in in [first, last], oldest first."""
    rows: list[tuple[date, dict[str, float | None], list[str]]] = []
    for day, given, medications in diary.checkin_values(db, start=first, end=last):
        plain: dict[str, float | None] = {name: given.get(name) for name in BUILTIN_FIELDS}
        plain.update({key: value for key, value in given.items() if key.startswith(CUSTOM_PREFIX)})
        rows.append((day, plain, medications))
    return rows


# ---------------------------------------------------------------- insights


@dataclass
class Practice:
    weeks: PracticeWeeks | None
    techniques: list[TechniqueChange]
    tone: ToneTrend | None
    notes: list[str]
    chapters: ToneByChapter | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "weeks": self.weeks.as_dict() if self.weeks else None,
            "techniques": [t.as_dict() for t in self.techniques],
            "tone": self.tone.as_dict() if self.tone else None,
            "chapters": self.chapters.as_dict() if self.chapters else None,
            "notes": list(self.notes),
        }


@dataclass
class Insights:
    data: DiaryData
    table: pd.DataFrame
    triggers: TriggerReport
    practice: Practice

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.data.first.isoformat(),
            "to": self.data.last.isoformat(),
            "day_starts_at": self.data.day_starts_at,
            "kind": self.data.kind,
            "triggers": self.triggers.as_dict(),
            "practice": self.practice.as_dict(),
            "plain": self.plain.as_dict(),
        }

    @property
    def plain(self) -> PlainSummary:
        """What the page says first, in plain words."""
        return summarise(self.triggers, self.practice.weeks, self.practice.techniques, self.data.noun)


@dataclass(frozen=True)
class ListenRecord:
    """What the practice analysis needs from one listening: when, which technique, tension before/after."""

    listened_at: datetime
    technique: str
    tension_before: float | None
    tension_after: float | None


@dataclass(frozen=True)
class ToneRecord:
    recorded_at: datetime
    resting_uv: float


def listening_records(db: Session, start: datetime, end: datetime) -> list[ListenRecord]:
    """Listens in [start, end) that counted (status 'listened'); a short play that was only started does not."""
    from unclench.sessions.service import counted_listens

    out = []
    for listen in counted_listens(db, start=start, end=end):
        options = listen.session.options or {}
        technique = str(options.get("technique", "session"))
        out.append(ListenRecord(listen.started_at, technique, listen.tension_before, listen.tension_after))
    return out


def tone_records(db: Session) -> list[ToneRecord]:
    """Resting tone per EMG recording (mean over its channels, µV RMS)."""
    from unclench.emg.service import list_recordings

    out = []
    for recording in list_recordings(db, limit=100_000):
        tones = [c.resting_tone_uv for c in recording.channels if c.resting_tone_uv is not None]
        if tones:
            out.append(ToneRecord(recording.recorded_at, statistics.fmean(tones)))
    return out


def chapter_tone(db: Session, start: datetime, end: datetime) -> ToneByChapter:
    """EMG resting tone change per technique and chapter kind, over listens in [start, end) with a recording."""
    from unclench.emg.service import recordings_with_listens
    from unclench.sessions.options import TECHNIQUES
    from unclench.sessions.service import CHAPTER_KINDS, get_listen

    changes: list[tuple[str, str, str, float]] = []
    listens: set[str] = set()
    for rec in recordings_with_listens(db):
        listen = get_listen(db, rec.listen_id or "")
        if not start <= listen.started_at < end:
            continue
        technique = str((listen.session.options or {}).get("technique", "session"))
        for tone in ((rec.summary or {}).get("session_tone") or {}).get("channels", []):
            for ch in tone.get("chapters", []):
                is_reference = tone.get("reference") == "first chapter" and ch["title"] == tone.get("reference_title")
                if ch.get("change_pct") is None or is_reference:
                    continue
                changes.append((listen.id, technique, ch["kind"], float(ch["change_pct"])))
                listens.add(listen.id)
    return tone_change_by_chapter(
        changes, listens=len(listens), kinds=list(CHAPTER_KINDS.items()), techniques=TECHNIQUES
    )


def practice_effect(db: Session, data: DiaryData, table: pd.DataFrame) -> Practice:
    """Practice effect from the sessions' listening log and the EMG summaries."""
    start_at, _ = clock.day_bounds(data.first, data.first)
    _, end_at = clock.day_bounds(data.last, data.last)
    log = listening_records(db, start_at, end_at)
    tz = clock.person_timezone_name()
    listened = [diary_day(item.listened_at, tz, data.day_starts_at) for item in log]
    intensity_sums = (table[COUNT] * table["mean_intensity"].fillna(0)).to_numpy()
    weeks = weekly_practice_effect(
        [d.date() for d in table.index],
        table[COUNT].tolist(),
        intensity_sums.tolist(),
        listened,
        noun=data.noun,
    )
    ratings = [
        (item.technique, item.tension_before, item.tension_after)
        for item in log
        if item.tension_before is not None and item.tension_after is not None
    ]
    techniques = tension_change_by_technique(ratings)
    history = [h for h in tone_records(db) if start_at <= h.recorded_at < end_at]
    tone = resting_tone_trend([h.recorded_at for h in history], [h.resting_uv for h in history])
    return Practice(weeks, techniques, tone, [], chapter_tone(db, start_at, end_at))


def compute_insights(
    db: Session,
    *,
    first: date | None = None,
    last: date | None = None,
    kind: str | None = None,
    day_starts_at: int | None = None,
    min_days: int = MIN_DAYS,
    fdr_level: float = FDR_LEVEL,
    region: str | None = None,
) -> Insights:
    """Trigger statistics and practice effect for the period (default: the whole diary), for one region if given."""
    data = load_diary(db, first=first, last=last, kind=kind, day_starts_at=day_starts_at, region=region)
    table = data.table()
    triggers = triggers_for(table, data.factors, min_days=min_days, fdr_level=fdr_level, noun=data.noun)
    practice = practice_effect(db, data, table)
    return Insights(data, table, triggers, practice)


# The trigger fit is most of a page's time (~100 of ~130 ms on a 180-day diary) and its input, the day table, only
# changes when the diary does: the report is kept for the last few tables, keyed by their content, so an unchanged
# diary is not fitted again and a changed one can never be served an old report.
_TRIGGER_CACHE_SIZE = 16
_trigger_cache: OrderedDict[tuple[Any, ...], TriggerReport] = OrderedDict()
_trigger_cache_lock = threading.Lock()


def _table_fingerprint(table: pd.DataFrame) -> str:
    """A digest of the day table's index, columns and every value (NaN included)."""
    digest = hashlib.sha256(repr(list(table.columns)).encode())
    digest.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def triggers_for(
    table: pd.DataFrame, factors: list[Factor], *, min_days: int, fdr_level: float, noun: str
) -> TriggerReport:
    """`analyse_triggers`, fitted once per distinct day table (a copy of the kept report each time)."""
    key = (_table_fingerprint(table), tuple(factors), min_days, fdr_level, noun)
    with _trigger_cache_lock:
        kept = _trigger_cache.get(key)
        if kept is not None:
            _trigger_cache.move_to_end(key)
    if kept is None:
        kept = analyse_triggers(table, factors, min_days=min_days, fdr_level=fdr_level, noun=noun)
        with _trigger_cache_lock:
            _trigger_cache[key] = kept
            while len(_trigger_cache) > _TRIGGER_CACHE_SIZE:
                _trigger_cache.popitem(last=False)
    return copy.deepcopy(kept)  # callers may annotate their report; the kept one stays as fitted


# ---------------------------------------------------------------- heat map and calendar by factor


def factor_by_key(data: DiaryData, key: str) -> Factor:
    for factor in data.factors:
        if factor.key == key:
            return factor
    raise UserInputError.single("factor", f"'{key}' is not one of your factors")


def exposure_days(insights: Insights, key: str) -> tuple[str, set[date]]:
    """The phrase and the diary days on which a factor (same day / night before) was present."""
    factor = factor_by_key(insights.data, key)
    if key not in insights.table.columns:
        return factor.cut.phrase, set()
    values = insights.table[key].to_numpy(dtype=float)
    cut = choose_cut(factor, values, MIN_DAYS) or factor.cut
    exposed = cut.apply(values)
    return cut.phrase, {day.date() for day, flag in zip(insights.table.index, exposed, strict=True) if flag == 1}


def _region_label(region_id: str) -> str:
    try:
        return get_region(region_id).label
    except UserInputError:
        return region_id


def region_rates(insights: Insights, days: set[date] | None = None) -> list[dict[str, Any]]:
    """Episodes per region per 100 days, on the given days and on the others (or on all days)."""
    all_days = {d.date() for d in insights.table.index}
    inside = days if days is not None else all_days
    outside = all_days - inside
    hour = insights.data.day_starts_at
    wanted = insights.data.kind
    counts_in: Counter[str] = Counter()
    counts_out: Counter[str] = Counter()
    for episode in insights.data.episodes:
        if wanted and episode.kind != wanted:
            continue
        day = diary_day(episode.started_at, episode.timezone, hour)
        if day not in all_days:
            continue
        target = counts_in if day in inside else counts_out
        for region_id in {r for r, _ in episode.regions}:
            target[region_id] += 1
    rows: list[dict[str, Any]] = []
    for region_id in sorted(set(counts_in) | set(counts_out)):
        rows.append(
            {
                "region": region_id,
                "label": _region_label(region_id),
                "with": counts_in[region_id] * 100 / len(inside) if inside else None,
                "without": counts_out[region_id] * 100 / len(outside) if outside else None,
                "count_with": counts_in[region_id],
                "count_without": counts_out[region_id],
            }
        )
    rows.sort(key=lambda r: -(r["with"] or 0))
    return rows


CUE_KIND_WORDS = {"release_cue": "an extra release cue", "silence": "a longer silence", "move_on": "moving on"}


def cue_sentences(db: Session) -> tuple[list[str], int]:
    """What the adaptive sessions' choices did to tone 10 s later, per kind and region, once measured often enough
    (sentences), and how many more kinds-in-a-region are still being measured."""
    from unclench.sessions.decisions import cue_effects

    sentences, waiting = [], 0
    for e in cue_effects(db):
        if not e.enough or e.low is None or e.high is None:
            waiting += 1
            continue
        sentences.append(
            f"After {CUE_KIND_WORDS.get(e.choice, e.choice)} for the {_region_label(e.region).split(' (')[0].lower()}, "
            f"your tone 10 s later was {_percent_change(e.change)} on average (likely range "
            f"{_percent_range(e.low, e.high)}; measured {e.n} times)."
        )
    return sentences, waiting


def _percent_change(ratio: float) -> str:
    """0.62 → '38 % lower', 1.1 → '10 % higher'."""
    change = round((ratio - 1) * 100)
    return "no different" if change == 0 else f"{abs(change)} % {'higher' if change > 0 else 'lower'}"


def _percent_range(low: float, high: float) -> str:
    """(0.56, 0.64) → '36–44 % lower'; (0.9, 1.2) → 'from 10 % lower to 20 % higher'."""
    a, b = round((1 - low) * 100), round((1 - high) * 100)
    if high < 1:
        return f"{b}–{a} % lower"
    if low > 1:
        return f"{-a}–{-b} % higher"
    return f"from {a} % lower to {-b} % higher"
