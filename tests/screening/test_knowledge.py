"""The knowledge base data files: every item carries a source with a real link; nothing diagnoses."""

from __future__ import annotations

from unclench.screening.knowledge import (
    load_medications,
    load_physical_causes,
    load_red_flags,
    load_sources,
    load_triage,
)


def test_all_sources_have_https_links_and_titles() -> None:
    for source in load_sources().values():
        assert source.title.strip()
        assert source.url.startswith("https://")


def test_levels_cover_the_issue_outcomes_in_order() -> None:
    levels = sorted(load_triage().levels, key=lambda lv: -lv.rank)
    assert [lv.id for lv in levels] == ["emergency", "urgent", "soon", "routine", "self_care"]
    assert "emergency services" in levels[0].action


def test_physical_causes_checklist_covers_the_issue_topics() -> None:
    ids = {item.id for item in load_physical_causes().items}
    assert {"fluids_minerals", "thyroid", "kidneys_liver", "diabetes", "pregnancy", "neurological"} <= ids
    for item in load_physical_causes().items:
        assert item.ask.endswith("?") or "?" in item.ask
        assert item.sources


def test_medication_entries_are_sourced_and_not_established_ones_are_marked() -> None:
    book = load_medications()
    assert "Do not stop" in book.advice
    by_id = {e.id: e for e in book.entries}
    assert by_id["ace_inhibitors"].evidence == "reported only"
    assert by_id["diuretics"].evidence == "mixed"
    assert "reported only" in by_id["serotonergic"].evidence_note
    for entry in book.entries:
        assert entry.sources and entry.generics


def test_red_flags_cover_the_issue_list() -> None:
    ids = {f.id for f in load_red_flags()}
    assert {
        "weakness",
        "numbness",
        "spreading",
        "swallowing_breathing",
        "fever_stiff_neck",
        "after_injury",
        "dark_urine",
        "swollen_calf",
    } <= ids
