"""A render's files appear under its settings hash in one rename: never half a folder, never two."""

from __future__ import annotations

import json
from pathlib import Path

from unclench.sessions.render import MANIFEST, _building_folder, _publish


def _finished(folder: Path, marker: str) -> None:
    (folder / "session.wav").write_text(marker)
    (folder / MANIFEST).write_text(
        json.dumps(
            {
                "key": folder.name,
                "duration_s": 1.0,
                "loudness_lufs": -20.0,
                "true_peak_dbtp": -1.0,
                "channels": 1,
                "files": {"wav": "session.wav"},
                "chapters": [],
                "segments": [],
            }
        )
    )


def test_a_stopped_renders_folder_goes_and_the_finished_one_appears_whole(tmp_path: Path) -> None:
    stopped = _building_folder(tmp_path, "abc")
    (stopped / "session.ogg").write_text("half")
    building = _building_folder(tmp_path, "abc")  # the next render of the key clears what the stopped one left
    assert not stopped.exists() and building.exists()
    _finished(building, "first")
    assert _publish(building, tmp_path / "abc", replace=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abc"]
    assert (tmp_path / "abc" / "session.wav").read_text() == "first"


def test_a_second_render_of_the_same_settings_keeps_the_first_ones_files(tmp_path: Path) -> None:
    first, second = _building_folder(tmp_path, "abc"), tmp_path / ".abc.other.partial"
    second.mkdir()
    _finished(first, "first")
    _finished(second, "second")
    assert _publish(first, tmp_path / "abc", replace=False)
    assert not _publish(second, tmp_path / "abc", replace=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abc"]
    assert (tmp_path / "abc" / "session.wav").read_text() == "first"


def test_an_unfinished_folder_from_before_is_replaced_and_a_forced_render_replaces(tmp_path: Path) -> None:
    (tmp_path / "abc").mkdir()
    (tmp_path / "abc" / "session.wav").write_text("torn")  # no manifest: an older render that stopped midway
    building = _building_folder(tmp_path, "abc")
    _finished(building, "whole")
    assert _publish(building, tmp_path / "abc", replace=False)
    assert (tmp_path / "abc" / "session.wav").read_text() == "whole"
    forced = _building_folder(tmp_path, "abc")
    _finished(forced, "again")
    assert _publish(forced, tmp_path / "abc", replace=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abc"]
    assert (tmp_path / "abc" / "session.wav").read_text() == "again"
