"""In real Chromium: a page on another port of 127.0.0.1 (another origin, the same site) tries to write to the app
with a form, a fetch with credentials and a WebSocket; all are refused and nothing is written, while the app's own
pages keep working and run without a single Content-Security-Policy violation."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import _free_port
from unclench.core import db as core_db
from unclench.diary.models import Episode

pytestmark = pytest.mark.xdist_group("browser")

ATTACK_PAGE = """<!doctype html><html><body>
<form id="forged" method="post" action="{app}/episodes/new">
  <input name="started_at" value="2026-06-17T09:00"><input name="kind" value="cramp">
  <input name="intensity" value="9"><input name="regions" value="calf:left">
</form>
<p id="out">ready</p>
</body></html>"""


def _episodes() -> int:
    with core_db.session_scope() as db:
        return int(db.scalar(select(func.count()).select_from(Episode)) or 0)


@pytest.fixture
def attacker(live_server: str) -> Iterator[str]:
    """Another origin on this computer: a tiny http.server on its own port serving one hostile page."""
    page = ATTACK_PAGE.format(app=live_server).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_another_origin_cannot_write_but_the_apps_own_pages_can(browser: Any, live_server: str, attacker: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    # The person has the app open: the browser holds its cookies, which a forged request would carry along.
    page.goto(live_server + "/")
    assert any(c["name"] == "unclench_csrf" for c in context.cookies())

    page.goto(attacker + "/")
    results = page.evaluate(
        """async (app) => {
            const out = {};
            try {
                const r = await fetch(app + "/api/episodes", {method: "POST", credentials: "include",
                    headers: {"Content-Type": "text/plain"},
                    body: JSON.stringify({started_at: "2026-06-17T09:00", kind: "cramp", intensity: 9,
                                          regions: [{region: "calf", side: "left"}]})});
                out.fetch = "status " + r.status;
            } catch (e) { out.fetch = "blocked"; }
            await fetch(app + "/episodes/new", {method: "POST", mode: "no-cors", credentials: "include",
                body: new URLSearchParams({started_at: "2026-06-17T09:00", kind: "cramp", intensity: "9",
                                           regions: "calf:left"})}).catch(() => null);
            out.ws = await new Promise((done) => {
                const ws = new WebSocket(app.replace("http", "ws") + "/emg/ws/live?board=synthetic");
                ws.onopen = () => done("open");
                ws.onerror = () => done("refused");
                setTimeout(() => done("timeout"), 5000);
            });
            return out;
        }""",
        live_server,
    )
    assert results["fetch"] == "blocked"  # no CORS: the page cannot even read the refusal
    assert results["ws"] == "refused"
    with page.expect_navigation():
        page.evaluate("document.getElementById('forged').submit()")
    assert "Refused" in page.content() and "another web site" in page.content()
    assert _episodes() == 0

    # The app's own page, in the same browser, still saves through its real form.
    page.goto(live_server + "/")
    page.locator('.bodymap [data-region="calf"][data-side="left"]').first.click()
    page.get_by_role("radio", name="Cramp").check(force=True)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/?saved=*")
    assert _episodes() == 1
    context.close()


MAIN_PAGES = ["/", "/timeline", "/calendar", "/checkin", "/sessions", "/emg", "/emg/live", "/insights", "/reports"]


def test_the_main_pages_run_without_a_policy_violation(page: Any, live_server: str) -> None:
    problems: list[str] = []
    where = {"path": ""}
    page.on("console", lambda m: problems.append(f"{where['path']}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    for path in [*MAIN_PAGES, "/episodes/new", "/safety", "/stress", "/devices"]:
        where["path"] = path
        response = page.goto(live_server + path)
        assert response is not None and response.ok, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    assert problems == []
