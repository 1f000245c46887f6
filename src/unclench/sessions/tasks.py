"""The sessions' background tasks (run in-process by the local app, by `unclench worker` on a clinic)."""

from __future__ import annotations

from typing import Any

from unclench.core.jobs import Report, caller_from_dict, task
from unclench.sessions import service


@task("session-render")
def render_session(report: Report, *, session_id: str, caller: dict[str, Any]) -> str:
    """Render a stored session's audio (reused when its settings hash was rendered before); returns the hash."""
    return service.render_now(session_id, report, caller=caller_from_dict(caller)).key
