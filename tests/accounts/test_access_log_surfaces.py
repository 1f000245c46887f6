"""The access log as the person meets it: the page, its check and FHIR download, `unclench audit`, and exports."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.conftest import FrozenClock
from unclench.accounts import audit
from unclench.accounts import cli as accounts_cli
from unclench.cli import app
from unclench.core import db as core_db
from unclench.core.identity import Caller, set_caller

runner = CliRunner()

PRACTITIONER = Caller(kind="account", role="practitioner", person_id=None, account_id=7, address="192.0.2.7")
PHONE = Caller(
    kind="device",
    role="person",
    person_id=1,
    device_id=3,
    address="192.168.1.23",
    user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts_cli, "console", Console(width=240))


def _seed(frozen_clock: FrozenClock) -> None:
    """A pairing, a practitioner's read and a failed sign-in, in separate requests (sessions)."""
    with core_db.session_scope() as db:
        set_caller(db, PHONE)
        audit.record(db, "device_paired", subject_person_id=1, what=audit.What("device", "3", "Pixel 8"))
    frozen_clock.shift(timedelta(minutes=5))
    with core_db.session_scope() as db:
        set_caller(db, PRACTITIONER)
        audit.read_person_data(db, 1, audit.What("episode", "3f2a"))
    frozen_clock.shift(timedelta(minutes=5))
    with core_db.session_scope() as db:
        anonymous = Caller(kind="anonymous", person_id=None, address="198.51.100.4")
        audit.record(db, "login_failed", subject_person_id=1, what="account 1", outcome="failed", caller=anonymous)


def _tamper(statement: str) -> None:
    with core_db.session_scope() as db:
        postgres = db.get_bind().dialect.name == "postgresql"
        if postgres:
            db.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        db.execute(text(statement))
        if postgres:
            db.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))


def _cells(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)] for r in rows]


def test_the_page_lists_entries_in_plain_words_newest_first(client: TestClient, frozen_clock: FrozenClock) -> None:
    empty = client.get("/privacy/access-log")
    assert empty.status_code == 200 and "Nothing yet" in empty.text
    _seed(frozen_clock)
    page = client.get("/privacy/access-log")
    assert page.status_code == 200
    rows = _cells(page.text)
    assert [row[1:] for row in rows] == [
        ["Someone not signed in", "Tried to sign in", "198.51.100.4", "Failed"],
        ["A practitioner (account 7)", "Read your episode data (3f2a)", "192.0.2.7", "Done"],
        ["Your paired phone (device 3)", "Paired the phone “Pixel 8”", "192.168.1.23, Chrome on Android", "Done"],
    ]
    assert rows[0][0] == "17 Jun 2026, 10:10"  # the person's time zone (Berlin), not UTC
    assert 'href="/privacy/access-log"' in client.get("/").text  # reachable from every page's footer


def test_the_page_is_paginated(client: TestClient) -> None:
    with core_db.session_scope() as db:
        for i in range(120):
            audit.record(db, "export", subject_person_id=1, what=f"diary-csv {i}")
    first = client.get("/privacy/access-log")
    assert len(_cells(first.text)) == 50 and "Page 1 of 3" in first.text
    assert 'href="/privacy/access-log?page=2">Older entries' in first.text and "Newer entries" not in first.text
    last = client.get("/privacy/access-log", params={"page": 3})
    assert len(_cells(last.text)) == 20 and "Older entries" not in last.text
    assert client.get("/privacy/access-log", params={"page": 0}).status_code == 422
    assert client.get("/privacy/access-log", params={"page": "two"}).status_code == 422


def test_checking_the_log_says_intact_or_names_the_broken_entry(client: TestClient, frozen_clock: FrozenClock) -> None:
    _seed(frozen_clock)
    assert "The log is intact" not in client.get("/privacy/access-log").text  # only when asked
    intact = client.get("/privacy/access-log", params={"check": "true"})
    assert "The log is intact" in intact.text and "The log is broken" not in intact.text
    _tamper("UPDATE audit_entry SET address = '10.0.0.1' WHERE seq = 2")
    broken = client.get("/privacy/access-log", params={"check": "true"})
    assert "The log is broken. Entry 2 was altered" in broken.text


def test_the_fhir_download_holds_the_persons_audit_events(client: TestClient, frozen_clock: FrozenClock) -> None:
    _seed(frozen_clock)
    with core_db.session_scope() as db:
        audit.record(db, "login", subject_person_id=2, what="account 2")  # someone else's: not in this download
    response = client.get("/privacy/access-log/audit-events.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/fhir+json"
    assert "attachment" in response.headers["content-disposition"]
    bundle = response.json()
    Bundle.model_validate(bundle)
    actions = [e["resource"]["subtype"][-1]["code"] for e in bundle["entry"]]
    assert actions == ["device_paired", "data_read", "login_failed", "export"]  # the download is logged first
    assert bundle["entry"][-1]["resource"]["entity"][0]["description"] == "Exported this access log (FHIR)"


def test_downloads_from_the_reports_page_leave_entries(client: TestClient, small_diary: Any) -> None:
    query = {"first": "2026-05-01", "last": "2026-06-16", "kind": "cramp"}
    assert client.get("/reports/bundle.json", params=query).status_code == 200
    assert client.get("/api/reports/fhir", params=query).status_code == 200
    assert client.get("/reports/diary-csv.zip").status_code == 200
    assert client.get("/reports/preview", params=query).status_code == 200  # a preview on screen is not an export
    with core_db.session_scope() as db:
        words = [audit.describe(e).what for e in audit.recent_entries(db)]
        assert audit.verify(db).intact
    assert words == [
        "Exported the whole diary as CSV files",
        "Exported the diary as a FHIR file for 1 May 2026 – 16 June 2026",
        "Exported the diary as a FHIR file for 1 May 2026 – 16 June 2026",
    ]  # the kind asked for ("cramp") is health data: the log, which outlives the account, does not keep it


def test_a_pdf_download_leaves_an_entry(client: TestClient) -> None:
    response = client.get("/reports/report.pdf", params={"first": "2026-05-01", "last": "2026-06-17"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    with core_db.session_scope() as db:
        (entry,) = audit.recent_entries(db)
    assert (entry.action, entry.resource, entry.resource_ref) == ("export", "report-pdf", "2026-05-01..2026-06-17")


# --- the CLI -----------------------------------------------------------------------------------------------------


def test_audit_verify_exits_0_when_intact_and_1_naming_the_broken_entry(
    app_env: Path, frozen_clock: FrozenClock
) -> None:
    empty = runner.invoke(app, ["audit", "verify"])
    assert empty.exit_code == 0 and "The audit log is intact: 0 entries." in empty.output
    _seed(frozen_clock)
    intact = runner.invoke(app, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "The audit log is intact: 3 entries, the last at 17 June 2026, 10:10." in intact.output
    assert "fingerprint" in intact.output
    _tamper("DELETE FROM audit_entry WHERE seq = 2")
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "The audit log is broken. Entry 2 is missing: deleted from the log." in broken.output
    assert "Traceback" not in broken.output


def test_audit_list_and_export(app_env: Path, tmp_path: Path, frozen_clock: FrozenClock) -> None:
    assert "The audit log is empty." in runner.invoke(app, ["audit", "list"]).output
    _seed(frozen_clock)
    listed = runner.invoke(app, ["audit", "list", "-n", "2"])
    assert listed.exit_code == 0
    assert "Tried to sign in" in listed.output and "Read your episode data (3f2a)" in listed.output
    assert "Paired the phone" not in listed.output  # only the newest two
    target = tmp_path / "audit.json"
    exported = runner.invoke(app, ["audit", "export", "--fhir", str(target)])
    assert exported.exit_code == 0, exported.output
    assert "Wrote 4 AuditEvents" in exported.output
    bundle = json.loads(target.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    assert bundle["entry"][-1]["resource"]["subtype"][-1]["code"] == "export"
    missing = runner.invoke(app, ["audit", "export", "--fhir", str(tmp_path / "nowhere" / "a.json")])
    assert missing.exit_code == 2 and "does not" in missing.output and "Traceback" not in missing.output


def test_cli_exports_leave_entries(app_env: Path, tmp_path: Path, small_diary: Any) -> None:
    assert runner.invoke(app, ["export", str(tmp_path / "csv")]).exit_code == 0
    fhir_file = tmp_path / "report.json"
    result = runner.invoke(app, ["report", "--from", "2026-06-01", "--to", "2026-06-16", "--fhir", str(fhir_file)])
    assert result.exit_code == 0, result.output
    with core_db.session_scope() as db:
        entries = audit.recent_entries(db)
        assert [(e.action, e.resource, e.resource_ref, e.actor_kind) for e in entries] == [
            ("export", "report-fhir", "2026-06-01..2026-06-16", "local"),
            ("export", "diary-csv", "", "local"),
        ]


# --- in Chromium -------------------------------------------------------------------------------------------------


@pytest.mark.xdist_group("browser")
def test_the_page_renders_in_chromium_without_console_errors(
    page: Any, frozen_clock: FrozenClock, screenshot_dir: Path
) -> None:
    _seed(frozen_clock)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/privacy/access-log")
    assert page.get_by_role("heading", level=1).inner_text() == "Who has used your data"
    assert page.locator("tbody tr").count() == 3
    page.get_by_role("button", name="Check the log").click()
    page.wait_for_url("**/privacy/access-log?check=true")
    assert "The log is intact" in page.get_by_role("status").inner_text()
    page.screenshot(path=str(screenshot_dir / "access-log.png"), full_page=True)
    assert problems == []


@pytest.fixture
def small_diary(db: Session) -> Any:
    from tests.reports.conftest import seed_small_diary

    first = seed_small_diary(db)
    db.commit()
    return first


def _rewrite_whole_chain() -> None:
    """What the database's owner can do: change entry 1 and recompute every hash after it, and the head."""
    from unclench.accounts.models import AuditEntry

    with core_db.session_scope() as db:
        postgres = db.get_bind().dialect.name == "postgresql"
        if postgres:
            db.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        prev = audit.GENESIS
        for entry in db.query(AuditEntry).order_by(AuditEntry.seq):
            if entry.seq == 1:
                entry.address = "10.9.9.9"
            entry.prev_hash = prev
            entry.entry_hash = audit.compute_hash(audit.hashed_fields(entry))
            prev = entry.entry_hash
        db.flush()
        db.execute(text("UPDATE audit_head SET entry_hash = :h"), {"h": prev})
        if postgres:
            db.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))


def test_a_noted_fingerprint_catches_a_rewrite_of_the_whole_chain(app_env: Path, frozen_clock: FrozenClock) -> None:
    _seed(frozen_clock)
    first = runner.invoke(app, ["audit", "verify"])
    noted = re.search(r"fingerprint: ([0-9a-f ]{19})", first.output)
    assert noted is not None
    still = runner.invoke(app, ["audit", "verify", "--expect", noted[1]])
    assert still.exit_code == 0 and "The entry you noted is entry 3, still in the log" in still.output
    _rewrite_whole_chain()
    assert "The audit log is intact: 3 entries" in runner.invoke(app, ["audit", "verify"]).output  # the chain alone
    caught = runner.invoke(app, ["audit", "verify", "--expect", noted[1]])
    assert caught.exit_code == 1 and "No entry has the fingerprint you noted" in caught.output
    typo = runner.invoke(app, ["audit", "verify", "--expect", "not-hex"])
    assert typo.exit_code == 2 and "hexadecimal" in typo.output
