"""Use on your phone: the share page and its QR code, pairing a phone over the home network, revoking it, and the
self-signed certificate (also served by a real uvicorn over TLS)."""

from __future__ import annotations

import re
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from fastapi.testclient import TestClient

from tests.conftest import FrozenClock, _free_port, local_client
from unclench.core import clock
from unclench.web import security, tls
from unclench.web.app import create_app
from unclench.web.share import Sharing

LAN_IP = "192.168.1.5"
SHARING = Sharing(hosts=(LAN_IP,), urls=(f"https://{LAN_IP}:8443",), fingerprint="AB:CD")
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari/604.1"


@pytest.fixture
def desktop(app_env: Path) -> Iterator[TestClient]:
    with local_client(create_app(SHARING)) as client:
        yield client


def _phone(app: object, scheme: str = "http") -> TestClient:
    return TestClient(
        app,  # type: ignore[arg-type]
        base_url=f"{scheme}://{LAN_IP}:8443",
        client=("192.168.1.23", 50000),
        headers={"user-agent": IPHONE},
        follow_redirects=False,
    )


def _pairing_url(desktop: TestClient) -> str:
    page = desktop.post("/devices/link")
    assert page.status_code == 200
    found = re.search(r"<code>(https://[^<]+/pair/[^<]+)</code>", page.text)
    assert found is not None, page.text
    assert "<svg" in page.text  # the QR code, inline
    return found.group(1)


def _pair(phone: TestClient, url: str) -> httpx.Response:
    path = url.split("8443", 1)[1]
    landing = phone.get(path)
    assert landing.status_code == 200 and "Pair this phone" in landing.text
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', landing.text)
    assert token is not None
    return phone.post(path, data={"csrf_token": token.group(1)})


def test_a_phone_pairs_with_the_link_and_then_sees_the_diary(desktop: TestClient) -> None:
    desktop.post(
        "/api/episodes",
        json={
            "started_at": "2026-06-17T09:00",
            "kind": "twitch",
            "intensity": 4,
            "regions": [{"region": "jaw", "side": "left"}],
        },
    )
    url = _pairing_url(desktop)
    with _phone(desktop.app) as phone:
        before = phone.get("/api/episodes")
        assert before.status_code == 401 and "jaw" not in before.text
        paired = _pair(phone, url)
        assert paired.status_code == 303
        cookie = paired.headers["set-cookie"]
        assert "unclench_device=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Max-Age=" in cookie and "Secure" not in cookie  # plain HTTP here; the TLS test checks Secure
        assert phone.get("/").status_code == 200
        assert len(phone.get("/api/episodes").json()) == 1
        # The phone may not pair more phones, nor see or remove devices.
        assert phone.get("/devices").status_code == 403
        assert phone.post("/devices/link", headers={"X-CSRF-Token": _token(phone)}).status_code == 403
        # Used once: a second phone with the same link is refused.
        with _phone(desktop.app) as second:
            again = _pair(second, url)
            assert again.status_code == 400 and "used already" in again.text
    listing = desktop.get("/devices").text
    assert "iPhone · Safari" in listing and "last used" in listing


def _token(client: TestClient) -> str:
    return security.csrf_token(client.cookies["unclench_csrf"])


def test_a_revoked_phone_is_refused_at_its_next_request(desktop: TestClient) -> None:
    url = _pairing_url(desktop)
    with _phone(desktop.app) as phone:
        _pair(phone, url)
        assert phone.get("/timeline").status_code == 200
        device_id = re.search(r'action="/devices/(\d+)/revoke"', desktop.get("/devices").text)
        assert device_id is not None
        assert desktop.post(f"/devices/{device_id.group(1)}/revoke", follow_redirects=False).status_code == 303
        refused = phone.get("/timeline")
        assert refused.status_code == 401 and "Pair this device" in refused.text
        assert phone.get("/api/episodes").status_code == 401
    assert "removed" in desktop.get("/devices").text


def test_an_expired_pairing_link_is_refused(desktop: TestClient, frozen_clock: FrozenClock) -> None:
    url = _pairing_url(desktop)
    frozen_clock.shift(timedelta(minutes=10))
    with _phone(desktop.app) as phone:
        refused = _pair(phone, url)
        assert refused.status_code == 400 and "expired" in refused.text
        assert phone.get("/").status_code == 401


def test_the_pairing_link_does_nothing_on_the_computer_itself(desktop: TestClient) -> None:
    url = _pairing_url(desktop)
    path = url.split("8443", 1)[1]
    assert "needs no pairing" in desktop.get(path).text
    assert desktop.post(path).status_code == 400
    assert "unclench_device" not in desktop.cookies


def test_the_share_page_shows_the_fingerprint_or_the_plain_http_warning(app_env: Path) -> None:
    with local_client(create_app(SHARING)) as client:
        assert "AB:CD" in client.get("/devices").text
    plain = Sharing(hosts=(LAN_IP,), urls=(f"http://{LAN_IP}:8000",), plain_http=True)
    with local_client(create_app(plain)) as client:
        assert "not encrypted" in client.get("/devices").text
    with local_client(create_app()) as client:
        page = client.get("/devices").text
        assert "unclench serve --share" in page and "<svg" not in client.post("/devices/link").text


def test_a_phone_is_refused_when_the_app_does_not_share(app_env: Path) -> None:
    with _phone(create_app()) as phone:
        assert phone.get("/pair").status_code == 421  # its address is not one the app answers to


# --- the certificate ------------------------------------------------------------------------------------------


def test_the_certificate_names_the_addresses_and_is_reused(tmp_path: Path, frozen_clock: FrozenClock) -> None:
    made = tls.ensure_certificate(tmp_path, ["192.168.1.5"], ["desk", "desk.local"])
    cert = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"192.168.1.5", "127.0.0.1"}
    assert set(san.get_values_for_type(x509.DNSName)) == {"desk", "desk.local", "localhost"}
    assert cert.not_valid_before_utc <= clock.now() < cert.not_valid_after_utc
    assert cert.not_valid_after_utc - clock.now() <= tls.VALIDITY
    assert made.fingerprint == tls.fingerprint(cert) and len(made.fingerprint.split(":")) == 32
    assert made.key_path.stat().st_mode & 0o077 == 0
    assert tls.ensure_certificate(tmp_path, ["192.168.1.5"], ["desk"]).fingerprint == made.fingerprint
    # A new address, or a certificate near its end, makes a new one.
    assert tls.ensure_certificate(tmp_path, ["10.0.0.7"], []).fingerprint != made.fingerprint
    again = tls.ensure_certificate(tmp_path, ["10.0.0.7"], [])
    frozen_clock.shift(tls.VALIDITY - timedelta(days=3))
    assert tls.ensure_certificate(tmp_path, ["10.0.0.7"], []).fingerprint != again.fingerprint


def test_a_real_server_over_tls_serves_that_certificate_and_secure_cookies(app_env: Path, tmp_path: Path) -> None:
    import uvicorn

    made = tls.ensure_certificate(tmp_path, [], [])
    port = _free_port()
    config = uvicorn.Config(
        create_app(SHARING),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_keyfile=str(made.key_path),
        ssl_certfile=str(made.cert_path),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the TLS server did not start"
        time.sleep(0.05)
    try:
        context = ssl.create_default_context(cafile=str(made.cert_path))
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=context) as client:
            answer = client.get("/api/csrf")
            assert answer.status_code == 200
            assert "Secure" in answer.headers["set-cookie"]
            served = ssl.get_server_certificate(("127.0.0.1", port))
            served_cert = x509.load_pem_x509_certificate(served.encode())
            assert tls.fingerprint(served_cert) == made.fingerprint
            client.headers["X-CSRF-Token"] = answer.json()["token"]
            link = client.post("/devices/link")
            assert link.status_code == 200 and "/pair/" in link.text
    finally:
        server.should_exit = True
        thread.join(timeout=10)
