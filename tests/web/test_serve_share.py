"""`unclench serve --share`: listens on the home network, makes (and reuses) its certificate, prints the addresses
and the fingerprint to compare, and warns plainly over plain HTTP. The servers themselves are replaced by a recorder
(the sockets are really bound)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.conftest import _free_port
from unclench.cli import app
from unclench.web import cli as web_cli
from unclench.web import tls

runner = CliRunner()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What serve would have started (the app, the sockets, the certificate), with the servers replaced."""
    import uvicorn

    seen: dict[str, Any] = {}

    def run(server: uvicorn.Server, sockets: list[Any] | None = None) -> None:
        seen.update(app=server.config.app, host=sockets[0].getsockname()[0] if sockets else server.config.host)

    def serve_both(application: Any, local: Any, shared: Any, keyfile: str, certfile: str) -> None:
        seen.update(app=application, host=local.getsockname()[0], shared=shared.getsockname(), certfile=certfile)

    monkeypatch.setattr(web_cli, "console", Console(width=300))
    monkeypatch.setattr(web_cli, "lan_addresses", lambda: ["192.168.1.5"])
    monkeypatch.setattr(uvicorn.Server, "run", run)
    monkeypatch.setattr(web_cli, "_serve_both", serve_both)
    return seen


def _ports() -> list[str]:
    return ["--port", str(_free_port()), "--share-port", str(_free_port())]


def test_share_serves_https_to_the_network_and_shows_the_fingerprint(app_env: Path, started: dict[str, Any]) -> None:
    ports = _ports()
    result = runner.invoke(app, ["serve", "--share", *ports])
    assert result.exit_code == 0, result.output
    certificate = tls.ensure_certificate(app_env, ["192.168.1.5"], [])  # the one serve made, reused
    assert started["certfile"] == str(certificate.cert_path)
    assert started["host"] == "127.0.0.1" and started["shared"] == ("0.0.0.0", int(ports[3]))
    assert certificate.fingerprint in result.output
    assert f"https://192.168.1.5:{ports[3]}" in result.output
    assert f"http://127.0.0.1:{ports[1]}/devices" in result.output
    sharing = started["app"].state.sharing
    assert "192.168.1.5" in sharing.hosts and sharing.fingerprint == certificate.fingerprint and not sharing.plain_http


def test_share_over_plain_http_warns(app_env: Path, started: dict[str, Any]) -> None:
    result = runner.invoke(app, ["serve", "--share", "--plain-http", *_ports()])
    assert result.exit_code == 0, result.output
    assert "Plain HTTP" in result.output and "anyone on this network can read" in result.output
    assert started["host"] == "0.0.0.0" and started["app"].state.sharing.plain_http
    assert not (app_env / tls.FOLDER).exists()


def test_plain_serve_stays_on_this_computer(app_env: Path, started: dict[str, Any]) -> None:
    result = runner.invoke(app, ["serve", "--port", str(_free_port())])
    assert result.exit_code == 0, result.output
    assert started["host"] == "127.0.0.1" and started["app"].state.sharing is None


def test_lan_addresses_are_never_loopback() -> None:
    assert all(not address.startswith("127.") for address in web_cli.lan_addresses())
