"""The request guard: every request and WebSocket passes here before any route runs.

What it refuses, in order:
1. a Host the app does not answer to (DNS rebinding: a web page whose name points at 127.0.0.1) → 421;
2. a caller who is neither on this computer nor a paired device, asking for anything but the pairing pages → 401
   with a page that explains how to pair (JSON under /api), never data;
3. a state-changing request (POST, PUT, PATCH, DELETE) or a WebSocket from another site (`Sec-Fetch-Site`, `Origin`)
   → 403;
4. a state-changing request or WebSocket without this browser's CSRF token → 403.

The CSRF token is an HMAC, under a secret kept in the data dir, of a random value in an HttpOnly cookie. A page on
another port of 127.0.0.1 can set cookies for 127.0.0.1 (cookies ignore ports) but cannot compute the HMAC, and
cannot read a page to copy it. Forms carry it as their first field (`csrf_input()` in templates), so a multipart
upload of hundreds of MB is checked from its first few bytes and then streamed on untouched; scripts send it as the
`X-CSRF-Token` header (static/js/csrf.js does so for htmx and fetch); the WebSocket sends it as `csrf_token` in its
query. A script outside a browser gets one from `GET /api/csrf` (which sets the cookie).

It also decides who is asking (`request.state.caller`, see core/identity.py) and adds the security headers to
every response it sees. What each caller may reach, route by route, is `web/access.py`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unclench.core.identity import ANONYMOUS, LOCAL_CALLER, Caller
from unclench.core.settings import get_settings

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_COOKIE = "unclench_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
DEVICE_COOKIE = "unclench_device"
SECRET_FILE = "install-secret"
# Paths a caller who is not on this computer and not paired may open: the pairing pages and the style they use.
PUBLIC_PREFIXES = ("/static/", "/pair")
# The first form field is found within this many bytes of the body, or the request is refused.
FIRST_FIELD_LIMIT = 16 * 1024
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest Chromium keeps a cookie

# The doctor's report preview is the PDF's own document (WeasyPrint needs its <style> and bar widths inline),
# shown in a frame of the app's own report page; it runs no script either.
REPORT_PREVIEW_PATHS = frozenset({"/reports/preview"})

_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


# --- the install secret and the token -------------------------------------------------------------------------


@lru_cache(maxsize=8)
def install_secret(data_dir: Path) -> bytes:
    """This installation's secret (made on first use, readable only by its owner): it signs CSRF tokens."""
    path = data_dir / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    try:
        # O_EXCL: if two servers start at once, the second reads the first one's secret rather than replacing it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secret.hex())
    return secret


def csrf_token(cookie_value: str, data_dir: Path | None = None) -> str:
    """The token that goes with a browser's CSRF cookie value (what forms and scripts must send back)."""
    key = install_secret(data_dir or get_settings().data_dir)
    return hmac.new(key, cookie_value.encode("ascii"), hashlib.sha256).hexdigest()


def request_csrf_token(state: object) -> str:
    """The CSRF token for the request whose `request.state` this is ("" for a request the guard did not see)."""
    cookie = getattr(state, "csrf_cookie", "")
    return csrf_token(cookie) if cookie else ""


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The Host header without its port, lower-cased: "[::1]:8000" → "[::1]", "LocalHost:80" → "localhost"."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if ":" in host else host


# --- responses the guard gives itself -------------------------------------------------------------------------


def _page(title: str, body_html: str) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title} · unclench</title><link rel="stylesheet" href="/static/css/app.css"></head>'
        f'<body><main id="main" class="card"><h1>{title}</h1>{body_html}</main></body></html>'
    ).encode()


PAIRING_EXPLANATION = (
    "<p>unclench keeps a health diary, so it answers only the computer it runs on and the phones paired with it.</p>"
    "<p>To use it on this phone: on the computer, open unclench, choose <strong>Use on your phone</strong>, and scan "
    "the code it shows with this phone's camera (or type the link under it). The link works once, for ten "
    "minutes.</p><p>If this phone was paired before, it may have been removed on the computer: pair it again.</p>"
)


async def _respond(scope: Scope, send: Send, status: int, title: str, message: str, html: str = "") -> None:
    """Answer with a plain page (JSON under /api), or refuse a WebSocket handshake."""
    if scope["type"] == "websocket":
        if "websocket.http.response" in scope.get("extensions", {}):
            body = message.encode()
            start = {"type": "websocket.http.response.start", "status": status, "headers": _plain_headers(body)}
            await send(start)
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        return
    if scope["path"].startswith("/api"):
        body = json.dumps({"detail": message}).encode()
        content_type = b"application/json"
    else:
        body = _page(title, html or f"<p>{message}</p>")
        content_type = b"text/html; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _plain_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]


# --- the guard ------------------------------------------------------------------------------------------------


def content_security_policy(path: str) -> str:
    """No script but the app's own files, nothing from another site, no framing, forms post only here."""
    preview = path in REPORT_PREVIEW_PATHS
    style = "'self' 'unsafe-inline'" if preview else "'self'"
    framed_by = "'self'" if preview else "'none'"
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src {style}; img-src 'self' data:; media-src 'self'; font-src 'self'; "
        # 'self' covers ws: and wss: to this host in CSP Level 3 browsers.
        f"connect-src 'self'; object-src 'none'; frame-ancestors {framed_by}; base-uri 'none'; form-action 'self'"
    )


class RequestGuard:
    """Pure ASGI middleware: Host allow-list, caller, cross-site and CSRF refusal, security headers."""

    def __init__(
        self, app: ASGIApp, shared_hosts: Iterable[str] = (), clinic: bool = False, clinic_hosts: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.allowed_hosts = LOOPBACK_HOSTS | {h.lower() for h in shared_hosts}
        # On a clinic server: its own names (and loopback, for the proxy and health checks), when configured.
        named = {h.lower() for h in clinic_hosts}
        self.clinic_hosts = LOOPBACK_HOSTS | named if named else frozenset()
        # A clinic server is reached by its own name and signs people in (web/clinic_auth.py finds the caller);
        # the Host, the loopback caller and pairing are the local app's, so they do not apply there.
        self.clinic = clinic

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path: str = scope["path"]
        cookies = cookie_parser(headers.get("cookie", ""))
        secure = scope.get("scheme") in ("https", "wss")
        new_cookie: str | None = None

        send = self._with_headers(send, path, lambda: new_cookie, secure)

        allowed = self.clinic_hosts if self.clinic else self.allowed_hosts
        if allowed and host_name(headers.get("host", "")) not in allowed:
            message = (
                "unclench answers only to the addresses it runs on (such as 127.0.0.1). This request named another "
                "host, which is how a web page could try to reach it through a look-alike address, so it was refused."
            )
            await _respond(scope, send, 421, "Wrong address", message)
            return

        caller = ANONYMOUS if self.clinic else await self._caller(scope, cookies)
        state = scope.setdefault("state", {})
        state["caller"] = caller
        if caller.is_anonymous and not self.clinic and not path.startswith(PUBLIC_PREFIXES):
            message = "This device is not paired with unclench. Pair it from the computer unclench runs on."
            await _respond(scope, send, 401, "Pair this device first", message, PAIRING_EXPLANATION)
            return

        cookie = cookies.get(CSRF_COOKIE, "")
        if not _COOKIE_VALUE.match(cookie):
            cookie = new_cookie = secrets.token_urlsafe(32)
        # The token itself is computed only where needed (a page's forms, a write): most requests never need it.
        state["csrf_cookie"] = cookie

        if scope["type"] == "http" and scope["method"] not in UNSAFE_METHODS:
            embedded = _cross_site_embed(headers)
            if embedded is not None:
                log.warning("refused %s %s: %s", scope["method"], path, embedded)
                await _respond(scope, send, 403, "Refused", embedded)
                return
        if scope["type"] == "websocket" or scope["method"] in UNSAFE_METHODS:
            refusal = _cross_site(headers, scope)
            if refusal is None:
                sent, receive = await _sent_token(scope, headers, receive)
                if new_cookie is not None or not sent or not hmac.compare_digest(sent, csrf_token(cookie)):
                    refusal = (
                        "This request did not carry this page's security token, so it was refused: it may have come "
                        "from another web page. If you sent it from unclench, reload the page and try again."
                    )
            if refusal is not None:
                log.warning("refused %s %s: %s", scope.get("method", "WEBSOCKET"), path, refusal)
                await _respond(scope, send, 403, "Refused", refusal)
                return
        await self.app(scope, receive, send)

    async def _caller(self, scope: Scope, cookies: dict[str, str]) -> Caller:
        client = scope.get("client")
        address = str(client[0]) if client else ""
        device_secret = cookies.get(DEVICE_COOKIE, "")
        # A static file is the same for everyone: the phone's many asset requests need no database lookup.
        if device_secret and not scope["path"].startswith("/static/"):
            found = await anyio.to_thread.run_sync(_recognise_device, device_secret)
            if found is not None:
                return Caller(kind="device", person_id=found[1], role="person", device_id=found[0], address=address)
        if is_loopback(address):
            return LOCAL_CALLER
        return replace(ANONYMOUS, address=address)

    @staticmethod
    def _with_headers(send: Send, path: str, new_cookie: Any, secure: bool) -> Send:
        csp = content_security_policy(path).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in (
                    (b"content-security-policy", csp),
                    # Not no-referrer: under it browsers send `Origin: null` on the app's own form posts, which
                    # would blind the Origin check. same-origin sends nothing to other sites either.
                    (b"referrer-policy", b"same-origin"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                ):
                    if name not in present:
                        headers.append((name, value))
                cookie = new_cookie()
                if cookie is not None:
                    headers.append((b"set-cookie", _cookie_header(CSRF_COOKIE, cookie, "Lax", secure).encode()))
                message = {**message, "headers": headers}
            await send(message)

        return send_with_headers


def _cookie_header(name: str, value: str, same_site: str, secure: bool) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = same_site
    morsel["max-age"] = COOKIE_MAX_AGE
    if secure:
        morsel["secure"] = True
    return morsel.OutputString()


def device_cookie_header(secret: str, secure: bool) -> str:
    """The Set-Cookie value that pairs a device: long-lived, HttpOnly, SameSite=Lax, Secure over HTTPS."""
    return _cookie_header(DEVICE_COOKIE, secret, "Lax", secure)


def _recognise_device(secret: str) -> tuple[int, int] | None:
    from unclench.accounts import devices
    from unclench.core.db import session_scope

    with session_scope() as db:
        found = devices.recognise(db, secret)
    return None if found is None else (found.device_id, found.person_id)


def _cross_site_embed(headers: Headers) -> str | None:
    """Why a read looks like another site pulling the app's pages into its own (an image, a script, a frame, a
    fetch), or None. Following a link to unclench from elsewhere (a top-level navigation) is still answered.

    Fetch Metadata's resource isolation policy: without it, another page could fetch a report download with an
    <img> tag and leave a false "exported" entry in the person's access log, or time the app's answers.
    """
    site = headers.get("sec-fetch-site")
    if site not in ("cross-site", "same-site"):
        return None
    if headers.get("sec-fetch-mode") == "navigate" and headers.get("sec-fetch-dest", "document") == "document":
        return None
    return f"Another web site ({site}) tried to load this from unclench inside its own page, so it was refused."


def _cross_site(headers: Headers, scope: Scope) -> str | None:
    """Why a state-changing request or WebSocket looks as if another site sent it, or None."""
    site = headers.get("sec-fetch-site")
    if site in ("cross-site", "same-site"):
        return f"This request came from another web site ({site}), so it was refused."
    origin = headers.get("origin")
    if origin is not None:
        scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
        own = f"{scheme}://{headers.get('host', '')}".lower()
        if origin.lower() != own:
            return "This request came from another web page (its Origin is not unclench's), so it was refused."
    return None


async def _sent_token(scope: Scope, headers: Headers, receive: Receive) -> tuple[str, Receive]:
    """The token the request carries, and the receive to read its body with (the bytes looked at are replayed)."""
    if scope["type"] == "websocket":
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        return query.get(CSRF_FIELD, ""), receive
    header = headers.get(CSRF_HEADER)
    if header:
        return header, receive
    content_type = headers.get("content-type", "")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return "", receive
    buffered: list[Message] = []
    body = b""
    more = True
    while more and len(body) < FIRST_FIELD_LIMIT:
        message = await receive()
        buffered.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
        token = _first_field_token(kind, content_type, body, complete=not more)
        if token is not None:
            break
    token = _first_field_token(kind, content_type, body, complete=True) or ""

    async def replay() -> Message:
        if buffered:
            return buffered.pop(0)
        return await receive()

    return token, replay


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_PART_NAME = re.compile(rb'name="([^"]*)"', re.IGNORECASE)


def _first_field_token(kind: str, content_type: str, body: bytes, complete: bool) -> str | None:
    """The CSRF token if it is the body's first field; "" if the first field is another; None if not yet known."""
    if kind == "application/x-www-form-urlencoded":
        end = body.find(b"&")
        if end < 0 and not complete:
            return None
        first = body if end < 0 else body[:end]
        name, _, value = first.partition(b"=")
        return unquote_plus(value.decode("latin-1")) if unquote_plus(name.decode("latin-1")) == CSRF_FIELD else ""
    found = _BOUNDARY.search(content_type)
    if found is None:
        return ""
    delimiter = b"--" + found.group(1).encode("latin-1")
    if not body.startswith(delimiter):
        return None if not complete and len(body) < len(delimiter) else ""
    head_end = body.find(b"\r\n\r\n")
    if head_end < 0:
        return None if not complete else ""
    value_end = body.find(b"\r\n" + delimiter, head_end)
    if value_end < 0:
        return None if not complete else ""
    part_name = _PART_NAME.search(body[len(delimiter) : head_end])
    if part_name is None or part_name.group(1).decode("latin-1") != CSRF_FIELD:
        return ""
    return body[head_end + 4 : value_end].decode("latin-1")


# --- wiring -----------------------------------------------------------------------------------------------------

router = APIRouter()


@router.get("/api/csrf", tags=["security"], summary="This browser's CSRF token (also sets its cookie)")
def csrf(request: Request) -> JSONResponse:
    """For scripts: send the token back as the X-CSRF-Token header, with the cookie this response sets."""
    return JSONResponse({"token": request_csrf_token(request.state), "header": "X-CSRF-Token"})


def install(
    app: FastAPI, shared_hosts: Iterable[str] = (), clinic: bool = False, clinic_hosts: Iterable[str] = ()
) -> None:
    """Put the guard outside everything else, so even the server's own 500 page gets the security headers."""
    build = app.build_middleware_stack
    hosts = tuple(shared_hosts)
    names = tuple(clinic_hosts)

    def guarded() -> ASGIApp:
        return RequestGuard(build(), shared_hosts=hosts, clinic=clinic, clinic_hosts=names)

    setattr(app, "build_middleware_stack", guarded)  # noqa: B010 - an instance's hook, not a new attribute
    app.include_router(router)
