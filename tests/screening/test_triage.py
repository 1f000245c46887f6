"""Triage rules: every rule in the data file is covered by this table, and the highest level wins."""

from __future__ import annotations

import pytest

from unclench.core.errors import UserInputError
from unclench.screening.knowledge import load_red_flags, load_triage
from unclench.screening.triage import evaluate_triage, rules_for_features, validate_features

# (rule id, expected outcome level, a word the reason must contain). One row per rule in triage_rules.json.
RULE_TABLE = [
    ("stroke_signs", "emergency", "stroke"),
    ("meningitis_signs", "emergency", "meningitis"),
    ("cauda_equina", "emergency", "cauda equina"),
    ("rhabdomyolysis", "emergency", "urine"),
    ("lung_clot", "emergency", "lung"),
    ("laryngeal_dystonia", "emergency", "voice box"),
    ("serotonin_syndrome", "emergency", "serotonin"),
    ("severe_low_minerals", "emergency", "calcium"),
    ("dvt", "urgent", "clot"),
    ("long_cramp", "urgent", "10 minutes"),
    ("tetanus_risk", "urgent", "tetanus"),
    ("acute_dystonia", "urgent", "dystonia"),
    ("statin_muscle", "urgent", "statin"),
    ("cramp_weakness_or_fluid_loss", "urgent", "fluid loss"),
    ("tetany", "urgent", "tetany"),
    ("twitch_persistent", "soon", "two weeks"),
    ("after_new_medicine", "soon", "medicine"),
    ("progressive_weakness", "soon", "weakness"),
    ("neuropathy", "soon", "neuropathy"),
    ("leg_pain_walking", "soon", "circulation"),
    ("heavy_drinking", "soon", "drinking"),
    ("dystonia_signs", "soon", "dystonia"),
    ("thyroid_signs", "soon", "thyroid"),
    ("frequent_cramps", "routine", "routine visit"),
    ("pregnancy_cramps", "routine", "trimester"),
    ("brief_cramps", "self_care", "self-care"),
    ("short_twitch", "self_care", "self-care"),
]


def test_table_covers_every_rule_in_the_data_file() -> None:
    assert sorted(r for r, _, _ in RULE_TABLE) == sorted(r.id for r in load_triage().rules)


@pytest.mark.parametrize(("rule_id", "level", "word"), RULE_TABLE)
def test_each_rule_alone_gives_its_level_and_reason(rule_id: str, level: str, word: str) -> None:
    outcome = evaluate_triage([rule_id])
    assert outcome.level.id == level
    assert len(outcome.reasons) == 1
    assert word.lower() in outcome.reasons[0].lower()
    assert outcome.sources, "every outcome shows its sources"
    assert all(s.url.startswith("https://") for s in outcome.sources)


def test_no_answers_means_self_care_with_a_plain_reason() -> None:
    outcome = evaluate_triage([])
    assert outcome.level.id == "self_care"
    assert outcome.reasons == (load_triage().no_flags_reason,)
    assert "caffeine" in outcome.level.action


@pytest.mark.parametrize(
    ("answers", "level", "first_reason_rule"),
    [
        (["brief_cramps", "dvt", "stroke_signs"], "emergency", "stroke_signs"),
        (["frequent_cramps", "neuropathy"], "soon", "neuropathy"),
        (["pregnancy_cramps", "dvt"], "urgent", "dvt"),
        (["short_twitch", "frequent_cramps"], "routine", "frequent_cramps"),
    ],
)
def test_highest_level_wins_and_its_reason_comes_first(answers: list[str], level: str, first_reason_rule: str) -> None:
    outcome = evaluate_triage(answers)
    assert outcome.level.id == level
    assert outcome.matched[0].id == first_reason_rule
    assert outcome.reasons[0] == load_triage().rule(first_reason_rule).reason


def test_self_care_reasons_are_dropped_once_a_warning_sign_applies() -> None:
    outcome = evaluate_triage(["brief_cramps", "neuropathy"])
    assert [r.id for r in outcome.matched] == ["neuropathy"]


def test_all_reasons_of_a_serious_outcome_are_listed() -> None:
    outcome = evaluate_triage(["stroke_signs", "dvt", "neuropathy", "frequent_cramps"])
    assert [r.id for r in outcome.matched] == ["stroke_signs", "dvt", "neuropathy", "frequent_cramps"]
    assert outcome.is_emergency


def test_unknown_rule_ids_are_refused() -> None:
    with pytest.raises(UserInputError) as info:
        evaluate_triage(["stroke_signs", "made_up"])
    assert "made_up" in str(info.value)


def test_duplicates_and_blanks_are_ignored() -> None:
    outcome = evaluate_triage(["dvt", "dvt", " ", ""])
    assert [r.id for r in outcome.matched] == ["dvt"]


def test_every_red_flag_feature_points_at_rules_that_exist() -> None:
    rule_ids = {r.id for r in load_triage().rules}
    for feature in load_red_flags():
        assert feature.rules and set(feature.rules) <= rule_ids
        assert feature.sources


@pytest.mark.parametrize(
    ("feature", "must_include"),
    [
        ("weakness", "stroke_signs"),
        ("numbness", "cauda_equina"),
        ("spreading", "twitch_persistent"),
        ("swallowing_breathing", "laryngeal_dystonia"),
        ("fever_stiff_neck", "meningitis_signs"),
        ("after_injury", "tetanus_risk"),
        ("dark_urine", "rhabdomyolysis"),
        ("swollen_calf", "dvt"),
    ],
)
def test_issue_red_flags_map_to_the_right_questions(feature: str, must_include: str) -> None:
    assert must_include in rules_for_features([feature])


def test_unknown_features_are_refused_with_the_known_list() -> None:
    with pytest.raises(UserInputError) as info:
        validate_features(["weakness", "glowing"])
    assert "glowing" in str(info.value) and "dark_urine" in str(info.value)
