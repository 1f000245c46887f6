"""PSS-10 and PHQ-4 scored as published; incomplete answers cannot be scored and say what is missing."""

from __future__ import annotations

import pytest

from unclench.core.errors import UserInputError
from unclench.stress.questionnaires import load_instrument, score, score_phq4, score_pss10


def test_pss10_reverses_items_4_5_7_8() -> None:
    # All "never" (0): the four positive items count 4 each.
    assert score_pss10([0] * 10).total == 16
    # All "very often" (4): the six negative items count 4 each.
    assert score_pss10([4] * 10).total == 24
    # Lowest possible stress: never on negatives, very often on positives.
    assert score_pss10([0, 0, 0, 4, 4, 0, 4, 4, 0, 0]).total == 0
    assert score_pss10([4, 4, 4, 0, 0, 4, 0, 0, 4, 4]).total == 40


def test_pss10_worked_example_and_context() -> None:
    answers = [3, 2, 3, 1, 2, 3, 2, 1, 2, 3]
    # Negatives 3+2+3+3+2+3 = 16; positives reversed 3+2+2+3 = 10.
    result = score_pss10(answers)
    assert result.total == 26
    assert result.maximum == 40
    assert result.band == "moderate"
    assert "commonly used band, not from the scale's authors" in result.band_label
    assert "average was 13" in result.message


@pytest.mark.parametrize(
    ("total_answers", "band"), [([0, 0, 0, 4, 4, 0, 4, 4, 0, 1], "low"), ([4] * 6 + [0] * 4, "moderate")]
)
def test_pss10_commonly_used_bands(total_answers: list[int], band: str) -> None:
    assert score_pss10(total_answers).band == band


def test_pss10_data_file_keeps_terms_norms_and_source() -> None:
    data = load_instrument("pss10")
    assert "non-commercial" in data["terms"]
    assert data["reverse_items"] == [4, 5, 7, 8]
    assert data["source"]["url"].startswith("https://www.cmu.edu/")
    assert "not clinical cut-offs" in data["norms"]["note"]
    assert "not from the scale's authors" in data["common_bands"]["label"]


def test_incomplete_pss10_says_which_items_are_missing() -> None:
    with pytest.raises(UserInputError) as info:
        score_pss10([1, 2, None, 3, "", 1, 1])
    text = str(info.value)
    assert "cannot be scored" in text
    assert "missing items 3, 5, 8, 9, 10" in text


def test_mapping_answers_and_bad_values() -> None:
    assert score_pss10({n: 2 for n in range(1, 11)}).total == 20
    with pytest.raises(UserInputError) as info:
        score_pss10({**{n: 2 for n in range(1, 10)}, 10: 5})
    assert "item 10" in str(info.value)
    with pytest.raises(UserInputError):
        score_pss10({n: 2 for n in range(1, 12)})
    with pytest.raises(UserInputError):
        score_pss10([2] * 11)
    with pytest.raises(UserInputError):
        score_pss10(["two"] + [2] * 9)


@pytest.mark.parametrize(
    ("answers", "total", "band", "anxiety", "low_mood"),
    [
        ([0, 0, 0, 0], 0, "none", False, False),
        ([1, 1, 0, 0], 2, "none", False, False),
        ([2, 1, 0, 0], 3, "mild", True, False),
        ([1, 1, 1, 2], 5, "mild", False, True),
        ([1, 1, 2, 2], 6, "moderate", False, True),
        ([2, 2, 2, 2], 8, "moderate", True, True),
        ([3, 3, 3, 0], 9, "severe", True, True),
        ([3, 3, 3, 3], 12, "severe", True, True),
    ],
)
def test_phq4_bands_and_subscales(answers: list[int], total: int, band: str, anxiety: bool, low_mood: bool) -> None:
    result = score_phq4(answers)
    assert (result.total, result.band) == (total, band)
    assert result.positive == {"anxiety": anxiety, "low_mood": low_mood}
    if anxiety or low_mood:
        assert "talk to a doctor" in result.message
    else:
        assert "do not point" in result.message


def test_phq4_missing_and_out_of_range() -> None:
    with pytest.raises(UserInputError) as info:
        score_phq4([1, None, 2])
    assert "missing items 2, 4" in str(info.value)
    with pytest.raises(UserInputError) as info:
        score_phq4([4, 0, 0, 0])
    assert "from 0 to 3" in str(info.value)


def test_phq4_terms_and_unknown_instrument() -> None:
    assert "No permission is required" in load_instrument("phq4")["terms"]
    with pytest.raises(UserInputError):
        score("dass21", [0] * 21)
