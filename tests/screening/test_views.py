"""Safety pages and the /api/safety JSON API on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FrozenClock
from unclench.core import clock

pytestmark = pytest.mark.hard_dates


def make_episode(client: TestClient) -> str:
    response = client.post(
        "/api/episodes",
        json={
            "started_at": (clock.now() - timedelta(hours=1)).isoformat(),
            "kind": "cramp",
            "intensity": 6,
            "regions": [{"region": "calf", "side": "left"}],
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_triage_page_to_result_shows_level_reasons_and_sources(client: TestClient) -> None:
    page = client.get("/safety/triage")
    assert page.status_code == 200
    assert 'value="stroke_signs"' in page.text and "Signs that need help now" in page.text
    result = client.post("/safety/triage", data={"yes": ["brief_cramps", "neuropathy"]})
    assert result.status_code == 200
    assert "See a doctor within days" in result.text
    assert "neuropathy" in result.text
    assert "https://www.nhsinform.scot/" in result.text
    assert 'class="outcome outcome-soon"' in result.text


def test_api_triage_and_latest(client: TestClient) -> None:
    assert client.get("/api/safety/triage/latest").json() is None
    taken = client.post("/api/safety/triage", json={"yes": ["meningitis_signs"]})
    assert taken.status_code == 201
    body = taken.json()
    assert body["level"] == "emergency" and body["sources"][0]["url"] == "https://www.nhs.uk/conditions/meningitis/"
    latest = client.get("/api/safety/triage/latest").json()
    assert latest["id"] == body["id"] and latest["answers"] == ["meningitis_signs"]
    bad = client.post("/api/safety/triage", json={"yes": ["bogus"]})
    assert bad.status_code == 422 and "bogus" in bad.json()["detail"][0]["msg"]
    questions = client.get("/api/safety/triage/questions").json()
    assert questions[0]["level"] == "emergency" and len(questions) >= 25


def test_red_flag_on_an_episode_shows_a_banner_until_the_triage_is_taken(
    client: TestClient, frozen_clock: FrozenClock
) -> None:
    client.post("/api/safety/triage", json={"yes": []})
    checked_on = (clock.today() - timedelta(days=60)).isoformat()
    client.post("/api/safety/all-clear", json={"checked_on": checked_on, "note": "all normal"})
    assert client.get("/api/safety/notices").json() == []
    frozen_clock.shift(timedelta(minutes=5))  # a warning sign noticed after that triage
    episode_id = make_episode(client)
    form = client.get(f"/safety/episodes/{episode_id}/flags")
    assert form.status_code == 200 and 'value="dark_urine"' in form.text
    redirected = client.post(
        f"/safety/episodes/{episode_id}/flags", data={"feature": ["weakness"]}, follow_redirects=False
    )
    assert redirected.status_code == 303 and redirected.headers["location"] == "/safety/triage?from=diary"
    notices = client.get("/api/safety/notices").json()
    assert [n["kind"] for n in notices] == ["red_flag"]
    triage = client.get("/safety/triage?from=diary")
    assert 'data-notice="red_flag"' in triage.text
    assert 'class="question flagged" for="q-stroke_signs"' in triage.text
    assert client.get("/safety").text.count('data-notice="red_flag"') == 1
    frozen_clock.shift(timedelta(minutes=5))
    client.post("/safety/triage", data={"yes": ["progressive_weakness"]})
    assert client.get("/api/safety/notices").json() == []
    flags = client.get(f"/api/safety/episodes/{episode_id}/red-flags").json()
    assert flags["features"] == ["weakness"]


def test_red_flag_api_validates(client: TestClient) -> None:
    episode_id = make_episode(client)
    bad = client.put(f"/api/safety/episodes/{episode_id}/red-flags", json={"features": ["glowing"]})
    assert bad.status_code == 422
    assert client.put("/api/safety/episodes/nope/red-flags", json={"features": ["weakness"]}).status_code == 404
    ok = client.put(f"/api/safety/episodes/{episode_id}/red-flags", json={"features": ["swollen_calf"]})
    assert ok.json()["features"] == ["swollen_calf"]
    assert client.get("/api/safety/red-flag-features").json()[0]["sources"]


def test_medicines_page_add_suggest_and_remove(client: TestClient) -> None:
    refused = client.post("/safety/medicines", data={"name": "prednis"})
    assert refused.status_code == 422
    assert "as a medicine name — check the spelling" in refused.text and 'value="prednisone"' in refused.text
    assert client.post("/safety/medicines", data={"name": "Lipitor", "note": "20 mg"}).status_code == 200
    kept = client.post("/safety/medicines", data={"name": "paracetamol"})
    assert kept.status_code == 200
    page = client.get("/safety/medicines")
    assert "Statins (cholesterol-lowering)" in page.text and "https://www.nhs.uk/medicines/statins/" in page.text
    assert "Do not stop or change a medicine on your own" in page.text
    data = client.get("/api/safety/medications").json()
    assert [m["typed"] for m in data["matches"]] == ["Lipitor", "paracetamol"]
    med_id = next(m["id"] for m in data["list"] if m["name"] == "paracetamol")
    assert client.delete(f"/api/safety/medications/{med_id}").status_code == 204
    assert client.delete(f"/api/safety/medications/{med_id}").status_code == 404
    check = client.get("/api/safety/medications/check", params={"name": "ventolen"}).json()
    assert check["found"] and check["matched_name"] == "Ventolin" and not check["exact"]
    quick = client.get("/safety/medicines", params={"check": "xyzzy"})
    assert "We don&#39;t recognise &#39;xyzzy&#39; as a medicine name — check the spelling." in quick.text


def test_the_medicines_page_tells_a_known_medicine_from_an_unknown_word_and_keeps_what_was_typed(
    client: TestClient,
) -> None:
    quick = client.get("/safety/medicines", params={"check": "ibuprofen"})  # the page's own example
    assert "ibuprofen: a medicine we know; our sources list no muscle cramps or spasms for it." in quick.text
    assert "WHO Model List of Essential Medicines, 23rd list (2023)" in quick.text and "spelling" not in quick.text
    assert client.post("/safety/medicines", data={"name": "atorvastatn"}).status_code == 200
    page = client.get("/safety/medicines")
    assert "<strong>atorvastatin</strong>" in page.text and "you typed “atorvastatn”" in page.text
    listed = client.get("/api/safety/medications").json()["list"]
    assert [(m["name"], m["typed"]) for m in listed] == [("atorvastatin", "atorvastatn")]


def test_all_clear_form_and_overview(client: TestClient) -> None:
    page = client.get("/safety")
    assert "Physical causes worth asking a doctor about" in page.text
    assert 'data-notice="no_all_clear"' in page.text
    bad = client.post("/safety/all-clear", data={"checked_on": "not a date"})
    assert bad.status_code == 422 and "use a date like" in bad.text
    future = client.post("/api/safety/all-clear", json={"checked_on": "2999-01-01"})
    assert future.status_code == 422
    client.post("/safety/all-clear", data={"checked_on": "2026-02-03", "note": "bloods normal"})
    page = client.get("/safety")
    assert "Checked by a doctor on 03 February 2026" in page.text
    assert 'data-notice="no_all_clear"' not in page.text
    assert client.get("/api/safety/all-clear").json()["note"] == "bloods normal"
    assert client.get("/api/safety/physical-causes").json()["items"][0]["sources"]
    assert client.get("/safety/triage/nope").status_code == 404


def test_home_page_shows_the_safety_notices(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert "Has a doctor checked you about these symptoms yet?" in home.text
    episode_id = make_episode(client)
    client.put(f"/api/safety/episodes/{episode_id}/red-flags", json={"features": ["fever_stiff_neck"]})
    home = client.get("/")
    assert "fever with a stiff neck" in home.text and 'role="alert"' in home.text


def test_every_page_layout_shows_the_urgent_banner_with_or_without_a_request_session(client: TestClient) -> None:
    banner = '<div class="banner urgent" role="alert">'
    assert banner not in client.get("/timeline").text
    episode_id = make_episode(client)
    client.put(f"/api/safety/episodes/{episode_id}/red-flags", json={"features": ["fever_stiff_neck"]})
    timeline = client.get("/timeline")  # reads the notices with the route's own session
    live = client.get("/emg/live")  # no database session in the route: the provider opens a short one
    missing = client.get("/episodes/nope/edit")  # the error page, after the route's session has closed
    assert missing.status_code == 404
    for page in (timeline, live, missing):
        assert banner in page.text and "fever with a stiff neck" in page.text
    fragment = client.get("/safety")  # a page with its own notices draws no layout banner
    assert banner not in fragment.text


def test_a_medicine_may_say_since_when_and_the_report_shows_it(client: TestClient) -> None:
    started = clock.today() - timedelta(days=40)
    added = client.post("/safety/medicines", data={"name": "Lipitor", "since": started.isoformat()})
    assert added.status_code == 200
    assert client.post("/safety/medicines", data={"name": "salbutamol", "since": ""}).status_code == 200
    for bad, says in (("soon", "use a date like"), ((clock.today() + timedelta(days=9)).isoformat(), "future")):
        refused = client.post("/safety/medicines", data={"name": "quinine", "since": bad})
        assert refused.status_code == 422 and says in refused.text and 'value="quinine"' in refused.text
    listed = {m["name"]: m["since"] for m in client.get("/api/safety/medications").json()["list"]}
    assert listed == {"Lipitor": started.isoformat(), "salbutamol": None}
    assert f"since {started.strftime('%d %b %Y')}" in client.get("/safety/medicines").text
    preview = client.get("/reports/preview", params={"sections": ["medications"]}).text
    rows = {row.split("</td>", 1)[0]: row for row in preview.split("<tr><td>")[1:]}
    assert started.strftime("%d %b %Y") in rows["Lipitor"]
    assert "<td>—<br>" in rows["salbutamol"]  # no date given: a dash, never an empty cell


@pytest.mark.parametrize("sign", ["face_speech", "fever_stiff_neck", "bladder_bowel", "dark_urine"])
def test_an_emergency_sign_on_an_episode_goes_straight_to_the_emergency_outcome(client: TestClient, sign: str) -> None:
    from unclench.screening.triage import emergency_answers

    started = (clock.local_now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    form = {"started_at": started, "kind": "twitch", "intensity": "4", "regions": "face:left", "red_flags": [sign]}
    saved = client.post("/episodes/new", data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].startswith("/safety/triage/")
    result = client.get(saved.headers["location"])
    assert 'class="outcome outcome-emergency"' in result.text and "Call emergency services now" in result.text
    [answer] = emergency_answers([sign])
    latest = client.get("/api/safety/triage/latest").json()
    assert latest["level"] == "emergency" and latest["answers"] == [answer]
    # the rest of the check is one link away, with the sign's answer already ticked
    assert f'href="/safety/triage?yes={answer}"' in result.text
    rest = client.get(f"/safety/triage?yes={answer}")
    assert f'id="q-{answer}" name="yes" value="{answer}" data-level="emergency" checked>' in rest.text
    assert rest.text.count("checked>") == 1
    assert client.get("/api/safety/notices").json()[0]["kind"] != "red_flag"  # the check was taken: no banner


def test_a_sign_that_may_be_an_emergency_asks_the_check_under_one_banner(client: TestClient) -> None:
    episode_id = make_episode(client)
    saved = client.post(f"/safety/episodes/{episode_id}/flags", data={"feature": ["weakness"]}, follow_redirects=False)
    assert saved.headers["location"] == "/safety/triage?from=diary"  # weakness is not only a stroke: asked, not told
    page = client.get("/safety/triage?from=diary")
    assert page.text.count('class="banner') == 1 and 'class="banner urgent"' in page.text
    assert "checked>" not in page.text and 'class="question flagged" for="q-stroke_signs"' in page.text
    emergency = client.post(
        f"/safety/episodes/{episode_id}/flags", data={"feature": ["weakness", "face_speech"]}, follow_redirects=False
    )
    assert emergency.headers["location"].startswith("/safety/triage/")
    assert client.get("/api/safety/triage/latest").json()["answers"] == ["stroke_signs"]


def test_the_emergency_and_today_outcomes_offer_tap_to_call_links(client: TestClient) -> None:
    from unclench.screening.knowledge import load_triage

    emergency = client.post("/safety/triage", data={"yes": ["stroke_signs"]})
    for number, source in [
        ("999", "https://www.nhs.uk/nhs-services/urgent-and-emergency-care-services/when-to-call-999/"),
        ("112", "https://digital-strategy.ec.europa.eu/en/policies/112"),
        ("911", "https://www.911.gov/"),
    ]:
        assert f'<a class="button call" href="tel:{number}">Call {number} ' in emergency.text
        assert f'href="{source}"' in emergency.text
    assert "tel:111" not in emergency.text
    assert [p.number for p in load_triage().level("emergency").phones] == ["999", "112", "911"]

    today = client.post("/safety/triage", data={"yes": ["long_cramp"]})
    assert 'href="tel:111"' in today.text and "tel:999" not in today.text
    assert 'href="/safety#doctor"' in today.text  # no number saved yet: where to save one
    within_days = client.post("/safety/triage", data={"yes": ["neuropathy"]})
    assert "tel:" not in within_days.text


@pytest.mark.parametrize(
    ("typed", "href"),
    [("020 7946 0000", "tel:02079460000"), ("+44 (20) 7946-0000", "tel:+442079460000"), ("112", "tel:112")],
)
def test_the_persons_own_doctor_is_one_tap_away_on_the_today_outcome(client: TestClient, typed: str, href: str) -> None:
    saved = client.post("/safety/doctor", data={"phone": typed, "name": "Dr Patel"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/safety#doctor"
    assert f'value="{typed}"' in client.get("/safety").text
    today = client.post("/safety/triage", data={"yes": ["long_cramp"]})
    assert f'<a class="button call" href="{href}">Call Dr Patel ' in today.text
    assert href not in client.post("/safety/triage", data={"yes": ["neuropathy"]}).text
    client.post("/safety/doctor", data={"phone": "", "name": ""})  # empty removes it
    assert href not in client.post("/safety/triage", data={"yes": ["long_cramp"]}).text


@pytest.mark.parametrize("typed", ["call me", "12", "+44 20 7946 0000 0000 000", "020+7946", "0800\x00123", "x" * 40])
def test_a_doctors_number_that_cannot_be_dialled_is_explained_and_not_saved(client: TestClient, typed: str) -> None:
    bad = client.post("/safety/doctor", data={"phone": typed, "name": "Dr Patel"})
    assert bad.status_code == 422
    assert "Use a phone number like" in bad.text or "is too long" in bad.text
    assert 'value="Dr Patel"' in bad.text
    assert "tel:" not in client.post("/safety/triage", data={"yes": ["long_cramp"]}).text.replace("tel:111", "")
