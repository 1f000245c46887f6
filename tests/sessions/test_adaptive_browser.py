"""Adaptive sessions in real headless Chromium: the Web Audio player follows the decision graph.

The first test feeds the player tone frames itself (``window.unclenchAdaptive.feed``), so the player's rule, its
gap-free scheduling and the continuous layer are tested on their own. The second runs the whole loop: the live EMG
WebSocket in adaptive mode, BrainFlow's playback board replaying a recording that is tense for its first minutes
and lets go later. It needs the EMG side of adaptive sessions (``unclench.emg.adaptive``) and is skipped only
while that module is absent.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

pytestmark = pytest.mark.xdist_group("browser")

STATS = "() => window.unclenchAdaptive && window.unclenchAdaptive.stats"


def _api(base: str, path: str) -> Any:
    with urlopen(base + path) as response:
        return json.load(response)


def _make_adaptive_session(page: Any, screenshot_dir: Path) -> str:
    """Through the form: the shortest adaptive PMR (3 minutes: release only, 4 groups)."""
    page.goto("/sessions/new")
    page.locator("#minutes").fill("3")
    page.locator("#technique").select_option("pmr")
    page.locator("#pace").select_option("natural")
    page.locator("#seed").fill("3")
    page.get_by_label("Follow my muscle with a sensor (adaptive)").check()
    page.screenshot(path=str(screenshot_dir / "adaptive-builder.png"), full_page=True)
    page.get_by_role("button", name="Record my session").click()
    page.wait_for_url("**/sessions/*")
    page.wait_for_selector("#adaptive-player", state="attached", timeout=300_000)
    return str(page.url.rstrip("/").rsplit("/", 1)[1].split("?")[0])


def _stats(page: Any) -> dict[str, Any]:
    stats: dict[str, Any] = page.evaluate(STATS)
    return stats


def _wait_decisions(page: Any, count: int, timeout_ms: int) -> list[dict[str, Any]]:
    page.wait_for_function(
        f"() => window.unclenchAdaptive && window.unclenchAdaptive.stats.decisions.length >= {count}",
        timeout=timeout_ms,
    )
    decisions: list[dict[str, Any]] = _stats(page)["decisions"]
    return decisions


def _assert_gap_free(stats: dict[str, Any]) -> None:
    """Every clip started exactly where the one before it ended (scheduled ahead, never late)."""
    played = stats["played"]
    assert stats["late"] == 0, played
    for before, after in itertools.pairwise(played):
        assert abs(after["start"] - before["end"]) < 1e-6, (before, after)
    assert all(lead > 0.2 for lead in stats["lead"]), stats["lead"]  # chosen well before each join


FEED = """(state) => {
  window.__tone = state;
  if (!window.__feeding) {
    window.__feeding = setInterval(() => {
      const s = window.__tone;
      window.unclenchAdaptive.feed({type: "tone", t: performance.now() / 1000, ratio: s.ratio, state: s.state,
        quality: s.quality, baseline_ready: true, level: s.level});
    }, 50);
  }
}"""
LAYER = "() => window.unclenchAdaptive.layer()"


def test_player_takes_the_release_branch_while_tense_and_moves_on_once_let_go(
    page: Any, live_server: str, phrase_cache: Path, screenshot_dir: Path
) -> None:
    session_id = _make_adaptive_session(page, screenshot_dir)
    graph = _api(live_server, f"/sessions/{session_id}/adaptive/graph.json")
    first = graph["points"][0]
    # Tense (frames fed from the start, as a connected sensor's would be) until the first point has given its cue.
    page.evaluate(FEED, {"state": "tense", "ratio": 2.4, "quality": "good", "level": 1.0})
    page.locator("#skip-before").click()
    page.wait_for_function("() => window.unclenchAdaptive.stats.played.length >= 1", timeout=20_000)
    page.wait_for_timeout(1500)
    tense_layer = page.evaluate(LAYER)
    decisions = _wait_decisions(page, 1, timeout_ms=(first["at_s"] + 20) * 1000)
    assert 0.2 < _stats(page)["lead"][0] < 2  # chosen just before the join, on the freshest tone
    assert decisions[0] | {"at_s": 0} == {
        "point": first["id"],
        "region": graph["sensor_region"],
        "choice": "release_cue",
        "cue_id": first["cues"][0],
        "at_s": 0,
        "tone_before": 2.4,
    }
    assert abs(decisions[0]["at_s"] - first["at_s"]) < 0.05  # the cue starts where the first main clip ends
    page.locator("#extra-cue").wait_for(state="visible", timeout=10_000)
    assert page.locator("#extra-cue").inner_text() in graph["clips"][first["cues"][0]]["speech"][0][2]
    page.screenshot(path=str(screenshot_dir / "adaptive-player-cue.png"), full_page=True)
    # Let go: the background softens and darkens smoothly, and the next decision moves on.
    page.evaluate(FEED, {"state": "released", "ratio": 0.9, "quality": "good", "level": 0.05})
    page.wait_for_timeout(1500)
    soft_layer = page.evaluate(LAYER)
    assert tense_layer["gain"] > 0.95 and tense_layer["cutoff"] > 10_000
    assert soft_layer["gain"] < 0.5 and soft_layer["cutoff"] < 1_000
    decisions = _wait_decisions(page, 2, timeout_ms=40_000)
    assert [(d["point"], d["choice"], d["cue_id"]) for d in decisions[:2]] == [
        (first["id"], "release_cue", first["cues"][0]),
        (first["id"], "move_on", None),
    ]
    # A bad signal says nothing about the muscle, even when its state reads tense.
    page.evaluate(FEED, {"state": "tense", "ratio": 3.0, "quality": "bad", "level": 1.0})
    decisions = _wait_decisions(page, 3, timeout_ms=60_000)
    assert decisions[2]["point"] == graph["points"][1]["id"] and decisions[2]["choice"] == "move_on"
    stats = _stats(page)
    assert [p["id"] for p in stats["played"][:4]] == ["main-0", first["cues"][0], "main-1", "main-2"]
    _assert_gap_free(stats)
    page.get_by_role("button", name="I'm done listening").click()
    page.locator('[data-after="2"]').click()
    page.locator("#thanks").wait_for(state="visible")
    listens = [item for item in _api(live_server, "/api/sessions/listens") if item["session_id"] == session_id]
    assert len(listens) == 1 and listens[0]["tension_after"] == 2 and listens[0]["heard_s"] > first["at_s"]


def _axe_problems(browser: Any, base: str, path: str) -> list[str]:
    """Serious or critical axe-core findings and console errors on a page, on a phone at night and a desktop by day."""
    from tests.web.test_pages_a11y import AXE, _serious

    problems: list[str] = []
    for viewport, scheme in (({"width": 390, "height": 844}, "dark"), ({"width": 1280, "height": 900}, "light")):
        context = browser.new_context(base_url=base, viewport=viewport, color_scheme=scheme, bypass_csp=True)
        page = context.new_page()
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(path, wait_until="load")
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        problems.extend(_serious(page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"])[1])
        context.close()
    return problems


def test_without_a_sensor_the_linear_path_plays(
    browser: Any, page: Any, live_server: str, phrase_cache: Path, screenshot_dir: Path
) -> None:
    session_id = _make_adaptive_session(page, screenshot_dir)
    graph = _api(live_server, f"/sessions/{session_id}/adaptive/graph.json")
    assert _axe_problems(browser, live_server, f"/sessions/{session_id}") == []
    page.locator('[data-before="5"]').click()
    # Without a sensor each next clip is scheduled once the one before it has started: main-2 is scheduled when
    # main-1 plays, after the first join.
    page.wait_for_function("() => window.unclenchAdaptive.stats.played.length >= 3", timeout=120_000)
    stats = _stats(page)
    assert [p["id"] for p in stats["played"][:3]] == graph["main"][:3]
    assert [d["choice"] for d in stats["decisions"]] == ["move_on", "move_on"]
    assert stats["mode"] == "plain" and stats["frames"] == 0 and stats["errors"] == []
    _assert_gap_free(stats)
    page.screenshot(path=str(screenshot_dir / "adaptive-player-plain.png"), full_page=True)


@pytest.mark.skipif(
    importlib.util.find_spec("unclench.emg.adaptive") is None,
    reason="needs the EMG side of adaptive sessions (unclench.emg.adaptive: tone frames on /emg/ws/live)",
)
def test_real_sensor_stream_drives_the_player_end_to_end(
    page: Any, live_server: str, phrase_cache: Path, screenshot_dir: Path, tmp_path: Path
) -> None:
    from tests.emg.adaptive_signals import write_tense_then_released_recording

    session_id = _make_adaptive_session(page, screenshot_dir)
    graph = _api(live_server, f"/sessions/{session_id}/adaptive/graph.json")
    first, second = graph["points"][:2]
    # Rest 20 s (the baseline), tense until 5 s after the first cue would start, then let go for good.
    tense_until = first["at_s"] + 20.0
    recording = write_tense_then_released_recording(
        tmp_path / "tense-then-released.csv", rest_s=20.0, tense_s=tense_until - 20.0, released_s=240.0
    )
    query = (
        f"?sensor_board=playback&sensor_master_board=callibri_emg&sensor_file={recording.path}"
        "&sensor_calibration=2&sensor_baseline_s=20"
    )
    page.goto(f"/sessions/{session_id}{query}")
    page.locator("#sensor-region").select_option(graph["sensor_region"])
    page.locator("#skip-before").click()
    decisions = _wait_decisions(page, 1, timeout_ms=(first["at_s"] + 30) * 1000)
    assert (decisions[0]["point"], decisions[0]["choice"]) == (first["id"], "release_cue")
    assert decisions[0]["tone_before"] is not None and decisions[0]["tone_before"] > 1.3
    page.screenshot(path=str(screenshot_dir / "adaptive-player-sensor.png"), full_page=True)
    # The point's choices end in moving on once the recording has let go, and the next point moves on at once.
    page.wait_for_function(
        f"""() => window.unclenchAdaptive.stats.decisions.some(d => d.point === "{second["id"]}")""",
        timeout=180_000,
    )
    stats = _stats(page)
    at_first = [d["choice"] for d in stats["decisions"] if d["point"] == first["id"]]
    assert at_first[0] == "release_cue" and at_first[-1] in ("move_on", "silence")
    assert at_first.count("release_cue") <= graph["max_cues_in_a_row"]
    at_second = [d for d in stats["decisions"] if d["point"] == second["id"]]
    assert at_second[0]["choice"] == "move_on" and at_second[0]["tone_before"] < 1.3
    _assert_gap_free(stats)
    assert stats["frames"] > 100 and stats["errors"] == []
    listen_id = page.locator("#adaptive-player").get_attribute("data-listen")
    made = [(d["point"], d["choice"]) for d in stats["decisions"]]
    for _ in range(50):  # the last decision's POST may still be on its way
        logged = [(d["point"], d["choice"]) for d in _api(live_server, f"/api/listens/{listen_id}/decisions")]
        if len(logged) >= len(made):
            break
        page.wait_for_timeout(100)
    assert logged == made
    # Done: the sensor's recording is kept with the listen.
    page.get_by_role("button", name="I'm done listening").click()
    page.locator("#adaptive-status").filter(has_text="saved with this listen").wait_for(timeout=30_000)
    # The listen's page shows the tone per chapter from that recording (tense at first, let go later).
    page.goto(f"/emg/listens/{listen_id}")
    table = page.locator("table.tone-table").first
    table.wait_for(timeout=30_000)
    assert table.locator("tbody tr").count() >= 2
    assert page.locator(".chart-scroll svg").count() >= 1
