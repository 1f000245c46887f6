"""Script composer: deterministic for a seed, fits the requested length, clear errors."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from unclench.core.errors import UserInputError
from unclench.sessions.composer import Pause, Speech, compose, estimate_speech_seconds, estimated_timeline, fit_timeline
from unclench.sessions.options import SessionOptions, TargetRegion, validate_options

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


FOUR_REGIONS = (TargetRegion("jaw", "both"), TargetRegion("calf", "left"), NECK, TargetRegion("forehead", "centre"))


def _form_combinations(technique: str) -> list[SessionOptions]:
    """Every PMR setting, region count (none, the most), pace, ending and cramp note the form offers."""
    pmr = itertools.product((16, 7, 4), ("tense_release", "release_only"), (False, True))
    return [
        options(
            technique=technique,
            pmr_groups=groups,
            pmr_style=style,
            cramp_prone=cramps,
            regions=regions,
            pace=pace,
            ending=ending,
            name="Maximiliane",
        )
        for groups, style, cramps in (pmr if technique == "pmr" else [(7, "tense_release", False)])
        for regions in ((), FOUR_REGIONS)
        for pace in ("slow", "calm", "natural")
        for ending in ("wake", "sleep")
    ]


@pytest.mark.parametrize("technique", ["pmr", "breathing", "body_scan", "autogenic", "hypnotic"])
@pytest.mark.parametrize("minutes", [3, 5, 10, 20, 45])
def test_every_technique_fits_every_length_the_form_offers(technique: str, minutes: int) -> None:
    for asked in _form_combinations(technique):
        script = compose(dataclasses.replace(asked, minutes=minutes))  # never refused
        planned = estimated_timeline(script)
        assert abs(planned.duration - minutes * 60) <= max(0.15 * minutes * 60, 60), asked
        # the content fits without squeezing any pause below its own minimum
        scale = script.options.length_scale
        speech = sum(estimate_speech_seconds(t.text, scale) for t in script.items if isinstance(t, Speech))
        assert speech + sum(p.min_s for p in script.items if isinstance(p, Pause)) <= minutes * 60, asked
        pauses = [s for s in planned.segments if s.kind == "pause"]
        lengths = [s.end - s.start for s in pauses]
        minimums = [p.min_s for p in script.items if isinstance(p, Pause)]
        assert all(length >= minimum - 1e-6 for length, minimum in zip(lengths, minimums, strict=True)), asked
        # the options used (stored with the session) give the same script again
        assert compose(script.options).items == script.items, asked


def test_a_short_session_uses_fewer_groups_and_says_so() -> None:
    from unclench.sessions.composer import describe_short_session, fit_to_length

    asked = options(minutes=5, pmr_groups=16, regions=FOUR_REGIONS, pace="slow")
    fit = fit_to_length(asked)
    assert (fit.options.pmr_groups, fit.options.pmr_style, fit.compact) == (4, "release_only", True)
    script = compose(asked)
    assert script.options == fit.options
    text = script.spoken_text().lower()
    assert "hold it" not in text and "hold the tension" not in text  # release only: nothing asks to tense
    assert describe_short_session(asked) == (
        "At 5 minutes, progressive muscle relaxation uses 4 muscle groups instead of 16, releases each group "
        "without tensing it, keeps each hold and rest shorter and counts down from three."
    )
    assert describe_short_session(options(minutes=20)) == ""  # nothing changes when the content fits
    assert fit_to_length(options(minutes=20)).options == validate_options(options(minutes=20))


def test_checked_options_are_checked_once_and_stay_checked() -> None:
    from unclench.sessions.options import CheckedOptions

    checked = validate_options(options(name="  Anna   Lena ", minutes=10))
    assert isinstance(checked, CheckedOptions) and checked.name == "Anna Lena" and isinstance(checked.minutes, float)
    assert validate_options(checked) is checked  # passed on, not checked again
    with pytest.raises(UserInputError) as caught:
        dataclasses.replace(checked, minutes=600)  # a changed copy is checked again
    assert caught.value.problems[0].field == "minutes"


def test_saving_and_rendering_the_same_options_compose_the_script_once() -> None:
    from unclench.sessions.composer import _compose

    checked = validate_options(options(seed=123456))
    before = _compose.cache_info()
    first, second = compose(checked), compose(options(seed=123456))
    after = _compose.cache_info()
    assert first is second and (after.misses - before.misses, after.hits - before.hits) == (1, 1)


def test_a_three_minute_session_is_brief_and_names_fewer_places_but_keeps_them() -> None:
    from unclench.sessions.composer import describe_short_session, fit_to_length

    asked = options(minutes=3, technique="breathing", regions=FOUR_REGIONS, pace="slow")
    fit = fit_to_length(asked)
    assert (fit.compact, fit.brief, fit.places) == (True, True, 1)
    assert fit.options.regions == validate_options(asked).regions  # the person's choice is kept, only fewer named
    script = compose(asked)
    assert script.chapters == ("Welcome", "Slow breathing", "Your body", "Waking up")
    text = script.spoken_text()
    assert "jaw" in text and "calf" not in text and "machinery" in text
    assert describe_short_session(asked) == (
        "At 3 minutes, slow breathing keeps its rests shorter, leaves out the deepening and the closing suggestions "
        "and names only the first of your chosen places."
    )
    assert compose(fit.options).items == script.items  # the stored options compose to the same script
