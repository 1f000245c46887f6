"""Ground-truth signals whose resting tone steps from part to part, and listens whose session has real chapters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from unclench.sessions import service as sessions
from unclench.sessions.composer import compose, estimated_timeline
from unclench.sessions.models import Listen
from unclench.sessions.options import SessionOptions
from unclench.sessions.render import MANIFEST


@dataclass(frozen=True)
class ToneSteps:
    signal: np.ndarray  # µV at FS
    onsets_s: np.ndarray  # true burst onsets
    part_s: float
    levels_uv: tuple[float, ...]


FS = 1000.0


def tone_steps(levels_uv: Sequence[float], part_s: float, *, seed: int = 0, bursts_per_min: float = 4.0) -> ToneSteps:
    """Parts of ``part_s`` seconds, each at its own resting tone (µV RMS), with strong bursts of known onset."""
    from unclench.emg.simulate import simulate_emg

    parts, onsets = [], []
    for i, level in enumerate(levels_uv):
        sim = simulate_emg(
            part_s,
            FS,
            seed=seed + i,
            rest_uv=level,
            burst_rate_per_min=bursts_per_min,
            strength_range=(40.0 / level, 80.0 / level),  # 40–80 µV whatever the tone: all clearly bursts
            duration_range_s=(0.5, 2.0),
            mains_hz=None,
            wander_uv=0.0,
            motion_per_min=0.0,
            first_burst_after_s=3.0,
        )
        parts.append(sim.signal)
        onsets.extend((sim.onsets + i * part_s).tolist())
    x = np.concatenate(parts)
    t = np.arange(x.size) / FS
    x += 15.0 * np.sin(2 * np.pi * 50.0 * t + 0.3)  # one continuous mains hum, as an amplifier picks up
    return ToneSteps(x, np.array(onsets), part_s, tuple(levels_uv))


def listen_with_chapters(
    db: Session,
    *,
    minutes: float = 4.0,
    started_at: datetime | None = None,
    technique: str = "pmr",
    chapters: Sequence[tuple[str, float, float]] | None = None,
) -> Listen:
    """A listened session whose render manifest holds the composer's own chapters (estimated timeline, no audio),
    or the given (title, start, end) chapters for a very short one."""
    options = SessionOptions(minutes=minutes, technique=technique)
    session = sessions.create_session(db, options)
    if chapters is None:
        timeline = estimated_timeline(compose(sessions.options_of(session)))
        chapters = [(c.title, c.start, c.end) for c in timeline.chapters]
    duration = chapters[-1][2]
    key = f"test-{session.id}"
    folder = sessions.audio_root() / key
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "key": key,
        "duration_s": duration,
        "loudness_lufs": -23.0,
        "true_peak_dbtp": -1.0,
        "channels": 1,
        "files": {},
        "chapters": [{"title": title, "start": start, "end": end} for title, start, end in chapters],
        "segments": [],
    }
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    session.artefact_key, session.status, session.duration_s = key, "ready", duration
    listen = sessions.start_listen(db, session.id, tension_before=6)
    if started_at is not None:
        listen.started_at = started_at
    sessions.update_listen(db, listen.id, heard_s=duration, finished=True, tension_after=3)
    db.flush()
    return listen
