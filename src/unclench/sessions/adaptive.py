"""An adaptive session's audio: voice clips cut at the decision points, the release cues and the longer silence as
clips of their own, a looping background bed, and the decision graph the player follows (pure, no database).

Every clip comes from the same rendering as the plain session: the same phrases (same voice, same phrase cache,
same levelling) and the same loudness gain as the plain mix, so the "move on" path sounds as the plain session does.
The voice track is silent where it is cut (a point lies inside a pause), and every clip starts and ends with a short
raised-cosine fade, so any two clips joined end to start meet without a jump. The format is in docs/ADAPTIVE.md.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from unclench.sessions import audio
from unclench.sessions.audio import FloatArray
from unclench.sessions.composer import ADAPTIVE_CUE_PAUSE_S, ADAPTIVE_SILENCE_S, Script, Timeline
from unclench.sessions.options import BINAURAL_BEATS

GRAPH_VERSION: Final = 1
FOLDER: Final = "adaptive"
GRAPH_FILE: Final = "graph.json"
MAX_CUES_IN_A_ROW: Final = 2
CUE_LEAD_S: Final = 0.4
"""Quiet before an extra cue's words, as between two sentences."""
EDGE_FADE_S: Final = 0.005
"""Every clip fades in and out over 5 ms: a cut that is not quite silent still starts and ends at zero."""
BED_LOOP_S: Final = 60.0
BED_CROSSFADE_S: Final = 2.0
BED_FADE_IN_S: Final = 4.0
SOFT_BED_DB: Final = -6.0
"""The background during the longer silence: this much softer (and darker) than its usual level."""
BINAURAL_CARRIER_HZ: Final = 200.0
CLIP_NAME: Final = r"^[a-z0-9-]{1,40}\.wav$"
"""What a clip's file name looks like (the web route serves only such names)."""


@dataclass(frozen=True)
class ClipPlan:
    """One clip: its length in samples and where each phrase goes in it (sample offset, text)."""

    samples: int
    placed: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class VoiceClips:
    """The voice cut for an adaptive session: each clip's plan, the phrases they place (levelled, before the loudness
    gain), and the graph's skeleton."""

    plans: dict[str, ClipPlan]
    phrases: dict[str, FloatArray]
    graph: dict[str, Any]


def _speech_in(timeline: Timeline, start: float, end: float) -> list[list[Any]]:
    """The sentences between ``start`` and ``end`` (seconds), as [start, end, text] relative to ``start``."""
    return [
        [round(s.start - start, 3), round(s.end - start, 3), s.text]
        for s in timeline.speech()
        if start <= s.start < end
    ]


def cue_id(text: str) -> str:
    """A cue's clip id, by its words (the same cue at two points is one clip)."""
    return "cue-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def cut_voice(
    script: Script, timeline: Timeline, phrases: Mapping[str, FloatArray], rate: int, samples: int
) -> VoiceClips:
    """Plan the voice track of ``samples`` samples cut at every decision point, each point's cue clips and the silence.

    The phrases are placed as `render` places them on the plain track, so the main clips end to end are that track.
    """
    cuts = [0]
    for point in script.points:
        cuts.append(min(max(round(timeline.segments[point.index].start * rate), cuts[-1]), samples))
    cuts.append(samples)
    placed: list[list[tuple[int, str]]] = [[] for _ in cuts[1:]]
    for segment in timeline.speech():
        start = min(round(segment.start * rate), max(0, samples - phrases[segment.text].size))
        number = max(0, bisect.bisect_right(cuts, start) - 1)
        if number < len(placed):
            placed[number].append((start - cuts[number], segment.text))
    plans: dict[str, ClipPlan] = {}
    meta: dict[str, dict[str, Any]] = {}
    main: list[str] = []
    for number, (start, end) in enumerate(itertools.pairwise(cuts)):
        clip_id = f"main-{number}"
        plans[clip_id] = ClipPlan(end - start, tuple(placed[number]))
        meta[clip_id] = {"kind": "main", "start_s": round(start / rate, 3)}
        meta[clip_id]["speech"] = _speech_in(timeline, start / rate, end / rate if end < samples else math.inf)
        main.append(clip_id)
    lead, rest = round(CUE_LEAD_S * rate), round(ADAPTIVE_CUE_PAUSE_S * rate)
    points = []
    for number, point in enumerate(script.points):
        ids = []
        for text in point.cues:
            clip_id = cue_id(text)
            if clip_id not in plans:
                size = phrases[text].size
                plans[clip_id] = ClipPlan(lead + size + rest, ((lead, text),))
                spoken_end = CUE_LEAD_S + size / rate
                meta[clip_id] = {"kind": "cue", "speech": [[CUE_LEAD_S, round(spoken_end, 3), text]]}
            ids.append(clip_id)
        points.append(
            {
                "id": point.id,
                "after": main[number],
                "next": main[number + 1],
                "at_s": round(cuts[number + 1] / rate, 3),
                "region": point.region,
                "side": point.side,
                "regions": list(point.regions),
                "spoken": point.spoken,
                "chapter": point.chapter,
                "cues": ids,
                "silence": "silence",
            }
        )
    if points:
        plans["silence"] = ClipPlan(round(ADAPTIVE_SILENCE_S * rate))
        meta["silence"] = {"kind": "silence", "speech": []}
    first = script.options.regions[0] if script.options.regions else None
    sensor = (
        f"{first.region_id}:{first.side}"
        if first
        else (f"{script.points[0].region}:{script.points[0].side}" if script.points else "")
    )
    graph = {
        "version": GRAPH_VERSION,
        "sample_rate": rate,
        "duration_s": round(samples / rate, 3),
        "max_cues_in_a_row": MAX_CUES_IN_A_ROW,
        "sensor_region": sensor,
        "start": main[0],
        "main": main,
        "points": points,
        "clips": meta,
    }
    used = {text for plan in plans.values() for _offset, text in plan.placed}
    return VoiceClips(plans, {text: phrases[text] for text in used}, graph)


def bed_loop(bed: FloatArray, rate: int) -> FloatArray:
    """A stretch of the background that loops without a seam: its end flows into its start through an equal-power
    crossfade (the two ends are independent noise, so their powers add)."""
    start = min(round(BED_FADE_IN_S * rate), max(0, bed.size - round((BED_LOOP_S + BED_CROSSFADE_S) * rate)))
    length = min(round(BED_LOOP_S * rate), bed.size - start - round(BED_CROSSFADE_S * rate))
    fade_n = round(BED_CROSSFADE_S * rate)
    if length <= fade_n:  # a background shorter than a loop (a very short session): loop it as it is
        return bed.astype(np.float32, copy=True)
    loop = bed[start : start + length].astype(np.float32, copy=True)
    after = bed[start + length : start + length + fade_n]
    theta = np.linspace(0.0, np.pi / 2, fade_n, endpoint=False, dtype=np.float64)
    loop[:fade_n] = (loop[:fade_n] * np.sin(theta) + after * np.cos(theta)).astype(np.float32)
    return loop


def _edges(clip: FloatArray, rate: int) -> FloatArray:
    return audio.fade(clip, rate, in_s=EDGE_FADE_S, out_s=EDGE_FADE_S) if clip.size else clip


def write(
    folder: Path,
    voice: VoiceClips,
    *,
    rate: int,
    gain: float,
    speech_rms: float,
    loop: FloatArray | None,
    binaural: str,
    fade_out_s: float,
) -> dict[str, Any]:
    """Write the clips (the mix's loudness gain applied), the bed (``loop``, from `bed_loop` of the unit-RMS
    background) at its level in the mix, and graph.json under ``folder/adaptive``."""
    target = folder / FOLDER
    (target / "clips").mkdir(parents=True, exist_ok=True)
    ceiling = 10 ** ((audio.TRUE_PEAK_DBTP - 1.0) / 20.0)  # a dB under the mix's ceiling: the bed plays beneath
    graph = dict(voice.graph)
    clips_meta = {key: dict(value) for key, value in graph["clips"].items()}
    ready: dict[str, FloatArray] = {}
    for text, phrase in voice.phrases.items():  # each phrase once: at the mix's gain, limited only where it must be
        loud = phrase * np.float32(gain)
        if loud.size and float(np.max(np.abs(loud))) * 1.12 > ceiling:  # 1 dB for inter-sample peaks
            loud = audio.limit(loud, rate, ceiling_db=audio.TRUE_PEAK_DBTP - 1.0)
        ready[text] = loud
    for clip_id, plan in voice.plans.items():
        clip = np.zeros(plan.samples, dtype=np.float32)
        for offset, text in plan.placed:
            part = ready[text][: max(0, plan.samples - offset)]
            clip[offset : offset + part.size] = part
        name = f"{clip_id}.wav"
        audio.export(_edges(clip, rate), rate, target / "clips" / name, "wav")
        clips_meta[clip_id] |= {
            "file": f"clips/{name}",
            "samples": plan.samples,
            "seconds": round(plan.samples / rate, 3),
        }
    graph["clips"] = clips_meta
    level = speech_rms * 10 ** (-audio.BACKGROUND_BELOW_SPEECH_DB / 20.0) * gain
    if loop is not None:
        audio.export(loop * np.float32(level), rate, target / "bed.wav", "wav")
        graph["bed"] = {
            "file": "bed.wav",
            "loop": True,
            "fade_in_s": BED_FADE_IN_S,
            "duck_db": audio.DUCK_DB,
            "soft_db": SOFT_BED_DB,
        }
    else:
        graph["bed"] = None
    beat = BINAURAL_BEATS[binaural]
    graph["binaural"] = (
        {
            "beat_hz": beat,
            "carrier_hz": BINAURAL_CARRIER_HZ,
            # binaural_beat's tones have unit RMS: a sine of amplitude √2; the mix puts them this far under speech.
            "amplitude": math.sqrt(2) * speech_rms * 10 ** (-audio.BINAURAL_BELOW_SPEECH_DB / 20.0) * gain,
        }
        if beat > 0
        else None
    )
    graph["fade_out_s"] = fade_out_s  # the background and the beat fade out over the last clip's end
    graph["loudness_gain_db"] = round(20 * math.log10(gain), 3) if gain > 0 else None
    (target / GRAPH_FILE).write_text(json.dumps(graph, indent=1), encoding="utf-8")
    return graph


def load_graph(folder: Path) -> dict[str, Any] | None:
    """The decision graph of a rendered adaptive session, or None when the folder has none."""
    path = folder / FOLDER / GRAPH_FILE
    if not path.exists():
        return None
    graph: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return graph
