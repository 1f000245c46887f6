"""The app on a phone that loses the connection: installable, and the quick log queues entries offline and sends
each once when the app answers again (real Chromium, with its service worker and IndexedDB)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from tests.conftest import FrozenClock

pytestmark = pytest.mark.xdist_group("browser")

STATIC = Path(__file__).parents[2] / "src" / "unclench" / "web" / "static"


def test_the_manifest_makes_the_app_installable(client: TestClient) -> None:
    home = client.get("/").text
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in home
    manifest = json.loads((STATIC / "manifest.webmanifest").read_text())
    assert manifest["start_url"] == "/" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes  # what Chromium needs to offer "Install"
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["service-worker-allowed"] == "/"
    assert "javascript" in worker.headers["content-type"]


def test_an_entry_sent_twice_with_its_key_is_saved_once(client: TestClient) -> None:
    entry = {"started_at": "2026-06-17T09:00", "kind": "twitch", "intensity": 4, "regions": [{"region": "jaw"}]}
    first = client.post("/api/episodes", json={**entry, "client_key": "a1b2c3d4e5f6"})
    again = client.post("/api/episodes", json={**entry, "client_key": "a1b2c3d4e5f6"})
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    other = client.post("/api/episodes", json={**entry, "client_key": "ffffeeeedddd"})
    assert other.json()["id"] != first.json()["id"]
    assert len(client.get("/api/episodes").json()) == 2
    bad = client.post("/api/episodes", json={**entry, "client_key": "no spaces!"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "client_key"
    assert len(client.get("/api/episodes").json()) == 2


def test_offline_the_quick_log_queues_and_sends_once_back_online(
    browser: Any, live_server: str, frozen_clock: FrozenClock
) -> None:
    context = browser.new_context(
        base_url=live_server, timezone_id="Europe/Berlin", viewport={"width": 1200, "height": 900}
    )
    page = context.new_page()
    # The browser's clock at the server's frozen moment, so an entry made "now" on the phone is now for the app.
    page.clock.install(time=datetime(2026, 6, 17, 9, 55, tzinfo=ZoneInfo("Europe/Berlin")))
    page.goto("/")
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
    context.set_offline(True)
    page.locator('.bodymap [data-region="calf"][data-side="left"]').first.click()
    page.get_by_role("radio", name="Cramp").check(force=True)
    page.get_by_role("button", name="Save").click()
    # The entry is stored in IndexedDB first, then the page says so: wait for the words, do not read at once.
    expect(page.locator("#quick-queue")).to_contain_text("Saved on this phone", timeout=15_000)
    assert page.url.rstrip("/") == live_server  # no navigation: nothing was sent
    assert page.request.get("/api/episodes").json() == []  # (the test's own request, outside the page's offline)

    context.set_offline(False)  # the page hears "online" and sends what waits
    page.wait_for_function("() => document.getElementById('quick-queue').textContent.includes('Added to your diary')")
    saved = page.request.get("/api/episodes").json()
    assert [(e["kind"], e["regions"][0]["region_id"]) for e in saved] == [("cramp", "calf")]
    page.reload()  # a later page load sends again whatever is still queued: nothing, so still one entry
    page.wait_for_load_state("networkidle")
    assert len(page.request.get("/api/episodes").json()) == 1
    context.close()
