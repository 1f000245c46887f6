"""Adaptive sessions: decision points per technique, the rendered clips and decision graph, joins without clicks."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from fastapi.testclient import TestClient

from unclench.body.taxonomy import get_region
from unclench.core.errors import UserInputError
from unclench.sessions import adaptive, audio, wordings
from unclench.sessions.composer import (
    BODY_SCAN_REGIONS,
    Pause,
    Speech,
    _pmr_groups,
    _pmr_regions,
    compose,
)
from unclench.sessions.options import PMR_GROUPS, CuePreference, SessionOptions, TargetRegion, validate_options
from unclench.sessions.render import RenderResult, render_session, settings_key

PMR = SessionOptions(minutes=20, technique="pmr", pmr_groups=7, adaptive=True)


def _before(script: Any, index: int, kind: type) -> Any:
    """The nearest item of ``kind`` before ``script.items[index]``."""
    return next(item for item in reversed(script.items[:index]) if isinstance(item, kind))


# --- Composer: where the points go ------------------------------------------------------------------------------


def test_pmr_has_a_point_after_each_release() -> None:
    script = compose(PMR)
    groups = _pmr_groups(script.options)
    first_pass = script.points[: len(groups)]
    assert len(first_pass) == len(groups) == 7
    for point, (target, _action) in zip(first_pass, groups, strict=True):
        # Right after the release's rest, before the next group's tensing (or the second pass) begins.
        assert isinstance(script.items[point.index - 1], Pause) and script.items[point.index - 1].seconds >= 20
        release = [s.text for s in script.items[: point.index] if isinstance(s, Speech) and target in s.text]
        assert release and any(release[-1] == cue.format(target=target) for cue in wordings.PMR_RELEASE_CUE)
        assert isinstance(script.items[point.index], Speech) and point.spoken == target
        assert all(target in cue for cue in point.cues) and point.cues[0] != point.cues[1]
    indices = [p.index for p in script.points]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)
    assert [p.id for p in script.points] == [f"p{n}" for n in range(1, len(script.points) + 1)]


@pytest.mark.parametrize("groups", PMR_GROUPS)
def test_every_pmr_group_names_known_regions_on_its_side(groups: int) -> None:
    options = replace(PMR, pmr_groups=groups, dominant_side="left")
    regions = _pmr_regions(options)
    assert len(regions) == len(_pmr_groups(options))
    for (ids, side), (target, _action) in zip(regions, _pmr_groups(options), strict=True):
        assert all(get_region(r).id == r for r in ids)
        for word in ("left", "right"):
            if f"your {word} " in target:
                assert side == word


def test_release_only_pmr_has_its_points_after_each_passive_release() -> None:
    script = compose(replace(PMR, minutes=3))  # 3 minutes: release only, 4 groups
    assert script.options.pmr_style == "release_only"
    assert len(script.points) >= 4
    for point in script.points[:4]:
        passive = _before(script, point.index, Speech)
        assert point.spoken in passive.text


def test_body_scan_checks_the_chosen_place_only() -> None:
    options = SessionOptions(minutes=10, technique="body_scan", regions=(TargetRegion("jaw", "left"),), adaptive=True)
    script = compose(options)
    scan = [p for p in script.points if p.chapter == "Body scan"]
    assert len(scan) == 1
    point = scan[0]
    assert (point.region, point.side) == ("jaw", "left") and point.spoken == get_region("jaw").spoken
    place_cue = [s.text for s in script.items[: point.index] if isinstance(s, Speech) and "your jaw" in s.text]
    assert place_cue, "the point comes after the scan has reached the jaw"
    assert not any("your neck and throat" in s.text for s in script.items[: point.index] if isinstance(s, Speech))


def test_body_scan_without_chosen_places_checks_every_place_it_visits() -> None:
    assert len(BODY_SCAN_REGIONS) == len(wordings.BODY_SCAN_PARTS)
    script = compose(SessionOptions(minutes=10, technique="body_scan", adaptive=True))
    scan = [p for p in script.points if p.chapter == "Body scan"]
    assert [p.region for p in scan] == [regions[0] for regions in BODY_SCAN_REGIONS]


def test_hypnotic_checks_in_the_deepener() -> None:
    script = compose(SessionOptions(minutes=10, technique="hypnotic", adaptive=True, dominant_side="left"))
    assert [p.chapter for p in script.points] == ["Deepening", "Deepening"]
    counts = [_before(script, p.index, Speech).text.split(".")[0] for p in script.points]
    assert counts == ["Five", "One"]
    assert all((p.region, p.side) == ("forearm", "left") for p in script.points)
    brief = compose(
        SessionOptions(minutes=3, technique="hypnotic", adaptive=True, regions=(TargetRegion("calf", "right"),))
    )
    assert len(brief.points) == 1 and brief.points[0].region == "calf"


@pytest.mark.parametrize("technique", ["breathing", "autogenic"])
def test_adaptive_is_refused_where_there_is_no_point_to_decide(technique: str) -> None:
    with pytest.raises(UserInputError) as caught:
        compose(SessionOptions(technique=technique, adaptive=True))
    assert [p.field for p in caught.value.problems] == ["adaptive"]
    assert "made for progressive muscle relaxation, body scan or hypnotic relaxation" in str(caught.value)


@pytest.mark.parametrize("technique", ["pmr", "body_scan", "hypnotic"])
def test_adaptive_adds_points_and_cues_but_keeps_every_other_word(technique: str) -> None:
    plain = SessionOptions(minutes=10, technique=technique, regions=(TargetRegion("shoulder", "both"),))
    made = compose(replace(plain, adaptive=True))
    assert made.items == compose(plain).items and compose(plain).points == ()
    assert made.points and made.alternative_texts()
    assert settings_key(plain) != settings_key(replace(plain, adaptive=True))


def test_a_plain_sessions_key_is_the_one_it_had_before_adaptive_sessions() -> None:
    import hashlib

    from unclench.sessions.render import RENDER_VERSION
    from unclench.sessions.voice import voice_info

    options = compose(SessionOptions(minutes=5, technique="breathing")).options
    described = {k: v for k, v in options.to_dict().items() if k not in ("adaptive", "cue_preferences")}
    material = {"render": RENDER_VERSION, "voice": voice_info("joe").fingerprint, "options": described}
    assert settings_key(options) == hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def test_cue_wording_is_gentle_and_makes_no_claims() -> None:
    script = compose(replace(PMR, pmr_groups=16))
    words = " ".join(script.alternative_texts()).lower()
    for banned in ("must", "should", "cure", "heal", "treat", "symptom", "spasm", "wrong", "fail", "try harder"):
        assert not re.search(rf"\b{banned}\b", words), banned
    for cue in wordings.ADAPTIVE_RELEASE_CUE:
        assert cue.count("{target}") == 1


# --- The person's cue preferences (their decisions, ranked by `sessions.decisions.cue_preferences`) --------------


def _arm_point(options: SessionOptions) -> Any:
    return next(p for p in compose(options).points if p.region == "forearm")


def test_without_preferences_each_point_offers_its_seeded_pair_as_before() -> None:
    """The cues are the two wordings the point's own seeded stream picks, as before preferences existed."""
    import random

    script = compose(PMR)
    for point in script.points:
        assert point.cues == tuple(
            wordings.ADAPTIVE_RELEASE_CUES[k].format(target=point.spoken) for k in point.cue_keys
        )
    point = _arm_point(PMR)
    # Before cue keys existed the composer sampled the list of wordings itself; the same stream gives the same pair.
    picked = random.Random(f"unclench-session:{PMR.seed}:point:pmr:0").sample(wordings.ADAPTIVE_RELEASE_CUE, 2)
    assert point.cues == tuple(text.format(target=point.spoken) for text in picked)
    assert compose(replace(PMR, cue_preferences=())) == script


def test_a_preferred_cue_is_offered_first_and_an_unhelpful_one_left_out() -> None:
    seeded = _arm_point(PMR).cue_keys
    others = [k for k in wordings.ADAPTIVE_RELEASE_CUES if k not in seeded]
    best = others[0]
    liked = replace(PMR, cue_preferences=(CuePreference("hand", prefer=(best,), avoid=(seeded[0],)),))
    point = _arm_point(liked)
    assert point.cue_keys == (best, seeded[1])  # the best first; the seeded cue that did not help is left out
    assert point.cues[0] == wordings.ADAPTIVE_RELEASE_CUES[best].format(target=point.spoken)
    plain_points = compose(PMR).points
    for before, after in zip(plain_points, compose(liked).points, strict=True):
        if "hand" not in after.regions:  # other regions' points keep their cues
            assert after.cues == before.cues
    assert compose(liked).items == compose(PMR).items
    assert settings_key(liked) != settings_key(PMR)
    all_avoided = replace(PMR, cue_preferences=(CuePreference("forearm", avoid=tuple(wordings.ADAPTIVE_RELEASE_CUES)),))
    assert len(set(_arm_point(all_avoided).cue_keys)) == 2  # no alternative left: still two cues, the avoided last


def test_cue_preferences_are_checked_in_words_and_kept_in_the_stored_settings() -> None:
    bad = replace(
        PMR,
        cue_preferences=(
            CuePreference("elbowish", prefer=("no-hurry",)),
            CuePreference("jaw", prefer=("shout",)),
            CuePreference("calf", prefer=("no-hurry",), avoid=("no-hurry",)),
        ),
    )
    with pytest.raises(UserInputError) as caught:
        validate_options(bad)
    messages = " ".join(p.message for p in caught.value.problems)
    assert "'shout' is not a known release cue. Known cues: still-holding, some-tightness" in messages
    assert "not a known body region" in messages and "preferred or avoided once for calf" in messages
    assert {p.field for p in caught.value.problems} == {"cue_preferences"}
    twice = replace(PMR, cue_preferences=(CuePreference("jaw"), CuePreference("jaw")))
    with pytest.raises(UserInputError, match="name jaw twice"):
        validate_options(twice)
    with pytest.raises(UserInputError, match="list of regions"):
        validate_options(replace(PMR, cue_preferences=("jaw",)))  # type: ignore[arg-type]
    liked = validate_options(replace(PMR, cue_preferences=(CuePreference("hand", prefer=("no-hurry",)),)))
    assert SessionOptions.from_dict(liked.to_dict()) == SessionOptions(
        **liked.to_dict()
        | {
            "regions": (),
            "cue_preferences": (CuePreference("hand", ("no-hurry",)),),
        }
    )
    assert validate_options(SessionOptions.from_dict(liked.to_dict())) == liked
    # A plain session has no cues: preferences are dropped, and its settings hash stays the plain one.
    plain = validate_options(replace(liked, adaptive=False))
    assert plain.cue_preferences == () and settings_key(plain) == settings_key(replace(PMR, adaptive=False))


# --- Render: clips, graph and joins (the real voice, the shortest settings) -------------------------------------

SHORT = SessionOptions(minutes=3, technique="pmr", pace="natural", background="pink", adaptive=True, seed=3)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, shared_phrase_cache: Path) -> RenderResult:
    return render_session(SHORT, tmp_path_factory.mktemp("audio"), cache_dir=shared_phrase_cache, formats=("wav",))


@pytest.fixture(scope="module")
def graph(rendered: RenderResult) -> dict[str, Any]:
    loaded = adaptive.load_graph(rendered.folder)
    assert loaded is not None
    return loaded


def _clip(rendered: RenderResult, graph: dict[str, Any], clip_id: str) -> np.ndarray:
    data, rate = soundfile.read(
        str(rendered.folder / adaptive.FOLDER / graph["clips"][clip_id]["file"]), dtype="float32"
    )
    assert rate == graph["sample_rate"]
    return data


def _paths_at(point: dict[str, Any], cap: int) -> list[list[str]]:
    """Every way the player can pass a point: move on, or up to ``cap`` cues, then perhaps the longer silence."""
    paths = [[point["next"]]]
    for given in range(1, cap + 1):
        paths.append([*point["cues"][:given], point["next"]])
    paths.append([*point["cues"][:cap], point["silence"], point["next"]])
    return paths


def test_graph_is_valid_every_path_ends_and_the_cap_holds(graph: dict[str, Any]) -> None:
    assert graph["version"] == adaptive.GRAPH_VERSION and graph["start"] == graph["main"][0]
    assert graph["max_cues_in_a_row"] == 2
    assert len(graph["points"]) == len(graph["main"]) - 1 >= 4
    for number, point in enumerate(graph["points"]):
        assert (point["after"], point["next"]) == (graph["main"][number], graph["main"][number + 1])
        assert len(point["cues"]) == 2 and len(set(point["cues"])) == 2
        for clip_id in [*point["cues"], point["silence"]]:
            assert clip_id in graph["clips"]
    for clip_id, clip in graph["clips"].items():
        assert re.fullmatch(adaptive.CLIP_NAME, Path(clip["file"]).name), clip_id
    # Walk every combination of choices at every point: each walk ends at the last main clip, in finite steps,
    # and never plays more than two cues in a row.
    cap = graph["max_cues_in_a_row"]
    per_point = [_paths_at(p, cap) for p in graph["points"]]
    for choice in itertools.product(*per_point):
        walk = [graph["start"], *(clip for part in choice for clip in part)]
        assert walk[-1] == graph["main"][-1]
        run = 0
        for clip_id in walk:
            run = run + 1 if graph["clips"][clip_id]["kind"] == "cue" else 0
            assert run <= cap


def test_the_move_on_path_is_the_plain_session(rendered: RenderResult, graph: dict[str, Any]) -> None:
    mains = [_clip(rendered, graph, clip_id) for clip_id in graph["main"]]
    assert sum(m.size for m in mains) == round(rendered.duration_s * graph["sample_rate"])
    starts = [graph["clips"][c]["start_s"] for c in graph["main"]]
    assert starts == sorted(starts) and [round(p["at_s"], 3) for p in graph["points"]] == starts[1:]
    spoken = [s[2] for c in graph["main"] for s in graph["clips"][c]["speech"]]
    assert spoken == [s.text for s in rendered.timeline.speech()]


def test_every_join_on_every_path_is_free_of_jumps(rendered: RenderResult, graph: dict[str, Any]) -> None:
    """No sample jump at any join the graph allows: the last samples of one clip meet the first of the next."""
    clips = {clip_id: _clip(rendered, graph, clip_id) for clip_id in graph["clips"]}
    joins: set[tuple[str, str]] = set()
    for point in graph["points"]:
        for path in _paths_at(point, graph["max_cues_in_a_row"]):
            walk = [point["after"], *path]
            joins.update(itertools.pairwise(walk))
    assert len(joins) >= 6 * len(graph["points"])
    window = graph["sample_rate"] // 100  # 10 ms either side
    for left, right in sorted(joins):
        a, b = clips[left], clips[right]
        assert abs(float(a[-1])) < 1e-3 and abs(float(b[0])) < 1e-3, (left, right)
        joined = np.concatenate([a[-window:], b[:window]])
        # Inside speech, neighbouring samples differ by up to ~0.3; a click is a jump out of quiet.
        assert float(np.max(np.abs(np.diff(joined)))) < 0.01, (left, right)
        assert float(np.max(np.abs(joined))) < 0.05, (left, right)


def test_cues_are_at_the_sessions_loudness(rendered: RenderResult, graph: dict[str, Any]) -> None:
    def voiced_db(x: np.ndarray) -> float:
        return 20 * np.log10(audio.voiced_rms(x))

    main = np.concatenate([_clip(rendered, graph, c) for c in graph["main"]])
    cue_ids = sorted({c for p in graph["points"] for c in p["cues"]})
    cues = np.concatenate([_clip(rendered, graph, c) for c in cue_ids])
    assert abs(voiced_db(cues) - voiced_db(main)) < 1.5
    assert audio.true_peak_dbtp(cues, graph["sample_rate"]) <= audio.TRUE_PEAK_DBTP
    assert float(np.max(np.abs(_clip(rendered, graph, "silence")))) == 0.0


def test_the_bed_loops_without_a_seam(rendered: RenderResult, graph: dict[str, Any]) -> None:
    bed, _rate = soundfile.read(str(rendered.folder / adaptive.FOLDER / graph["bed"]["file"]), dtype="float32")
    step = np.abs(np.diff(bed))
    seam = abs(float(bed[0]) - float(bed[-1]))
    assert seam <= float(np.percentile(step, 99.9)), "the loop's end flows into its start like any two samples"
    # Below the voice, as in the plain mix.
    main = np.concatenate([_clip(rendered, graph, c) for c in graph["main"]])
    below = 20 * np.log10(audio.voiced_rms(main) / float(np.sqrt(np.mean(bed**2))))
    assert abs(below - audio.BACKGROUND_BELOW_SPEECH_DB) < 1.0


def test_rendering_again_reuses_the_clips(rendered: RenderResult, shared_phrase_cache: Path) -> None:
    again = render_session(SHORT, rendered.folder.parent, cache_dir=shared_phrase_cache, formats=("wav",))
    assert again.reused


def test_adaptive_files_are_served_and_other_names_refused(
    client: TestClient, rendered: RenderResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unclench.core.db import session_scope
    from unclench.sessions import service

    monkeypatch.setattr(service, "audio_root", lambda: rendered.folder.parent)
    with session_scope() as db:
        session = service.create_session(db, SHORT)
        session.status, session.artefact_key = "ready", rendered.key
        session.duration_s = rendered.duration_s
        session_id = session.id
    graph = client.get(f"/sessions/{session_id}/adaptive/graph.json").json()
    assert graph["main"][0] == "main-0"
    clip = client.get(f"/sessions/{session_id}/adaptive/clips/main-0.wav")
    assert clip.status_code == 200 and clip.headers["content-type"] == "audio/wav"
    for bad in ("session.json", "..%2Fsession.json", "transcript.vtt"):
        assert client.get(f"/sessions/{session_id}/adaptive/{bad}").status_code == 404
    assert client.get(f"/sessions/{session_id}/adaptive/clips/nope.wav").status_code == 404
    page = client.get(f"/sessions/{session_id}")
    assert 'id="adaptive-player"' in page.text and "/static/sessions/adaptive.js" in page.text
    assert "/static/sessions/player.js" not in page.text
    assert "Elbow / forearm (both sides)" in page.text  # the place the sensor is expected on


def test_the_form_refuses_adaptive_breathing_beside_the_field(client: TestClient) -> None:
    form = {"minutes": "5", "technique": "breathing", "region_mode": "auto", "adaptive": "on"}
    bad = client.post("/sessions", data=form, follow_redirects=False)
    assert bad.status_code == 422
    assert "has no points where it could change course" in bad.text
    assert 'name="adaptive" checked' in bad.text  # the input is kept
    assert client.get("/api/sessions").json() == []


def test_the_command_line_makes_adaptive_sessions_and_refuses_them_in_words(app_env: Path) -> None:
    from typer.testing import CliRunner

    from unclench.cli import app

    refused = CliRunner().invoke(
        app, ["session", "render", "--technique", "autogenic", "--adaptive", "--regions", "none"]
    )
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "autogenic phrases has no points where it could change course" in said
    assert "Traceback" not in refused.output
