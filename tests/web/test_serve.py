"""`unclench serve --share`: listens on the home network, makes (and reuses) its certificate, prints the addresses
and the fingerprint to compare, and warns plainly over plain HTTP. uvicorn itself is replaced by a recorder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from unclench.cli import app
from unclench.web import cli as web_cli
from unclench.web import tls

runner = CliRunner()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What serve would have started: uvicorn.run's or the two servers' arguments, and the app."""
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(web_cli, "console", Console(width=300))
    monkeypatch.setattr(web_cli, "lan_addresses", lambda: ["192.168.1.5"])
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: seen.update(app=application, **kw))
    monkeypatch.setattr(
        web_cli,
        "_serve_both",
        lambda application, port, share_port, keyfile, certfile: seen.update(
            app=application, port=port, share_port=share_port, keyfile=keyfile, certfile=certfile
        ),
    )
    return seen


def test_share_serves_https_to_the_network_and_shows_the_fingerprint(app_env: Path, started: dict[str, Any]) -> None:
    result = runner.invoke(app, ["serve", "--share"])
    assert result.exit_code == 0, result.output
    certificate = tls.ensure_certificate(app_env, ["192.168.1.5"], [])  # the one serve made, reused
    assert started["certfile"] == str(certificate.cert_path) and started["share_port"] == 8443
    assert certificate.fingerprint in result.output
    assert "https://192.168.1.5:8443" in result.output and "http://127.0.0.1:8000/devices" in result.output
    sharing = started["app"].state.sharing
    assert "192.168.1.5" in sharing.hosts and sharing.fingerprint == certificate.fingerprint and not sharing.plain_http


def test_share_over_plain_http_warns(app_env: Path, started: dict[str, Any]) -> None:
    result = runner.invoke(app, ["serve", "--share", "--plain-http"])
    assert result.exit_code == 0, result.output
    assert "Plain HTTP" in result.output and "anyone on this network can read" in result.output
    assert started["host"] == "0.0.0.0" and started["app"].state.sharing.plain_http
    assert not (app_env / tls.FOLDER).exists()


def test_plain_serve_stays_on_this_computer(app_env: Path, started: dict[str, Any]) -> None:
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    assert started["host"] == "127.0.0.1" and started["app"].state.sharing is None


def test_lan_addresses_are_never_loopback() -> None:
    assert all(not address.startswith("127.") for address in web_cli.lan_addresses())
