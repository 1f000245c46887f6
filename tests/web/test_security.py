"""The request guard: Host allow-list, cross-site and CSRF refusal, the form token, security headers, and templates
that keep the Content-Security-Policy (no inline script, no inline handlers, no inline styles)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from unclench.diary.models import Episode
from unclench.web import security
from unclench.web.app import create_app

PACKAGE = Path(security.__file__).resolve().parent.parent
EPISODE_JSON = {
    "started_at": "2026-06-17T09:00",
    "kind": "twitch",
    "intensity": 4,
    "regions": [{"region": "jaw", "side": "left"}],
}
EPISODE_FORM = {"started_at": "2026-06-17T09:00", "kind": "twitch", "intensity": "4", "regions": "jaw:left"}


def _episodes(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(Episode)) or 0)


def _bare_client() -> TestClient:
    """The person's own computer, without the token a page would carry."""
    return TestClient(create_app(), base_url="http://127.0.0.1:8000", client=("127.0.0.1", 50000))


# --- Host -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example:8000", "evil.example", "127.0.0.1.evil.example", "192.168.1.5:8000"])
def test_a_host_the_app_does_not_answer_to_is_refused_with_421(client: TestClient, host: str) -> None:
    response = client.get("/", headers={"host": host})
    assert response.status_code == 421
    assert "look-alike address" in response.text and "diary" not in response.text.lower()
    assert client.get("/api/episodes", headers={"host": host}).status_code == 421


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000", "127.0.0.1"])
def test_loopback_hosts_are_answered(client: TestClient, host: str) -> None:
    assert client.get("/api/episodes", headers={"host": host}).status_code == 200


def test_a_websocket_to_a_rebound_host_is_refused(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        client.websocket_connect("ws://evil.example:8000/emg/ws/live?board=none"),
    ):
        pass
    assert refused.value.status_code == 421


def test_a_shared_address_is_answered_only_when_sharing() -> None:
    from unclench.web.share import Sharing

    guard = security.RequestGuard(create_app(), shared_hosts=Sharing(hosts=("192.168.1.5",)).hosts)
    assert "192.168.1.5" in guard.allowed_hosts
    assert "192.168.1.5" not in security.RequestGuard(create_app()).allowed_hosts


# --- CSRF -------------------------------------------------------------------------------------------------------


def test_a_write_without_the_token_is_refused_and_nothing_is_saved(app_env: Path, db: Session) -> None:
    with _bare_client() as bare:
        bare.get("/")  # the browser has the cookie, but the forged request cannot know the token
        assert "unclench_csrf" in bare.cookies
        refused = bare.post("/episodes/new", data=EPISODE_FORM, follow_redirects=False)
        assert refused.status_code == 403
        assert "security token" in refused.text
        api = bare.post("/api/episodes", json=EPISODE_JSON)
        assert api.status_code == 403 and "security token" in api.json()["detail"]
        wrong = bare.post("/api/episodes", json={}, headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403
        assert bare.delete("/api/episodes/1").status_code == 403
        assert bare.put("/api/insights/day-start", json={"hour": 4}).status_code == 403
    assert _episodes(db) == 0


def test_the_token_of_another_cookie_is_refused(app_env: Path) -> None:
    """A page on another port can set a cookie for 127.0.0.1, but not make the token that goes with it."""
    with _bare_client() as bare:
        bare.cookies.set("unclench_csrf", "attacker-chosen-value-123456")
        forged = security.csrf_token("another-value-of-the-attacker-0000")
        assert bare.post("/api/episodes", json={}, headers={"X-CSRF-Token": forged}).status_code == 403


def test_the_form_field_is_accepted_as_the_first_field(app_env: Path, db: Session) -> None:
    with _bare_client() as bare:
        page = bare.get("/").text
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
        assert token is not None
        saved = bare.post("/episodes/new", data={"csrf_token": token.group(1), **EPISODE_FORM}, follow_redirects=False)
        assert saved.status_code == 303
        # Not first: the guard looks at the first field only, so that it never reads a whole upload.
        late = bare.post("/episodes/new", data={**EPISODE_FORM, "csrf_token": token.group(1)}, follow_redirects=False)
        assert late.status_code == 403
    assert _episodes(db) == 1


def test_a_multipart_upload_is_checked_from_its_first_part(app_env: Path) -> None:
    with _bare_client() as bare:
        token = security.csrf_token(bare.get("/").cookies.get("unclench_csrf") or bare.cookies["unclench_csrf"])
        files = {"file": ("notes.csv", b"t,uV\n0,1\n" * 1000, "text/csv")}
        # httpx writes data fields before files, so the token is the first part, as a page's hidden input is.
        accepted = bare.post("/emg/upload", data={"csrf_token": token}, files=files, follow_redirects=False)
        assert accepted.status_code != 403, accepted.text[:300]
        refused = bare.post("/emg/upload", data={"csrf_token": "0" * 64}, files=files, follow_redirects=False)
        assert refused.status_code == 403
        without = bare.post("/emg/upload", files=files, follow_redirects=False)
        assert without.status_code == 403


def test_first_field_parsing_reads_only_the_start_of_the_body() -> None:
    boundary = "XyZ"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nabc\r\n--{boundary}'.encode()
    kind, content_type = "multipart/form-data", f"multipart/form-data; boundary={boundary}"
    assert security._first_field_token(kind, content_type, head, complete=False) == "abc"
    assert security._first_field_token(kind, content_type, head[:30], complete=False) is None
    urlencoded = "application/x-www-form-urlencoded"
    assert security._first_field_token(urlencoded, urlencoded, b"csrf_token=a%2Bb&x=1", complete=False) == "a+b"
    assert security._first_field_token(urlencoded, urlencoded, b"x=1&csrf_token=a", complete=False) == ""
    assert security._first_field_token(urlencoded, urlencoded, b"csrf_tok", complete=False) is None


def test_the_websocket_needs_the_token(app_env: Path) -> None:
    with _bare_client() as bare:
        bare.get("/")
        with (
            pytest.raises((WebSocketDisconnect, WebSocketDenialResponse)),
            bare.websocket_connect("ws://127.0.0.1:8000/emg/ws/live?board=none"),
        ):
            pass
        token = security.csrf_token(bare.cookies["unclench_csrf"])
        with bare.websocket_connect(f"ws://127.0.0.1:8000/emg/ws/live?board=none&csrf_token={token}") as ws:
            assert "error" in ws.receive_json()  # past the guard: the route itself answers (an unknown board)


# --- cross-site -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # another port of 127.0.0.1 is the same site, not the same origin
        {"Origin": "http://127.0.0.1:9999"},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
    ],
)
def test_a_write_from_another_site_is_refused_even_with_the_token(
    client: TestClient, db: Session, headers: dict[str, str]
) -> None:
    response = client.post("/api/episodes", json=EPISODE_JSON, headers=headers)
    assert response.status_code == 403
    assert "another web" in response.json()["detail"]
    assert _episodes(db) == 0


def test_a_write_from_the_apps_own_page_passes(client: TestClient) -> None:
    body = EPISODE_JSON
    own = {"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/api/episodes", json=body, headers=own).status_code == 201


def test_a_websocket_from_another_origin_is_refused(client: TestClient) -> None:
    with client.websocket_connect("/emg/ws/live?board=none", headers={"Origin": "http://127.0.0.1"}) as ws:
        assert "error" in ws.receive_json()  # its own origin passes (and the route answers: an unknown board)
    with (
        pytest.raises((WebSocketDisconnect, WebSocketDenialResponse)),
        client.websocket_connect("/emg/ws/live?board=none", headers={"Origin": "http://127.0.0.1:9999"}),
    ):
        pass


# --- headers ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/api/episodes", "/static/css/app.css", "/no-such-page", "/api/episodes/999"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "base-uri 'none'" in csp and "form-action 'self'" in csp and "unsafe-inline" not in csp
    assert "http" not in csp  # no third-party source
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_refusals_carry_the_headers_too(client: TestClient) -> None:
    assert "content-security-policy" in client.get("/", headers={"host": "evil.example"}).headers


def test_the_csrf_cookie_is_httponly_and_lax(app_env: Path) -> None:
    with _bare_client() as bare:
        cookie = bare.get("/").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Secure" not in cookie


def test_the_install_secret_is_kept_private_and_reused(tmp_path: Path) -> None:
    first = security.install_secret(tmp_path)
    security.install_secret.cache_clear()
    assert security.install_secret(tmp_path) == first
    assert (tmp_path / security.SECRET_FILE).stat().st_mode & 0o077 == 0


# --- templates and pages ----------------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """Each POST form's first field name and value."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str | None]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self._open = {"action": values.get("action"), "method": (values.get("method") or "get").lower()}
            self._open["first"] = None
            self.forms.append(self._open)
        elif (
            tag in ("input", "select", "textarea", "button") and self._open is not None and self._open["first"] is None
        ):
            self._open["first"] = values.get("name") or ""
            self._open["value"] = values.get("value")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def test_every_post_form_on_every_page_carries_the_token_first(client: TestClient) -> None:
    from fastapi.routing import iter_route_contexts

    made = client.post("/api/episodes", json=EPISODE_JSON).json()
    pages = [
        rc.path
        for rc in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if "GET" in (rc.methods or ()) and "{" not in (rc.path or "{") and not str(rc.path).startswith("/api")
    ]
    pages += [f"/episodes/{made['id']}/edit", f"/safety/episodes/{made['id']}/flags", "/stress/pss-10", "/devices"]
    token = client.headers["X-CSRF-Token"]
    checked = 0
    for path in pages:
        response = client.get(path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = _Forms()
        parser.feed(response.text)
        for form in parser.forms:
            if form["method"] == "post":
                assert form["first"] == "csrf_token" and form["value"] == token, (path, form)
                checked += 1
    assert checked >= 10


def test_every_template_post_form_starts_with_the_token() -> None:
    for template in PACKAGE.rglob("templates/**/*.html"):
        text = template.read_text()
        for form in re.finditer(r'<form\b[^>]*method="post"[^>]*>', text):
            assert text[form.end() :].startswith("{{ csrf_input() }}"), (template.name, form.group(0))


def test_templates_run_no_inline_script_or_style() -> None:
    for template in PACKAGE.rglob("templates/**/*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        if template.name != "doctor.html":  # the PDF's own document, previewed under a style-only relaxation
            assert "style=" not in text and "<style" not in text, template


def test_only_the_report_preview_may_be_framed_and_use_inline_style(client: TestClient) -> None:
    preview = client.get("/reports/preview").headers["content-security-policy"]
    assert "frame-ancestors 'self'" in preview and "style-src 'self' 'unsafe-inline'" in preview
    assert "script-src 'self';" in preview
    page = client.get("/reports").headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page and "unsafe-inline" not in page
