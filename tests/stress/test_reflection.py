"""Reflection prompts: one set per body region, labelled as a tradition, never mentioning illness."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from unclench.body.taxonomy import region_ids
from unclench.core.errors import UserInputError
from unclench.stress.reflection import all_prompts, load_reflection_data, prompts_for_region

ILLNESS_WORDS = re.compile(
    r"cancer|tumou?r|disease|illness|tuberculosis|thyroid|heart|diagnos|predict|syndrome|sick|\bill\b|\bcure",
    re.IGNORECASE,
)


def test_every_region_has_prompts_and_no_unknown_regions() -> None:
    data = load_reflection_data()["regions"]
    assert set(data) == set(region_ids())


def test_prompts_are_labelled_as_a_tradition_with_sources() -> None:
    data = load_reflection_data()
    assert data["label"] == "A tradition, not medical fact"
    assert "no evidence" in data["disclaimer"]
    assert all(s["url"].startswith("https://") for s in data["sources"])


def test_no_prompt_mentions_an_illness() -> None:
    for prompt in all_prompts().values():
        assert not ILLNESS_WORDS.search(prompt.text), prompt.text
        assert prompt.text.endswith("?")


def test_prompt_ids_are_unique() -> None:
    data = load_reflection_data()
    ids = [p["id"] for p in data["general"]] + [p["id"] for items in data["regions"].values() for p in items]
    assert len(ids) == len(set(ids))


def test_region_prompts_come_first_then_general() -> None:
    prompts = prompts_for_region("jaw")
    assert prompts[0].region_id == "jaw"
    assert prompts[-1].region_id is None
    with pytest.raises(UserInputError):
        prompts_for_region("tail")


def test_a_nul_character_in_a_reflection_is_422_and_nothing_is_saved(client: TestClient) -> None:
    # PostgreSQL cannot store NUL in text (schemathesis found such 500s); refused the same on both databases.
    r = client.post("/api/stress/reflection-notes", json={"prompt_id": "jaw_unsaid", "text": "the\x00meeting"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"loc": ["body", "text"], "msg": "must not contain a NUL character (\\x00)", "type": "value_error"}
    ]
    assert client.get("/api/stress/reflection-notes").json() == []


@pytest.mark.parametrize("query", ["", "?region=jaw", "?region=calf"])
def test_the_reflection_page_is_calm_and_names_no_illness(client: TestClient, query: str) -> None:
    page = client.get(f"/stress/reflect{query}")
    assert page.status_code == 200
    main = page.text.split("<main", 1)[-1].split("</main>", 1)[0]  # the page itself, not the site's footer
    shown = re.sub(r"<[^>]+>", " ", main)  # what a person reads, links' text included
    assert not ILLNESS_WORDS.search(shown), ILLNESS_WORDS.findall(shown)
    assert "A tradition, not medical fact" in shown and "no evidence" in shown and "go gently" in shown
    assert "cancer.gov" not in page.text and "bmj" not in page.text.lower()


def test_the_evidence_behind_the_calm_wording_stays_recorded() -> None:
    data = load_reflection_data()
    recorded = {s["url"] for s in data["background_sources"]}
    assert recorded == {
        "https://www.cancer.gov/about-cancer/causes-prevention/risk/stress-fact-sheet",
        "https://doi.org/10.1136/bmj.f165",
    }
    assert "not shown" in data["background_sources_note"]
    assert [s["url"] for s in data["sources"]] == ["https://www.nhs.uk/conditions/twitching-eyes-and-muscles/"]
