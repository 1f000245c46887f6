"""The sections a report can hold, in the order they print (kept apart so `unclench report --help` loads no service)."""

from __future__ import annotations

SECTIONS: dict[str, str] = {
    "summary": "Summary numbers",
    "where": "Where on the body",
    "calendar": "Calendar",
    "kinds": "Kinds and durations",
    "medications": "Medicines",
    "safety": "Safety screen",
    "stress": "Stress",
    "factors": "Factors with evidence",
    "practice": "Practice and its effect",
}
