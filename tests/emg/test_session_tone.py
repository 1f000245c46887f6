"""Tone across a session: per-chapter numbers on ground-truth signals and a real recording, and alignment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.emg.listen_fixtures import FS, tone_steps
from unclench.emg import dsp
from unclench.emg.dsp import ChapterSpan, describe_chapter, enough_overlap, overlap_s, tone_by_chapter
from unclench.emg.simulate import electrode_off

DATA = Path(__file__).parent / "data"
THREE = [
    ChapterSpan("Welcome", "opening", 0.0, 60.0),
    ChapterSpan("Letting go", "induction", 60.0, 120.0),
    ChapterSpan("Deepening", "deepener", 120.0, 180.0),
]


def _chapter_tone(signal: np.ndarray, chapters: list[ChapterSpan], offset_s: float) -> dsp.SessionTone:
    result = dsp.analyze(signal, FS)
    return tone_by_chapter(result.env, result.env_fs, result.valid, result.bursts, chapters, offset_s=offset_s)


def test_tone_high_in_chapter_one_dropping_by_chapter_three_with_bursts_counted() -> None:
    # a minute before the session at 6 µV, then the chapters at 6, 4.5 and 3 µV, strong bursts throughout
    truth = tone_steps([6.0, 6.0, 4.5, 3.0], 60.0, seed=11)
    tone = _chapter_tone(truth.signal, THREE, offset_s=60.0)
    assert tone.reference == "before" and tone.reference_uv == pytest.approx(6.0, rel=0.12)
    for chapter, level in zip(tone.chapters, truth.levels_uv[1:], strict=True):
        assert chapter.enough and chapter.tone_uv == pytest.approx(level, rel=0.12)
    changes = [c.change_pct for c in tone.chapters]
    assert changes[0] == pytest.approx(0.0, abs=8.0)
    assert changes[1] == pytest.approx(-25.0, abs=8.0)
    assert changes[2] == pytest.approx(-50.0, abs=8.0)
    assert [c.verdict for c in tone.chapters] == ["same", "let go", "let go"]
    true_counts = [int(((truth.onsets_s >= 60 * (i + 1)) & (truth.onsets_s < 60 * (i + 2))).sum()) for i in range(3)]
    assert [c.bursts for c in tone.chapters] == true_counts and sum(true_counts) >= 6
    assert "lower than at the start: the muscle let go here" in describe_chapter(tone.chapters[2])


def test_a_chapter_that_did_not_let_go_says_so() -> None:
    truth = tone_steps([3.0, 3.0, 6.0], 60.0, seed=4)  # no time before the session: the first chapter is the start
    tone = _chapter_tone(truth.signal, THREE, offset_s=0.0)
    assert tone.reference == "first chapter" and tone.reference_title == "Welcome"
    assert tone.chapters[0].change_pct == 0.0
    assert tone.chapters[2].change_pct == pytest.approx(100.0, abs=20.0)
    assert tone.chapters[2].verdict == "tensed"
    assert "did not let go" in describe_chapter(tone.chapters[2])
    assert "compared with" in describe_chapter(tone.chapters[0], is_reference=True)


def test_too_little_clean_signal_gives_a_note_and_no_number() -> None:
    truth = tone_steps([5.0, 5.0, 5.0], 60.0, seed=2)
    off = electrode_off(truth.signal, FS, 125.0)  # the electrode came off 5 s into the third chapter
    tone = _chapter_tone(off, THREE, offset_s=0.0)
    third = tone.chapters[2]
    assert not third.enough and third.tone_uv is None and third.change_pct is None
    assert third.clean_s < 5.0 and "Too little clean signal" in describe_chapter(third)
    assert tone.chapters[1].enough  # the others keep their numbers
    # a chapter past the recording's end is "not recorded", not zero
    later = _chapter_tone(truth.signal, [*THREE, ChapterSpan("Waking up", "ending", 180.0, 240.0)], offset_s=0.0)
    assert later.chapters[3].covered_s == 0 and later.chapters[3].note.startswith("Not recorded")


def test_offset_moves_chapters_onto_the_recording() -> None:
    truth = tone_steps([8.0, 4.0], 60.0, seed=5)
    one = [ChapterSpan("Only", "induction", 0.0, 50.0)]
    # the session began 62 s into the recording: its one chapter lies in the 4 µV part
    assert _chapter_tone(truth.signal, one, offset_s=62.0).chapters[0].tone_uv == pytest.approx(4.0, rel=0.12)
    # the recording began 10 s into the session: it covers 40 s of the chapter, in the 8 µV part
    late = _chapter_tone(truth.signal, one, offset_s=-10.0).chapters[0]
    assert late.covered_s == pytest.approx(40.0, abs=0.1) and late.tone_uv == pytest.approx(8.0, rel=0.12)


def test_overlap_rules() -> None:
    assert overlap_s(0.0, 300.0, 600.0) == 300.0
    assert overlap_s(-100.0, 300.0, 600.0) == 300.0  # recording started 100 s into the session
    assert overlap_s(-590.0, 300.0, 600.0) == 10.0
    assert overlap_s(400.0, 300.0, 600.0) == 0.0  # the session began after the recording ended
    assert not enough_overlap(-590.0, 300.0, 600.0)
    assert enough_overlap(-500.0, 300.0, 600.0)
    assert enough_overlap(0.0, 300.0, 20.0)  # a short session wholly covered


def test_real_recording_bursts_per_chapter_match_a_careful_reading() -> None:
    """The nine contractions of the real biceps recording (PLUX, MIT) fall into three 'chapters' as read by eye."""
    x = pd.read_csv(DATA / "emg_bursts.csv")["emg_mV"].to_numpy() * 1000.0
    chapters = [
        ChapterSpan("A", "opening", 0.0, 10.0),
        ChapterSpan("B", "induction", 10.0, 20.0),
        ChapterSpan("C", "ending", 20.0, 28.5),
    ]
    tone = _chapter_tone(x, chapters, offset_s=0.0)
    # onsets read by eye: 0.85, 4.44, 7.60 | 11.60, 14.08, 17.36 | 20.34, 23.32, 26.25
    assert [c.bursts for c in tone.chapters] == [3, 3, 3]
    whole = dsp.analyze(x, FS)
    weakest = min(b.peak_uv for b in whole.bursts)
    for chapter in tone.chapters:  # rest between contractions: near the recording's resting tone, far below them
        assert chapter.enough and chapter.tone_uv is not None
        assert whole.resting_tone_uv / 2 < chapter.tone_uv < 2 * whole.resting_tone_uv < weakest / 5
    assert tone.timeline_s[:2] == [0.0, 5.0] and len(tone.timeline_s) == 6
    assert all(v is None or 0 < v < weakest / 5 for v in tone.timeline_uv)


def test_round_trip_through_a_stored_summary() -> None:
    truth = tone_steps([6.0, 3.0], 60.0, seed=8)
    tone = _chapter_tone(truth.signal, THREE[:2], offset_s=0.0)
    assert dsp.SessionTone.from_dict(tone.to_dict()) == tone
