"""The diary JSON API and the HTML forms, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from unclench.core import clock

pytestmark = pytest.mark.hard_dates


def _episode(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "started_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "kind": "spasm",
        "intensity": 5,
        "regions": [{"region": "lower_back", "side": "left"}],
    }
    body.update(overrides)
    return body


def test_episode_lifecycle_over_the_api(client: TestClient) -> None:
    created = client.post("/api/episodes", json=_episode(ongoing=True))
    assert created.status_code == 201, created.text
    episode_id = created.json()["id"]
    assert created.json()["regions"] == [{"region_id": "lower_back", "side": "left"}]

    closed = client.post(f"/api/episodes/{episode_id}/close", json={})
    assert closed.status_code == 200 and closed.json()["ongoing"] is False
    assert closed.json()["duration_s"] >= 3600 - 5

    updated = client.put(f"/api/episodes/{episode_id}", json=_episode(kind="cramp", intensity=8, duration_s=120))
    assert updated.json()["kind"] == "cramp" and updated.json()["intensity"] == 8

    assert client.delete(f"/api/episodes/{episode_id}").status_code == 204
    assert client.get(f"/api/episodes/{episode_id}").status_code == 404
    assert client.post(f"/api/episodes/{episode_id}/restore").status_code == 200
    listed = client.get("/api/episodes", params={"region": "lower_back"}).json()
    assert [e["id"] for e in listed] == [episode_id]
    heat = client.get("/api/heatmap").json()
    assert heat == [{"region": "lower_back", "side": "left", "count": 1}]


def test_api_rejects_bad_input_with_field_errors_and_writes_nothing(client: TestClient) -> None:
    response = client.post("/api/episodes", json=_episode(intensity=11, regions=[{"region": "tail"}]))
    assert response.status_code == 422
    locations = {
        tuple(item["loc"][-2:]) if item["loc"][-2] == "regions" else item["loc"][-1]
        for item in response.json()["detail"]
    }
    assert "intensity" in locations
    future = client.post("/api/episodes", json=_episode(started_at=(clock.now() + timedelta(days=3)).isoformat()))
    assert future.status_code == 422 and "future" in future.text
    assert client.get("/api/episodes").json() == []


def test_checkins_and_factors_over_the_api(client: TestClient) -> None:
    factor = client.post("/api/factors", json={"name": "Cold weather", "kind": "yesno"})
    assert factor.status_code == 201
    day = (clock.today() - timedelta(days=1)).isoformat()
    saved = client.put(
        "/api/checkins", json={"day": day, "stress": 6, "sleep_hours": 5.5, "factors": {"Cold weather": 1}}
    )
    assert saved.status_code == 200, saved.text
    assert client.get(f"/api/checkins/{day}").json()["factors"] == {"Cold weather": 1.0}
    bad = client.put("/api/checkins", json={"day": day, "stress": 14, "factors": {"Cold weather": 5}})
    assert bad.status_code == 422
    assert client.get(f"/api/checkins/{day}").json()["stress"] == 6  # unchanged
    assert client.delete(f"/api/factors/{factor.json()['id']}").status_code == 204
    assert client.get("/api/factors").json() == []


def test_episode_form_keeps_input_and_shows_messages_beside_fields(client: TestClient) -> None:
    response = client.post(
        "/episodes/new",
        data={
            "regions": "calf:left",
            "kind": "cramp",
            "intensity": "5",
            "started_at": "2999-01-01T10:00",
            "notes": "woke me up",
        },
    )
    assert response.status_code == 422
    assert "in the future" in response.text
    assert "woke me up" in response.text  # input kept
    assert 'value="calf:left" checked' in response.text
    assert client.get("/api/episodes").json() == []

    ok = client.post(
        "/episodes/new",
        data={"regions": "calf:left", "kind": "cramp", "intensity": "5", "next": "/"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith("/?saved=")
    timeline = client.get("/timeline")
    assert "Cramp" in timeline.text and "Calf (left)" in timeline.text


def test_checkin_form_validates_and_saves(client: TestClient) -> None:
    bad = client.post("/checkin", data={"day": clock.today().isoformat(), "stress": "eleven", "sleep_hours": "30"})
    assert bad.status_code == 422
    assert "must be a whole number" in bad.text and "must be at most 24" in bad.text
    good = client.post(
        "/checkin",
        data={"day": clock.today().isoformat(), "stress": "4", "medications": "ibuprofen, magnesium"},
        follow_redirects=False,
    )
    assert good.status_code == 303
    page = client.get(good.headers["location"])
    assert "Saved for" in page.text and "ibuprofen, magnesium" in page.text


def test_pages_render_and_filters_validate(client: TestClient) -> None:
    for path in ("/", "/timeline", "/calendar", "/checkin", "/episodes/new?region=jaw&side=left"):
        assert client.get(path).status_code == 200, path
    assert client.get("/timeline?region=nowhere").status_code == 422
    assert client.get("/calendar?month=2026-13").status_code == 422
    assert "/api/episodes" in client.get("/api/openapi.json").json()["paths"]


def test_warning_signs_on_the_episode_form_lead_to_the_safety_check(client: TestClient) -> None:
    response = client.post(
        "/episodes/new",
        data={"regions": "calf:left", "kind": "cramp", "intensity": "6", "red_flags": ["swollen_calf"]},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/safety/triage")
    episode_id = client.get("/api/episodes").json()[0]["id"]
    edit = client.get(f"/episodes/{episode_id}/edit")
    assert 'value="swollen_calf" checked' in edit.text
    home = client.get("/")
    assert "safety check" in home.text.lower()
    bad = client.post(
        "/episodes/new", data={"regions": "calf:left", "kind": "cramp", "intensity": "6", "red_flags": ["purple_toes"]}
    )
    assert bad.status_code == 422
    assert len(client.get("/api/episodes").json()) == 1  # the bad one was not half-written
