"""The practitioner's roster: every client with what they share, one query per figure over all of them (not one
per client), so 200 clients cost the same handful of queries as 2.

Each figure is computed only for the clients who consented to its category; for the others it is None, which the
page shows as "not shared" (never a zero). The queries are Core statements in each domain's service that name
the people themselves: the roster's caller is the practitioner, whom the central scoping gives no one's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from unclench.accounts import audit
from unclench.core import clock
from unclench.core.identity import Caller
from unclench.diary import service as diary
from unclench.emg import service as emg
from unclench.practice.service import Client, practitioner_clients
from unclench.screening import service as screening
from unclench.sessions import programmes
from unclench.sessions import service as sessions
from unclench.stress import service as stress

WINDOW = timedelta(days=28)


@dataclass(frozen=True)
class EpisodeTrend:
    recent: int
    before: int

    @property
    def words(self) -> str:
        if self.recent == self.before:
            return "same"
        return "fewer" if self.recent < self.before else "more"


@dataclass(frozen=True)
class ToneTrend:
    recordings: int
    per_week_uv: float | None  # None: too few recordings (or too short a span) for a trend


@dataclass
class RosterRow:
    """One client on the roster; None in a figure: the client does not share that category."""

    client: Client
    red_flag: str | None = None  # what is open; "" when safety is shared and nothing is open
    last_activity: datetime | None = None
    episodes: EpisodeTrend | None = None
    tension_drop: tuple[float | None, int] | None = None  # (mean drop, rated listens) over the window
    pss: tuple[int, str, datetime] | None = None
    tone: ToneTrend | None = None
    # Listening adherence against the programme running today (None: none is), from listens that counted; needs
    # the "sessions" category (the listening log).
    adherence: programmes.ProgrammeAdherence | None = None
    consented: bool = field(default=True)

    def shares(self, category: str) -> bool:
        return category in self.client.categories


def client_summary(db: Session, practitioner: Caller, person_id: int) -> RosterRow | None:
    """The roster's figures for one client (their page's summary), or None if they are not this practitioner's."""
    if practitioner.account_id is None:
        return None
    rows = build_roster(db, practitioner.account_id, only=person_id)
    return rows[0] if rows else None


def build_roster(
    db: Session, practitioner_account_id: int, *, only: int | None = None, audit_reads: bool = True
) -> list[RosterRow]:
    """The practitioner's clients (or the one client `only`) with their figures, open red flags first, then by name."""
    from unclench.insights.practice import resting_tone_trend

    clients = practitioner_clients(db, practitioner_account_id)
    if only is not None:
        clients = [c for c in clients if c.person_id == only]
    rows = {c.person_id: RosterRow(c, consented=bool(c.categories)) for c in clients}

    def sharing(category: str) -> list[int]:
        return [c.person_id for c in clients if category in c.categories]

    end = clock.now()
    middle, start = end - WINDOW, end - 2 * WINDOW
    activity: dict[int, list[datetime]] = {}

    safety = sharing("safety")
    flags = screening.open_red_flags_by_person(db, safety)
    for person_id in safety:
        rows[person_id].red_flag = flags.get(person_id, "")
    diary_ids = sharing("diary")
    counts = diary.episode_counts_by_person(db, diary_ids, start, middle, end)
    for person_id in diary_ids:
        before, recent, newest = counts.get(person_id, (0, 0, None))
        rows[person_id].episodes = EpisodeTrend(recent, before)
        if newest is not None:
            activity.setdefault(person_id, []).append(newest)
    for person_id, moment in diary.last_checkin_by_person(db, sharing("checkins")).items():
        activity.setdefault(person_id, []).append(moment)
    listen_ids = sharing("sessions")
    drops = sessions.tension_drop_by_person(db, listen_ids, middle)
    for person_id in listen_ids:
        mean, rated, newest = drops.get(person_id, (None, 0, None))
        rows[person_id].tension_drop = (mean, rated)
        if newest is not None:
            activity.setdefault(person_id, []).append(newest)
    for person_id, kept in programmes.adherence_by_person(db, listen_ids, today=clock.today()).items():
        rows[person_id].adherence = kept
    for person_id, pss in stress.latest_pss_by_person(db, sharing("stress")).items():
        rows[person_id].pss = pss
        activity.setdefault(person_id, []).append(pss[2])
    emg_ids = sharing("emg")
    tones = emg.resting_tone_by_person(db, emg_ids)
    for person_id in emg_ids:
        series = tones.get(person_id, [])
        trend = resting_tone_trend([t for t, _ in series], [v for _, v in series]) if series else None
        rows[person_id].tone = ToneTrend(len(series), trend.slope_per_week if trend is not None else None)
        if series:
            activity.setdefault(person_id, []).append(series[-1][0])
    for person_id, moments in activity.items():
        rows[person_id].last_activity = max(moments)

    ordered = sorted(rows.values(), key=lambda r: (not r.red_flag, r.client.name.lower()))
    if audit_reads:
        record_roster_reads(db, ordered)
    return ordered


def record_roster_reads(db: Session, rows: list[RosterRow]) -> int:
    """One "data_read" audit entry per consenting client shown. The chain's head stays locked from here until the
    request commits and every practitioner's roster appends to it, so a page calls this after rendering."""
    shown = [r for r in rows if r.consented]
    return audit.record_reads(
        db, [(r.client.person_id, audit.What("roster", ", ".join(sorted(r.client.categories)))) for r in shown]
    )
