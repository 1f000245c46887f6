"""Stress pages and the /api/stress JSON API on real SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.hard_dates


def test_pss_form_incomplete_then_complete_then_chart(client: TestClient) -> None:
    form = client.get("/stress/pss")
    assert form.status_code == 200 and 'name="item10"' in form.text and "non-commercial" in form.text
    partial = client.post("/stress/pss", data={"item1": "2", "item2": "3"})
    assert partial.status_code == 422
    assert "missing items 3, 4, 5, 6, 7, 8, 9, 10" in partial.text
    assert 'id="item3"' in partial.text and "has-error missing" in partial.text
    assert 'value="3" checked' in partial.text  # what was answered is kept
    assert client.get("/api/stress/pss-history").json() == []
    done = client.post("/stress/pss", data={f"item{n}": v for n, v in zip(range(1, 11), "3231232123", strict=True)})
    assert done.status_code == 200
    assert "<strong>26</strong>" in done.text and "Commonly used bands (not from the scale" in done.text
    assert "Harris poll" in done.text
    overview = client.get("/stress")
    assert "<svg" in overview.text and 'data-total="26"' in overview.text
    assert "cdn" not in overview.text.lower()
    history = client.get("/api/stress/pss-history").json()
    assert [h["total"] for h in history] == [26]


def test_phq4_positive_screen_is_kind(client: TestClient) -> None:
    result = client.post("/stress/phq4", data={"item1": "2", "item2": "1", "item3": "0", "item4": "0"})
    assert result.status_code == 200
    assert "positive screen" in result.text and "could help to talk to a doctor" in result.text
    api = client.post("/api/stress/questionnaires/phq4", json={"answers": [0, 0, 1, None]})
    assert api.status_code == 422 and "missing item 4" in api.json()["detail"][0]["msg"]
    ok = client.post("/api/stress/questionnaires/phq4", json={"answers": [0, 0, 1, 0]})
    assert ok.status_code == 201 and ok.json()["score"]["band"] == "none"
    assert len(client.get("/api/stress/questionnaires/phq4/history").json()) == 2
    assert client.get("/api/stress/questionnaires/dass21").status_code == 422
    assert client.get("/stress/nope").status_code == 404


def test_inventory_form_and_plan(client: TestClient) -> None:
    bad = client.post("/stress/inventory", data={"deadlines.weight": "4", "deadlines.leeway": ""})
    assert bad.status_code == 422 and "leeway is required" in bad.text
    assert client.get("/api/stress/plan").json()["remove"] == []
    saved = client.post(
        "/stress/inventory",
        data={"deadlines.weight": "4", "deadlines.leeway": "3", "money.weight": "3", "money.leeway": "0"},
    )
    assert saved.status_code == 200
    assert "Say no to, or hand back" in saved.text and 'href="/sessions"' in saved.text
    plan = client.put("/api/stress/stressors", json={"workload": {"weight": 2, "leeway": 1}}).json()
    assert [p["stressor"] for p in plan["reduce"]] == ["workload"]
    assert client.put("/api/stress/stressors", json={"workload": {"weight": 7, "leeway": 1}}).status_code == 422
    listed = client.get("/api/stress/stressors").json()["stressors"]
    assert next(s for s in listed if s["id"] == "money")["leeway"] == 0


def test_reflection_pages_and_api(client: TestClient) -> None:
    page = client.get("/stress/reflect", params={"region": "jaw"})
    assert "A tradition, not medical fact" in page.text and "holding back from saying" in page.text
    assert "https://www.nhs.uk/conditions/twitching-eyes-and-muscles/" in page.text  # a calm source, no disease study
    saved = client.post("/stress/reflect", data={"prompt_id": "jaw_unsaid", "region": "jaw", "text": "the meeting"})
    assert saved.status_code == 200 and "the meeting" in saved.text
    assert client.post("/stress/reflect", data={"prompt_id": "jaw_unsaid", "text": "  "}).status_code == 422
    assert client.get("/stress/reflect", params={"region": "tail"}).status_code == 422
    notes = client.get("/api/stress/reflection-notes").json()
    assert notes[0]["region_id"] == "jaw"
    assert client.delete(f"/api/stress/reflection-notes/{notes[0]['id']}").status_code == 204
    assert client.get("/api/stress/reflection/foot").json()["prompts"][0]["region_id"] == "foot"
