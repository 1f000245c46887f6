"""Does practice help? Pure functions over plain lists, so they work with whatever sessions and EMG store.

* :func:`weekly_practice_effect` — episode rate and intensity in weeks with regular listening vs weeks without.
* :func:`tension_change_by_technique` — before/after tension ratings (0–10) per session technique.
* :func:`resting_tone_trend` — the trend of EMG resting tone (µV RMS) over time (Theil–Sen slope).
* :func:`tone_change_by_chapter` — per technique and chapter kind, the EMG resting tone's change from the start of
  a session (%), over the listens that have a recording.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import statsmodels.api as sm
from scipy import stats

from unclench.insights.triggers import Z95, fit_rate_ratio

MIN_WEEKS = 4
MIN_SESSIONS = 3
MIN_RECORDINGS = 4
MIN_LISTENS_WITH_RECORDING = 5
"""Tone per part of a session is shown once this many listens have an EMG recording tied to them."""


@dataclass(frozen=True)
class PracticeWeeks:
    weeks_regular: int
    weeks_without: int
    rate_regular: float | None
    """Episodes per week in weeks with regular listening."""
    rate_without: float | None
    ratio: float | None
    low: float | None
    high: float | None
    p_value: float | None
    intensity_regular: float | None
    intensity_without: float | None
    sentence: str

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def weekly_practice_effect(
    days: Sequence[date],
    counts: Sequence[float],
    intensity_sums: Sequence[float],
    listening_days: Sequence[date],
    *,
    regular: int = 3,
    noun: str = "episodes",
) -> PracticeWeeks:
    """Compare weeks (Monday–Sunday) with at least `regular` listening days to weeks with none.

    `days`, `counts` and `intensity_sums` describe every diary day in the period (episodes that day and
    the sum of their intensities); `listening_days` has one entry per session listened to. Weeks with some
    but fewer than `regular` sessions are left out of the comparison. Only whole weeks count.
    """
    if not (len(days) == len(counts) == len(intensity_sums)):
        raise ValueError("days, counts and intensity_sums must have the same length")
    weeks: dict[date, list[float]] = {}
    for day, count, total in zip(days, counts, intensity_sums, strict=True):
        monday = date.fromordinal(day.toordinal() - day.weekday())
        week = weeks.setdefault(monday, [0.0, 0.0, 0.0, 0.0])  # days, episodes, intensity sum, sessions
        week[0] += 1
        week[1] += float(count)
        week[2] += float(total)
    for day in listening_days:
        monday = date.fromordinal(day.toordinal() - day.weekday())
        if monday in weeks:
            weeks[monday][3] += 1
    whole = [w for w in weeks.values() if w[0] == 7]
    reg = [w for w in whole if w[3] >= regular]
    none = [w for w in whole if w[3] == 0]

    def _rate(group: list[list[float]]) -> float | None:
        return sum(w[1] for w in group) / len(group) if group else None

    def _intensity(group: list[list[float]]) -> float | None:
        n = sum(w[1] for w in group)
        return sum(w[2] for w in group) / n if n else None

    empty = PracticeWeeks(len(reg), len(none), _rate(reg), _rate(none), None, None, None, None, None, None, "")
    if len(reg) < MIN_WEEKS or len(none) < MIN_WEEKS:
        sentence = (
            f"Not enough weeks to compare yet: {len(reg)} whole weeks with {regular} or more sessions and "
            f"{len(none)} without any; needs at least {MIN_WEEKS} of each."
        )
        return PracticeWeeks(**{**empty.__dict__, "sentence": sentence})
    y = np.array([w[1] for w in reg + none])
    x = np.array([1.0] * len(reg) + [0.0] * len(none))
    i_reg, i_none = _intensity(reg), _intensity(none)
    if y[x == 1].sum() == 0 or y[x == 0].sum() == 0:
        sentence = f"{len(reg)} weeks with regular listening and {len(none)} without; too few {noun} to compare."
        return PracticeWeeks(**{**empty.__dict__, "sentence": sentence})
    rr = fit_rate_ratio(y, x)
    direction = "fewer" if rr.ratio < 1 else "more"
    change = abs(1 - rr.ratio) * 100
    certain = "" if rr.high < 1 or rr.low > 1 else " The range includes no difference, so this may be chance."
    sentence = (
        f"In the {len(reg)} weeks you listened {regular} or more times you logged {_rate(reg):.1f} {noun} a week, "
        f"against {_rate(none):.1f} in the {len(none)} weeks without: {change:.0f} % {direction} "
        f"(rate ratio {rr.ratio:.2f}; likely range {rr.low:.2f}–{rr.high:.2f}).{certain}"
    )
    if i_reg is not None and i_none is not None:
        sentence += f" Mean intensity {i_reg:.1f} in practice weeks against {i_none:.1f} (0–10)."
    return PracticeWeeks(
        len(reg), len(none), _rate(reg), _rate(none), rr.ratio, rr.low, rr.high, rr.p_value, i_reg, i_none, sentence
    )


@dataclass(frozen=True)
class TechniqueChange:
    technique: str
    sessions: int
    mean_drop: float | None
    """Mean of (before - after) tension on 0–10; positive means tension fell."""
    low: float | None
    high: float | None
    p_value: float | None
    sentence: str

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def tension_change_by_technique(
    ratings: Sequence[tuple[str, float, float]], *, min_sessions: int = MIN_SESSIONS
) -> list[TechniqueChange]:
    """Per technique: how much tension (0–10) fell from before to after a session, best first.

    `ratings` is one (technique, tension before, tension after) per listened session with both ratings.
    The interval is a paired t interval; techniques with fewer than `min_sessions` rated sessions say so.
    """
    groups: dict[str, list[float]] = {}
    for technique, before, after in ratings:
        groups.setdefault(technique, []).append(float(before) - float(after))
    out: list[TechniqueChange] = []
    for technique, drops in groups.items():
        n = len(drops)
        if n < min_sessions:
            out.append(
                TechniqueChange(
                    technique,
                    n,
                    float(np.mean(drops)),
                    None,
                    None,
                    None,
                    f"{technique}: {n} rated session{'s' if n != 1 else ''} so far; needs {min_sessions} to say more.",
                )
            )
            continue
        mean, low, high, p = t_interval(drops)
        verb = "fell" if mean >= 0 else "rose"
        out.append(
            TechniqueChange(
                technique,
                n,
                mean,
                low,
                high,
                p,
                f"{technique}: tension {verb} by {abs(mean):.1f} points on average over {n} sessions "
                f"(likely range {low:+.1f} to {high:+.1f}).",
            )
        )
    out.sort(key=lambda t: (t.low is None, -(t.mean_drop or 0.0)))
    return out


def t_interval(values: Sequence[float]) -> tuple[float, float, float, float]:
    """Mean with its 95 % t interval and the one-sample t test's p value against 0 (at least 2 values)."""
    arr = np.asarray(values, dtype=float)
    n = arr.size
    mean = float(arr.mean())
    sd = float(arr.std(ddof=1))
    if sd == 0:
        return mean, mean, mean, 0.0 if mean != 0 else 1.0
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half, float(stats.ttest_1samp(arr, 0.0).pvalue)


@dataclass(frozen=True)
class ChapterToneChange:
    technique: str
    """The technique's key, as in TechniqueChange (pmr, body_scan, …)."""
    technique_label: str
    kind: str
    """The chapter kind (opening, induction, deepener, …)."""
    label: str
    listens: int
    mean_pct: float | None
    """Mean change of resting tone from the start of the session, %; negative means the muscle let go."""
    low: float | None
    high: float | None
    sentence: str

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ToneByChapter:
    listens: int
    """Listens with an EMG recording that gave at least one number."""
    needed: int
    rows: list[ChapterToneChange]
    sentence: str

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "rows": [r.as_dict() for r in self.rows]}


def tone_change_by_chapter(
    changes: Sequence[tuple[str, str, str, float]],
    *,
    listens: int,
    kinds: Sequence[tuple[str, str]],
    techniques: Mapping[str, str] | None = None,
    min_listens: int = MIN_LISTENS_WITH_RECORDING,
    min_group: int = MIN_SESSIONS,
) -> ToneByChapter:
    """Per technique and chapter kind: mean change of EMG resting tone from the session's start, with a t interval.

    `changes` is one (listen id, technique, chapter kind, change %) per listen and kind (a listen's channels and
    repeated chapters of a kind averaged first, so each listen counts once); `listens` is how many listens with a
    recording there are; `kinds` orders and names the kinds ((kind, words)), `techniques` names the techniques.
    Nothing is shown below `min_listens`.
    """
    if listens < min_listens:
        more = min_listens - listens
        return ToneByChapter(
            listens,
            min_listens,
            [],
            f"Muscle tone per part of a session shows once {min_listens} listens have an EMG recording: "
            f"{more} more listen{'s' if more != 1 else ''} with a recording.",
        )
    per_listen: dict[tuple[str, str, str], list[float]] = {}
    for listen_id, technique, kind, change in changes:
        per_listen.setdefault((listen_id, technique, kind), []).append(float(change))
    groups: dict[tuple[str, str], list[float]] = {}
    for (_, technique, kind), values in per_listen.items():
        groups.setdefault((technique, kind), []).append(float(np.mean(values)))
    order = {kind: i for i, (kind, _) in enumerate(kinds)}
    words = dict(kinds)
    rows: list[ChapterToneChange] = []
    for (technique, kind), values in sorted(groups.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99))):
        n = len(values)
        label = words.get(kind, kind)
        name = (techniques or {}).get(technique, technique)
        if n < min_group:
            rows.append(
                ChapterToneChange(
                    technique,
                    name,
                    kind,
                    label,
                    n,
                    float(np.mean(values)),
                    None,
                    None,
                    f"{name} · {label}: {n} listen{'s' if n != 1 else ''} with a number so far; "
                    f"needs {min_group} for a likely range.",
                )
            )
            continue
        mean, low, high, _p = t_interval(values)
        direction = "lower" if mean < 0 else "higher"
        certain = "" if high < 0 or low > 0 else " The range includes no change, so this may be chance."
        rows.append(
            ChapterToneChange(
                technique,
                name,
                kind,
                label,
                n,
                mean,
                low,
                high,
                f"{name} · {label}: resting tone {abs(mean):.0f} % {direction} than at the start on average "
                f"over {n} listens (likely range {low:+.0f} % to {high:+.0f} %).{certain}",
            )
        )
    sentence = f"From {listens} listens with an EMG recording; negative changes mean the muscle let go."
    return ToneByChapter(listens, min_listens, rows, sentence)


@dataclass(frozen=True)
class ToneTrend:
    recordings: int
    first_uv: float | None
    last_uv: float | None
    slope_per_week: float | None
    """Change in resting tone per week (µV RMS); negative means the muscle is letting go."""
    low: float | None
    high: float | None
    percent_per_month: float | None
    sentence: str

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def resting_tone_trend(times: Sequence[datetime | date], resting_uv: Sequence[float]) -> ToneTrend:
    """Theil–Sen trend of resting tone over time (robust to an odd recording), with a 95 % interval."""
    if len(times) != len(resting_uv):
        raise ValueError("times and resting_uv must have the same length")
    n = len(times)
    if n < MIN_RECORDINGS:
        return ToneTrend(
            n,
            None,
            None,
            None,
            None,
            None,
            None,
            f"{n} EMG recordings so far; a trend needs at least {MIN_RECORDINGS}.",
        )
    order = np.argsort([_days(t) for t in times])
    t_days = np.array([_days(times[i]) for i in order])
    y = np.array([float(resting_uv[i]) for i in order])
    if np.ptp(t_days) < 7:
        return ToneTrend(
            n, float(y[0]), float(y[-1]), None, None, None, None, "The EMG recordings span less than a week."
        )
    slope, _intercept, low, high = stats.theilslopes(y, t_days, alpha=0.95)
    per_week, low_w, high_w = slope * 7, low * 7, high * 7
    level = float(np.median(y))
    percent = (slope * 30.44 / level * 100) if level > 0 else None
    direction = "fell" if per_week < 0 else "rose"
    certain = "" if (high_w < 0 or low_w > 0) else " The range includes no change, so this may be chance."
    sentence = (
        f"Across {n} EMG recordings your resting tone {direction} by {abs(per_week):.2f} µV a week "
        f"(likely range {low_w:+.2f} to {high_w:+.2f})"
        + (f", about {abs(percent):.0f} % a month." if percent is not None else ".")
        + certain
    )
    return ToneTrend(n, float(y[0]), float(y[-1]), per_week, low_w, high_w, percent, sentence)


def _days(moment: datetime | date) -> float:
    if isinstance(moment, datetime):
        return moment.timestamp() / 86400.0
    return float(moment.toordinal())


def linear_trend(values: Sequence[float]) -> tuple[float, float, float] | None:
    """Slope per step of an evenly spaced series with a 95 % interval (OLS), e.g. a weekly stress score."""
    y = np.asarray(values, dtype=float)
    y = y[~np.isnan(y)]
    if y.size < 3:
        return None
    x = sm.add_constant(np.arange(y.size, dtype=float))
    fitted = sm.OLS(y, x).fit()
    se = float(fitted.bse[1])
    slope = float(fitted.params[1])
    return slope, slope - Z95 * se, slope + Z95 * se
