"""Script composer: deterministic for a seed, fits the requested length, clear errors."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from unclench.core.errors import UserInputError
from unclench.sessions.composer import Pause, Speech, compose, estimate_speech_seconds, estimated_timeline, fit_timeline
from unclench.sessions.options import SessionOptions, TargetRegion

NECK = TargetRegion("suboccipitals", "both")
CALF = TargetRegion("calf", "left")


def options(**changes: object) -> SessionOptions:
    base = SessionOptions(minutes=10, technique="pmr", pmr_groups=7, regions=(NECK, CALF), seed=7)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_same_seed_same_script_and_other_seed_other_wording() -> None:
    assert compose(options()) == compose(options())
    texts = {compose(options(seed=s)).spoken_text() for s in range(6)}
    assert len(texts) > 1


@pytest.mark.parametrize("technique", ["pmr", "breathing", "body_scan", "autogenic", "hypnotic"])
@pytest.mark.parametrize("minutes", [10, 20, 45])
def test_timeline_has_requested_length_and_all_chapters(technique: str, minutes: int) -> None:
    script = compose(options(technique=technique, minutes=minutes))
    timeline = estimated_timeline(script)
    assert timeline.duration == pytest.approx(minutes * 60, rel=0.03)
    titles = [c.title for c in timeline.chapters]
    assert titles[0] == "Welcome" and titles[-1] == "Waking up"
    assert "Your body" in titles and "Deepening" in titles
    # content, not silence, fills the session: real speech, and no silence longer than 3 minutes
    speech = sum(s.end - s.start for s in timeline.speech())
    assert speech > 0.15 * timeline.duration
    assert max(s.end - s.start for s in timeline.segments if s.kind == "pause") < 180
    # chapters are in order and do not overlap
    for first, second in zip(timeline.chapters, timeline.chapters[1:], strict=False):
        assert first.end == pytest.approx(second.start)


def test_five_minute_session_fits_with_real_durations_off_by_ten_percent() -> None:
    script = compose(options(technique="hypnotic", minutes=5, regions=(NECK,)))
    scale = script.options.length_scale
    real = {t: estimate_speech_seconds(t, scale) * 1.1 for t in script.texts()}
    timeline = fit_timeline(script, real)
    assert timeline.duration == pytest.approx(300.0, rel=0.03)


def test_opening_has_safety_note_and_name_is_spoken() -> None:
    script = compose(options(name="Anna"))
    text = script.spoken_text()
    assert (
        "never while driving or operating machinery" in text
        or "never while you drive" in text
        or "never listen while driving" in text
    )
    assert "Anna" in text
    assert "Anna" not in compose(options()).spoken_text()


def test_target_regions_are_named_in_plain_words() -> None:
    text = compose(options()).spoken_text()
    assert "the muscles at the back of your neck, just under your skull" in text
    assert "your calves, on the left side" in text


def test_pmr_timing_tense_and_release() -> None:
    script = compose(options(pmr_groups=16, minutes=25, regions=()))
    timeline = estimated_timeline(script)
    segs = list(timeline.segments)
    cues = ("Hold it.", "Hold.", "hold the tension.")
    holds = [nxt for cur, nxt in itertools.pairwise(segs) if cur.kind == "speech" and cur.text.endswith(cues)]
    assert len(holds) >= 16
    for hold in holds:
        assert 5.0 <= hold.end - hold.start <= 7.0
    releases = [p for p in script.items if isinstance(p, Pause) and p.min_s == 20.0]
    assert len(releases) == 16


def test_cramp_prone_tenses_gently_and_toes_go_up_never_down() -> None:
    text = compose(options(pmr_groups=16, minutes=25, cramp_prone=True)).spoken_text()
    assert "half" in text
    assert "curl your toes down" not in text
    assert "upward, towards you, never down" in text


def test_release_only_variant_never_asks_to_tense() -> None:
    script = compose(options(pmr_style="release_only"))
    text = script.spoken_text().lower()
    assert "hold it" not in text and "hold the tension" not in text
    assert "without tensing" in text or "no tensing" in text or "not tense anything" in text


def test_sleep_ending_has_no_wake_up() -> None:
    script = compose(options(ending="sleep"))
    text = script.spoken_text()
    assert "Eyes open" not in text and "Open your eyes" not in text
    assert script.chapters[-1] == "Drifting to sleep"
    assert isinstance(script.items[-1], Pause)
    assert isinstance(script.items[-2], Pause | Speech)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 600}, "minutes"),
        ({"regions": (TargetRegion("elbow_pit"),)}, "regions"),
        ({"voice": "alice"}, "voice"),
        ({"technique": "reiki"}, "technique"),
        ({"pmr_groups": 5}, "pmr_groups"),
        ({"background": "whale"}, "background"),
        ({"name": "R2-D2 <script>"}, "name"),
        ({"regions": (TargetRegion("throat", "left"),)}, "regions"),
    ],
)
def test_bad_options_get_a_clear_error(changes: dict[str, object], field: str) -> None:
    with pytest.raises(UserInputError) as caught:
        compose(options(**changes))
    assert caught.value.problems[0].field == field
    assert str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(UserInputError) as caught:
        compose(options(minutes=0, voice="alice", technique="reiki"))
    assert {p.field for p in caught.value.problems} == {"minutes", "voice", "technique"}


def test_too_much_content_for_the_length_says_how_long_it_needs() -> None:
    with pytest.raises(UserInputError, match="needs at least"):
        compose(options(minutes=5, pmr_groups=16))


def test_checked_options_are_checked_once_and_stay_checked() -> None:
    from unclench.sessions.options import CheckedOptions, validate_options

    checked = validate_options(options(name="  Anna   Lena ", minutes=10))
    assert isinstance(checked, CheckedOptions) and checked.name == "Anna Lena" and isinstance(checked.minutes, float)
    assert validate_options(checked) is checked  # passed on, not checked again
    with pytest.raises(UserInputError) as caught:
        dataclasses.replace(checked, minutes=600)  # a changed copy is checked again
    assert caught.value.problems[0].field == "minutes"


def test_saving_and_rendering_the_same_options_compose_the_script_once() -> None:
    from unclench.sessions.composer import _compose
    from unclench.sessions.options import validate_options

    checked = validate_options(options(seed=123456))
    before = _compose.cache_info()
    first, second = compose(checked), compose(options(seed=123456))
    after = _compose.cache_info()
    assert first is second and (after.misses - before.misses, after.hits - before.hits) == (1, 1)
