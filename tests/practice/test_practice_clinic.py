"""Practitioner mode on a clinic server (PostgreSQL): invitation → link → consent per category, revocation on the
very next request, the roster's figures on a known diary, notes private or shared, the FHIR Consent history."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from tests.accounts.test_clinic import (  # noqa: F401  (fixtures)
    PASSWORD,
    _browser,
    _enrol,
    _login,
    cheap_hashing,
    clinic,
)
from unclench.accounts import logins
from unclench.core import clock
from unclench.core import db as core_db


def _practitioner() -> TestClient:
    with core_db.session_scope() as db:
        if logins.find_account(db, "carer@clinic.example") is None:
            admin = logins.find_account(db, "admin@clinic.example") or logins.create_admin(
                db, "admin@clinic.example", PASSWORD
            )
            logins.accept_invitation(db, logins.invite(db, admin, "practitioner"), "carer@clinic.example", PASSWORD)
    browser = _browser()
    _login(browser, "carer@clinic.example")
    _enrol(browser)
    return browser


def _invited_client(practitioner: TestClient, email: str) -> tuple[TestClient, int]:
    """A client who accepted the practitioner's invitation and signed in (landing on the consent page)."""
    page = practitioner.post("/clients/invite", data={"role": "person"})
    link = re.search(r'class="invite-link">[^<]*(/invite/[^<]+)</code>', page.text)
    assert link is not None
    accepted = _browser().post(link[1], data={"email": email, "password": PASSWORD, "password_again": PASSWORD})
    assert accepted.status_code == 303
    client = _browser()
    assert _login(client, email) == "/sharing/consent"  # taken to the consent page first
    with core_db.session_scope() as db:
        account = logins.find_account(db, email)
        assert account is not None and account.person_id is not None
        return client, account.person_id


def _link_id(client: TestClient) -> str:
    found = re.search(r'name="link_id" value="(\d+)"', client.get("/sharing/consent").text)
    assert found is not None
    return found[1]


def _episode(client: TestClient, days_ago: float, intensity: int = 5) -> None:
    answer = client.post(
        "/api/episodes",
        json={
            "started_at": (clock.now() - timedelta(days=days_ago)).isoformat(),
            "kind": "cramp",
            "intensity": intensity,
            "regions": [{"region": "calf", "side": "left"}],
            "notes": f"episode {days_ago}",
        },
    )
    assert answer.status_code == 201, answer.text


def test_consent_page_names_every_category_and_nothing_is_ticked(clinic: str) -> None:  # noqa: F811
    practitioner = _practitioner()
    client, person_id = _invited_client(practitioner, "client@example.org")
    page = client.get("/sharing/consent").text
    assert "carer@clinic.example" in page
    for words in ("Diary", "Check-ins", "Stress scores", "Safety results", "Sessions and listens", "EMG", "Reports"):
        assert words in page
    assert "checked" not in page
    # No consent yet: the practitioner is refused with a plain sentence; the roster lists the client as waiting.
    refused = practitioner.get(f"/clinic/clients/{person_id}")
    assert refused.status_code == 403 and "has not agreed to share" in refused.text
    assert "has not shared anything yet" in practitioner.get("/clinic").text
    bad = client.post("/sharing/consent", data={"link_id": _link_id(client), "categories": ["diary", "passwords"]})
    assert bad.status_code == 422 and "Choose only from the categories" in bad.text


def test_consent_is_versioned_and_revoking_holds_from_the_very_next_request(clinic: str) -> None:  # noqa: F811
    practitioner = _practitioner()
    client, person_id = _invited_client(practitioner, "client@example.org")
    _episode(client, 1)
    link_id = _link_id(client)
    assert client.post("/sharing/consent", data={"link_id": link_id, "categories": ["stress"]}).status_code == 303
    page = practitioner.get(f"/clinic/clients/{person_id}")
    assert page.status_code == 200 and "episode 1" not in page.text and "not shared" in page.text
    assert "Episodes per day" not in page.text  # no calendar without the diary
    assert "home programme: needs their sessions and listens" in page.text  # no way into a builder that refuses
    no_report = practitioner.get(f"/clinic/clients/{person_id}/report.pdf")
    assert no_report.status_code == 403 and "does not share reports" in no_report.text
    client.post("/sharing/consent", data={"link_id": link_id, "categories": ["diary", "stress"]})
    page = practitioner.get(f"/clinic/clients/{person_id}")
    assert page.status_code == 200 and "cramp, intensity 5/10" in page.text and "Episodes per day" in page.text
    sharing = client.get("/sharing").text
    assert "History (2 versions)" in sharing and "replaced" in sharing

    assert client.post(f"/sharing/{link_id}/revoke").status_code == 303
    after = practitioner.get(f"/clinic/clients/{person_id}")  # the very next request
    assert after.status_code == 403 and "ended sharing" in after.text
    assert practitioner.get(f"/clinic/clients/{person_id}/notes").status_code == 403
    assert "client@example.org" not in practitioner.get("/clinic").text  # off the roster too
    # Nothing was deleted: three versions, the last one a revocation; the FHIR history says so.
    bundle = json.loads(client.get("/sharing/consents.fhir.json").text)
    consents = [entry["resource"] for entry in bundle["entry"]]
    assert [c["status"] for c in consents] == ["inactive", "inactive", "inactive"]
    assert [c["provision"]["type"] for c in consents] == ["permit", "permit", "deny"]
    codes = [[p["code"][0]["coding"][0]["code"] for p in c["provision"].get("provision", [])] for c in consents]
    assert codes == [["stress"], ["diary", "stress"], []]
    assert all(c["patient"]["reference"] == f"Patient/{person_id}" for c in consents)
    # The access hooks logged the practitioner's reads of the client's rows on the client page (as the client's
    # practitioner, in the client's log); the client's own log shows them and the consent changes.
    from unclench.accounts import audit

    with core_db.session_scope() as db:
        reads = [e for e in audit.recent_entries(db, person_id=person_id) if e.action == "data_read"]
    assert "episode" in {e.resource for e in reads}
    assert all(e.actor_role == "practitioner" and e.actor_person_id == person_id for e in reads)
    log = client.get("/privacy/access-log").text
    assert "A practitioner" in log and "Stopped sharing with" in log


def test_fhir_consent_of_a_current_consent_is_active_and_valid(clinic: str) -> None:  # noqa: F811
    from fhir.resources.R4B.bundle import Bundle

    practitioner = _practitioner()
    client, _ = _invited_client(practitioner, "client@example.org")
    client.post("/sharing/consent", data={"link_id": _link_id(client), "categories": ["diary", "emg"]})
    bundle = json.loads(client.get("/sharing/consents.fhir.json").text)
    Bundle.model_validate(bundle)
    (consent,) = [entry["resource"] for entry in bundle["entry"]]
    assert consent["status"] == "active" and consent["scope"]["coding"][0]["code"] == "patient-privacy"
    assert consent["provision"]["actor"][0]["reference"]["display"] == "Practitioner carer@clinic.example"


def test_another_practitioners_client_is_refused(clinic: str) -> None:  # noqa: F811
    practitioner = _practitioner()
    client, person_id = _invited_client(practitioner, "client@example.org")
    client.post("/sharing/consent", data={"link_id": _link_id(client), "categories": ["diary"]})
    with core_db.session_scope() as db:
        admin = logins.find_account(db, "admin@clinic.example")
        assert admin is not None
        logins.accept_invitation(db, logins.invite(db, admin, "practitioner"), "other@clinic.example", PASSWORD)
    other = _browser()
    _login(other, "other@clinic.example")
    _enrol(other)
    assert other.get(f"/clinic/clients/{person_id}").status_code == 403
    assert other.post(f"/clinic/clients/{person_id}/notes", data={"text": "x"}).status_code == 403
    assert "client@example.org" not in other.get("/clinic").text
    assert client.get(f"/clinic/clients/{person_id}").status_code == 403  # a client is not a practitioner


def test_notes_private_or_shared(clinic: str) -> None:  # noqa: F811
    practitioner = _practitioner()
    client, person_id = _invited_client(practitioner, "client@example.org")
    client.post("/sharing/consent", data={"link_id": _link_id(client), "categories": ["diary"]})
    url = f"/clinic/clients/{person_id}/notes"
    assert practitioner.post(url, data={"text": "   "}).status_code == 422
    assert practitioner.post(url, data={"text": "Breathing first, then the jaw."}).status_code == 303
    assert practitioner.post(url, data={"text": "Try the 5-minute session daily.", "shared": "on"}).status_code == 303
    mine = practitioner.get(url).text
    assert "Breathing first" in mine and "Try the 5-minute" in mine
    shared = client.get("/sharing/notes").text
    assert "Try the 5-minute" in shared and "Breathing first" not in shared
    # The practitioner writes only notes (and programmes, sessions): the client's diary stays the client's.
    refused = practitioner.post("/api/episodes", json={"kind": "cramp"})
    assert refused.status_code in (403, 422)


def test_roster_figures_on_a_known_diary(clinic: str) -> None:  # noqa: F811
    practitioner = _practitioner()
    client, person_id = _invited_client(practitioner, "client@example.org")
    for days in (1, 3, 10):  # 3 episodes in the last 4 weeks
        _episode(client, days)
    _episode(client, 40)  # 1 in the 4 before
    client.post("/sharing/consent", data={"link_id": _link_id(client), "categories": ["diary", "safety"]})
    from unclench.practice.roster import build_roster

    with core_db.session_scope() as db:
        account = logins.find_account(db, "carer@clinic.example")
        assert account is not None
        (row,) = build_roster(db, account.id, audit_reads=False)
    assert row.client.person_id == person_id
    assert row.episodes is not None and (row.episodes.recent, row.episodes.before) == (3, 1)
    assert row.red_flag == ""  # safety shared, nothing open
    assert row.pss is None and row.tension_drop is None and row.tone is None and row.adherence is None
    page = practitioner.get("/clinic").text
    assert "3 in the last 4 weeks, 1 in the 4 before (more)" in page
    assert page.count("not shared") >= 3
    # Opening the roster wrote one entry in the client's log, through the batched append, and the chain holds.
    from unclench.accounts import audit

    with core_db.session_scope() as db:
        assert audit.verify(db).problem is None
        reads = [e for e in audit.recent_entries(db, person_id=person_id) if e.resource == "roster"]
        assert len(reads) == 1 and reads[0].actor_role == "practitioner"
    assert "on their list of clients" in client.get("/privacy/access-log").text


def test_the_client_page_says_what_goes_with_more_episodes_only_with_diary_and_check_ins(clinic: str) -> None:  # noqa: F811
    """The client's own insights in plain words, on their practitioner's page: the planted "late screen" link
    (episodes triple the day after) leads; without their check-ins there is nothing to compare, so it says so."""
    from tests.insights.insights_seed import seed_diary
    from unclench.core.identity import Caller

    practitioner = _practitioner()
    client, person_id = _invited_client(practitioner, "client@example.org")
    with core_db.session_scope(Caller(kind="account", person_id=person_id, role="person")) as db:
        seed_diary(db)
    link_id = _link_id(client)
    client.post("/sharing/consent", data={"link_id": link_id, "categories": ["diary", "checkins"]})
    page = practitioner.get(f"/clinic/clients/{person_id}").text
    finding = "On days after a day with “late screen” you logged about"
    assert "What goes with more episodes" in page and finding in page
    assert page.index("What goes with more episodes") < page.index(finding) < page.index("Calendar: the last four")
    assert "When you practised" not in page  # their listens are not shared: no word on practice

    client.post("/sharing/consent", data={"link_id": link_id, "categories": ["diary"]})
    page = practitioner.get(f"/clinic/clients/{person_id}").text
    assert finding not in page and "this needs their diary and their check-ins" in page


def test_consents_command_exports_the_fhir_history(clinic: str, tmp_path: Path) -> None:  # noqa: F811
    from typer.testing import CliRunner

    from unclench.cli import app

    practitioner = _practitioner()
    client, _ = _invited_client(practitioner, "client@example.org")
    client.post("/sharing/consent", data={"link_id": _link_id(client), "categories": ["sessions"]})
    out = tmp_path / "consents.json"
    result = CliRunner().invoke(app, ["consents", "client@example.org", "--out", str(out)])
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text())
    assert [e["resource"]["status"] for e in bundle["entry"]] == ["active"]
    unknown = CliRunner().invoke(app, ["consents", "nobody@example.org"])
    assert unknown.exit_code == 2 and "no client account" in unknown.output


def test_a_practitioners_menu_is_their_clients_and_a_clients_footer_names_the_clinic(clinic: str) -> None:  # noqa: F811
    practitioner = _practitioner()
    client, _ = _invited_client(practitioner, "menu@example.org")
    roster = practitioner.get("/clinic").text
    menu = re.search(r'<nav class="topnav" aria-label="Main">(.*?)</nav>', roster, re.S)
    assert menu is not None and re.findall(r">([^<]+)</a>", menu[1]) == ["Your clients", "Invite a client", "Account"]
    tabs = re.search(r'<nav class="tabbar"[^>]*>(.*?)</nav>', roster, re.S)
    assert tabs is not None and ">Timeline<" not in tabs[1] and "Clients" in tabs[1]
    assert "Your diary stays on this computer" not in roster and "Your data: download or delete it" not in roster
    own = client.get("/sharing").text
    assert "Your diary stays on this clinic's server" in own and "Your diary stays on this computer" not in own
    assert ">Timeline</a>" in own and "Your data: download or delete it" in own
