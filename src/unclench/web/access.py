"""Who may reach which route: one table, deny by default, enforced for every route by one app-level dependency.

A policy names a kind of caller (see core/identity.py):
- `public`: anyone, even an unpaired phone — static files and the pairing pages only;
- `person`: the person whose data it is, on this computer (`local`) or on a paired phone (`device`);
- `desktop`: only this computer itself — sharing, the list of paired devices and revoking them (a phone must not
  pair more phones or remove others).

The table is keyed by the route's path template and method. A route without an entry is refused (and logged),
and tests/web/test_authorization_matrix.py fails on it first. To add a policy (clinic: `account`, `practitioner`,
`admin`), add its rule to RULES and name it in ROUTES.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from fastapi import WebSocketException
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.requests import HTTPConnection, Request

from unclench.core.identity import ANONYMOUS, Caller

log = logging.getLogger(__name__)

Policy = Literal["public", "person", "desktop"]

RULES: dict[str, Callable[[Caller], bool]] = {
    "public": lambda caller: True,
    "person": lambda caller: caller.kind in ("local", "device") and caller.person_id is not None,
    "desktop": lambda caller: caller.kind == "local",
}

ANY = "*"  # every method of the path (GET, HEAD, POST… and the WebSocket handshake)

# (method, path template) → policy. Most routes are the person's own data; the few others are spelled out first.
ROUTES: dict[tuple[str, str], Policy] = {
    # The pairing pages a phone opens before it is paired.
    (ANY, "/pair"): "public",
    (ANY, "/pair/{token}"): "public",
    # Only on the computer unclench runs on.
    (ANY, "/devices"): "desktop",
    (ANY, "/devices/link"): "desktop",
    (ANY, "/devices/{device_id}/revoke"): "desktop",
    # Deleting everything: a paired phone may download the data but not wipe it (a lost phone must not cost the diary).
    (ANY, "/privacy/data/delete"): "desktop",
    # The app's description and a script's CSRF token.
    (ANY, "/api/openapi.json"): "person",
    (ANY, "/api/csrf"): "person",
    **{
        (ANY, path): "person"
        for path in (
            "/",
            "/more",
            "/favicon.ico",
            "/sw.js",
            # diary
            "/api/regions",
            "/api/episodes",
            "/api/episodes/{episode_id}",
            "/api/episodes/{episode_id}/close",
            "/api/episodes/{episode_id}/restore",
            "/api/heatmap",
            "/api/checkins",
            "/api/checkins/{day}",
            "/api/factors",
            "/api/factors/{factor_id}",
            "/episodes/new",
            "/episodes/{episode_id}/edit",
            "/episodes/{episode_id}/delete",
            "/episodes/{episode_id}/restore",
            "/episodes/{episode_id}/close",
            "/timeline",
            "/calendar",
            "/checkin",
            "/factors",
            "/factors/{factor_id}/archive",
            # screening
            "/safety",
            "/safety/triage",
            "/safety/triage/{result_id}",
            "/safety/all-clear",
            "/safety/doctor",
            "/safety/medicines",
            "/safety/medicines/{medication_id}/delete",
            "/safety/episodes/{episode_id}/flags",
            "/api/safety/triage/questions",
            "/api/safety/triage",
            "/api/safety/triage/latest",
            "/api/safety/physical-causes",
            "/api/safety/medications/check",
            "/api/safety/medications",
            "/api/safety/medications/{medication_id}",
            "/api/safety/all-clear",
            "/api/safety/red-flag-features",
            "/api/safety/episodes/{episode_id}/red-flags",
            "/api/safety/notices",
            # stress
            "/stress",
            "/stress/results/{response_id}",
            "/stress/inventory",
            "/stress/reflect",
            "/stress/reflect/{note_id}/delete",
            "/stress/{slug}",
            "/api/stress/questionnaires/{instrument}",
            "/api/stress/questionnaires/{instrument}/history",
            "/api/stress/responses/{response_id}",
            "/api/stress/stressors",
            "/api/stress/plan",
            "/api/stress/reflection/{region_id}",
            "/api/stress/reflection-notes",
            "/api/stress/reflection-notes/{note_id}",
            "/api/stress/pss-history",
            # sessions
            "/sessions",
            "/sessions/practice",
            "/sessions/right-now",
            "/sessions/right-now/prepare",
            "/sessions/new",
            "/sessions/{session_id}",
            "/sessions/{session_id}/progress",
            "/sessions/{session_id}/render",
            "/sessions/{session_id}/variation",
            "/sessions/{session_id}/files/{name}",
            "/sessions/{session_id}/adaptive/{name}",
            "/sessions/{session_id}/adaptive/clips/{name}",
            "/api/sessions",
            "/api/sessions/listens",
            "/api/sessions/{session_id}",
            "/api/sessions/{session_id}/listens",
            "/api/sessions/listens/{listen_id}",
            "/programme",
            "/programme/due",
            "/programme/new",
            "/programme/{programme_id}/edit",
            "/programme/{programme_id}/delete",
            "/programme/{programme_id}/restore",
            # emg
            "/emg",
            "/emg/upload",
            "/emg/jobs/{job_id}",
            "/emg/live",
            "/emg/ws/live",
            "/emg/{recording_id}",
            "/emg/{recording_id}/plot.png",
            "/emg/channels/{channel_id}/region",
            "/emg/bursts/{burst_id}/episode",
            "/emg/{recording_id}/delete",
            "/emg/{recording_id}/listen",
            "/emg/listens/{listen_id}",
            "/emg/listens/{listen_id}/recording",
            "/emg/sessions/{session_id}/panel",
            "/api/listens/{listen_id}/decisions",
            "/api/emg/recordings",
            "/api/emg/recordings/{recording_id}",
            "/api/emg/bursts/{burst_id}/episode",
            # insights
            "/insights",
            "/insights/day-start",
            "/api/insights",
            "/api/insights/day-start",
            # reports
            "/reports",
            "/reports/preview",
            "/reports/report.pdf",
            "/reports/bundle.json",
            "/reports/diary-csv.zip",
            "/api/reports/fhir",
            # the person's own access log (accounts/audit)
            "/privacy/access-log",
            "/privacy/access-log/audit-events.json",
            # the person's data rights (privacy)
            "/privacy/data",
            "/privacy/data/export.zip",
        )
    },
}

# Mounted apps (not routes) and the rule for them; the guard lets only these prefixes past for unpaired callers.
MOUNTS: dict[str, Policy] = {"/static": "public"}


def policy_for(method: str, path: str) -> Policy | None:
    """The policy of a route, by its method and path template; None if the table has no entry (refuse)."""
    return ROUTES.get((method, path)) or ROUTES.get((ANY, path))


def allows(policy: Policy, caller: Caller) -> bool:
    return RULES[policy](caller)


class AccessRefused(Exception):
    """The caller may not reach this route (or the route has no policy)."""

    def __init__(self, caller: Caller, message: str) -> None:
        super().__init__(message)
        self.caller = caller


def enforce_access(connection: HTTPConnection) -> None:
    """App-level dependency: refuse the request unless the route's policy allows the caller."""
    route = connection.scope.get("route")
    path = getattr(route, "path", None) or ""
    method = "GET" if connection.scope.get("method") == "HEAD" else str(connection.scope.get("method", ANY))
    caller: Caller = getattr(connection.state, "caller", ANONYMOUS)
    policy = policy_for(method, path)
    if policy is None:
        log.error("route %s %s has no access policy in web/access.py: refused", method, path)
        message = "This page has no access rule yet, so it is refused."
    elif allows(policy, caller):
        return
    elif policy == "desktop":
        message = "This page works only on the computer unclench runs on, not on a paired phone."
    else:
        message = "This device is not paired with unclench. Pair it from the computer unclench runs on."
    if connection.scope["type"] == "websocket":
        raise WebSocketException(code=1008, reason=message)
    raise AccessRefused(caller, message)


async def access_refused(request: Request, exc: Exception) -> Response:
    """The refusal in plain words: JSON under /api, else a bare page (no layout: it shows none of the data)."""
    caller = exc.caller if isinstance(exc, AccessRefused) else ANONYMOUS
    status = 401 if caller.is_anonymous else 403
    if request.url.path.startswith("/api"):
        return JSONResponse({"detail": str(exc)}, status_code=status)
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Refused · unclench</title>'
        '<link rel="stylesheet" href="/static/css/app.css"></head><body><main id="main" class="card">'
        f'<h1>Not here</h1><p>{exc}</p><p><a href="/">Back to unclench</a></p></main></body></html>'
    )
    return HTMLResponse(body, status_code=status)
