"""Medication matching: brand names, case, doses and misspellings; unknown names get suggestions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from unclench.core.errors import UserInputError
from unclench.screening.meds import match_medication, normalise_name


@pytest.mark.parametrize(
    ("typed", "entry_id", "exact"),
    [
        ("atorvastatin", "statins", True),
        ("Atorvastatin 20mg tablets", "statins", True),
        ("LIPITOR", "statins", True),
        ("atorvastin", "statins", False),
        ("Ventolin Evohaler", "beta2_agonists", True),
        ("ventolen", "beta2_agonists", False),
        ("sertaline 50 mg", "serotonergic", False),
        ("Metoclopromide", "antiemetic_dopamine", False),
        ("amlodipin", "calcium_channel_blockers", False),
        ("Sudafed", "stimulants", True),
        ("water tablets", "diuretics", True),
        ("the pill", "oestrogens", True),
        ("lisinoprill", "ace_inhibitors", False),
        ("iron sucrose", "iron_sucrose", True),
        ("Oxis", "beta2_agonists", True),
    ],
)
def test_known_names_match(typed: str, entry_id: str, exact: bool) -> None:
    result = match_medication(typed)
    assert result.found
    assert result.entry is not None and result.entry.id == entry_id
    assert result.exact is exact
    assert result.entry.effect in result.message


def test_a_typo_is_shown_with_what_we_read_it_as() -> None:
    result = match_medication("atorvastin")
    assert "we read 'atorvastin' as atorvastatin" in result.message


@pytest.mark.parametrize("typed", ["xyzzy", "Oxys-like-nothing", "iron", "blorptazine"])
def test_a_word_we_do_not_recognise_says_so(typed: str) -> None:
    result = match_medication(typed)
    assert not result.found and not result.recognised and result.matched_name is None
    assert result.message.startswith(f"We don't recognise '{typed}' as a medicine name — check the spelling.")


@pytest.mark.parametrize(
    "typed",
    ["ibuprofen", "omeprazole", "gabapentin", "levothyroxine", "metformin", "cyclobenzaprine", "Ibuprofen 400mg"],
)
def test_correctly_spelled_medicines_without_a_muscle_effect_are_recognised(typed: str) -> None:
    result = match_medication(typed)
    assert result.recognised and result.exact and not result.found
    assert result.matched_name == normalise_name(typed)
    assert (
        result.message
        == f"{result.matched_name}: a medicine we know; our sources list no muscle cramps or spasms for it."
    )
    assert "safe" not in result.message and "spelling" not in result.message
    assert result.name_source is not None and result.name_source.url.startswith("https://")


def test_the_general_list_records_its_sources_and_names_stand_for_listed_medicines() -> None:
    from unclench.screening.knowledge import load_medicine_names

    names = load_medicine_names()
    sources = {n.source.id for n in names.names}
    assert sources == {"who_eml_2023", "medlineplus_druginfo"}
    assert len(names.names) >= 300
    assert match_medication("acetaminophen").matched_name == "paracetamol"
    assert match_medication("ferrous sulphate 200mg").matched_name == "ferrous salt"


@pytest.mark.parametrize(
    ("typed", "canonical", "found"),
    [("atorvastatn", "atorvastatin", True), ("ibuprofin", "ibuprofen", False), ("gabapentine", "gabapentin", False)],
)
def test_a_typo_is_read_as_the_medicine_it_stands_for(typed: str, canonical: str, found: bool) -> None:
    result = match_medication(typed)
    assert result.recognised and not result.exact and result.found is found
    assert result.matched_name == canonical and result.typed == typed
    assert f"we read '{typed}' as {canonical}" in result.message


def test_near_misses_below_the_acceptance_line_are_suggested() -> None:
    result = match_medication("metoprolamide")  # not a drug; close to metoclopramide
    if result.found:
        assert result.entry is not None and result.entry.id == "antiemetic_dopamine"
    else:
        assert "metoclopramide" in result.suggestions
    weak = match_medication("prednis")
    assert not weak.found
    assert {"prednisone", "prednisolone"} & set(weak.suggestions)
    assert "Did you mean" in weak.message


def test_short_names_are_never_guessed() -> None:
    assert not match_medication("Oxi").found


@pytest.mark.parametrize("typed", ["", "   ", "20 mg", "x" * 121])
def test_empty_or_dose_only_input_is_refused(typed: str) -> None:
    with pytest.raises(UserInputError):
        match_medication(typed)


def test_normalise_strips_doses_and_forms() -> None:
    assert normalise_name("Salbutamol 100 mcg inhaler, 2 puffs as needed") == "salbutamol"
    assert normalise_name("Co-codamol") == "co codamol"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/safety/medications", {"name": "my\x00pill", "keep_unknown": True}, "name"),
        ("/api/safety/medications", {"name": "my pill", "note": "\x00", "keep_unknown": True}, "note"),
        ("/api/safety/all-clear", {"checked_on": "2026-06-01", "note": "bloods\x00normal"}, "note"),
    ],
)
def test_a_nul_character_in_a_name_or_note_is_422(
    client: TestClient, url: str, body: dict[str, object], field: str
) -> None:
    # PostgreSQL cannot store NUL in text (schemathesis found such 500s); refused the same on both databases.
    r = client.post(url, json=body)
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"loc": ["body", field], "msg": "must not contain a NUL character (\\x00)", "type": "value_error"}
    ]
    assert client.get("/api/safety/medications").json()["list"] == []
    assert client.get("/api/safety/all-clear").json() is None
