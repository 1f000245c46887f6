"""WebVTT transcript and chapters from a fitted timeline (pure)."""

from __future__ import annotations

from unclench.sessions.composer import Timeline


def vtt_time(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def transcript_vtt(timeline: Timeline) -> str:
    """One cue per spoken sentence, with its chapter as the cue id prefix."""
    lines = ["WEBVTT", "", "NOTE Transcript of a relaxation session. Chapters are in the chapters track.", ""]
    for number, segment in enumerate(timeline.speech(), start=1):
        lines += [f"{number}", f"{vtt_time(segment.start)} --> {vtt_time(segment.end)}", segment.text, ""]
    return "\n".join(lines)


def chapters_vtt(timeline: Timeline) -> str:
    lines = ["WEBVTT", ""]
    for number, chapter in enumerate(timeline.chapters, start=1):
        lines += [f"chapter-{number}", f"{vtt_time(chapter.start)} --> {vtt_time(chapter.end)}", chapter.title, ""]
    return "\n".join(lines)


def parse_vtt(text: str) -> list[tuple[float, float, str]]:
    """(start, end, text) for every cue; used by tests and the player's JSON."""

    def seconds(stamp: str) -> float:
        h, m, s = stamp.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    cues: list[tuple[float, float, str]] = []
    blocks = text.replace("\r\n", "\n").split("\n\n")
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        for i, line in enumerate(lines):
            if "-->" in line:
                start, end = (part.strip() for part in line.split("-->"))
                cues.append((seconds(start), seconds(end.split()[0]), " ".join(lines[i + 1 :])))
                break
    return cues
