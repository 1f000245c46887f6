"""Rendering with the real Piper voice: length, loudness, peaks, speech where the transcript says."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile

from unclench.core.errors import UserInputError
from unclench.sessions import audio
from unclench.sessions.options import SessionOptions, TargetRegion
from unclench.sessions.render import RenderResult, render_session
from unclench.sessions.transcript import parse_vtt
from unclench.sessions.voice import PhraseCache, get_engine

OPTIONS = SessionOptions(
    minutes=5, technique="hypnotic", regions=(TargetRegion("jaw", "left"),), background="rain", name="Anna", seed=11
)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("phrases")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> RenderResult:
    stages: list[tuple[str, float]] = []
    result = render_session(
        OPTIONS, tmp_path_factory.mktemp("audio"), cache_dir=cache_dir, progress=lambda s, f: stages.append((s, f))
    )
    fractions = [f for _, f in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    return result


def _read(result: RenderResult) -> tuple[np.ndarray, int]:
    data, rate = soundfile.read(str(result.files["wav"]), dtype="float32")
    return data, rate


def test_real_piper_voice_speaks(cache_dir: Path) -> None:
    engine = get_engine("joe")
    audio = engine.synthesize("Let your shoulders drop, and breathe out slowly.", 1.15)
    seconds = audio.size / engine.sample_rate
    assert 1.5 < seconds < 6.0
    frames = audio[: audio.size // 441 * 441].reshape(-1, 441)
    voiced = np.sqrt(np.mean(frames**2, axis=1)) > 0.02
    assert voiced.mean() > 0.4  # mostly voice, not silence
    spectrum = np.abs(np.fft.rfft(audio)) ** 2
    freqs = np.fft.rfftfreq(audio.size, 1 / engine.sample_rate)
    assert spectrum[(freqs > 80) & (freqs < 4000)].sum() > 0.8 * spectrum.sum()


def test_phrase_cache_means_no_second_synthesis(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine("joe")
    texts = ["Let your hands rest.", "Breathe out slowly."]
    first = engine.render_phrases(texts, 1.15, PhraseCache(cache_dir), rate=24_000)

    def refuse(text: str, length_scale: float) -> np.ndarray:
        raise AssertionError(f"synthesised again: {text}")

    monkeypatch.setattr(engine, "synthesize", refuse)
    second = engine.render_phrases(texts, 1.15, PhraseCache(cache_dir), rate=24_000)
    for text in texts:
        assert np.array_equal(first[text], second[text])  # bit-identical, so re-renders are too


def test_duration_loudness_and_peaks(rendered: RenderResult) -> None:
    data, rate = _read(rendered)
    assert data.shape[0] / rate == pytest.approx(300.0, rel=0.03)
    assert pyloudnorm.Meter(rate).integrated_loudness(data) == pytest.approx(-16.0, abs=1.0)
    assert rendered.true_peak_dbtp <= -1.0
    assert np.abs(data).max() < 0.99  # nothing near full scale


def test_speech_where_the_transcript_says_and_quieter_between(rendered: RenderResult) -> None:
    data, rate = _read(rendered)
    cues = parse_vtt((rendered.folder / "transcript.vtt").read_text(encoding="utf-8"))
    assert len(cues) > 20
    assert any("Anna" in text for _, _, text in cues)

    def rms(start: float, end: float) -> float:
        part = data[int(start * rate) : int(end * rate)]
        return float(np.sqrt(np.mean(part**2)))

    speech = [rms(s, e) for s, e, _ in cues if e - s > 1.0]
    gaps = [rms(e1 + 0.6, s2 - 0.3) for (_, e1, _), (s2, _, _) in itertools.pairwise(cues) if s2 - e1 > 2.5]
    assert gaps, "a session has pauses"
    assert min(gaps) > 0.0  # the background keeps playing
    assert np.median(speech) > 4 * np.median(gaps)  # ≥ 12 dB between voice and background
    assert all(s > max(gaps) for s in speech if s > 0) or np.percentile(speech, 10) > np.percentile(gaps, 90)


def test_chapters_cover_the_session(rendered: RenderResult) -> None:
    cues = parse_vtt((rendered.folder / "chapters.vtt").read_text(encoding="utf-8"))
    titles = [t for _, _, t in cues]
    assert titles[0] == "Welcome" and titles[-1] == "Waking up" and "Your body" in titles
    assert cues[0][0] == 0.0 and cues[-1][1] == pytest.approx(rendered.duration_s, abs=0.01)


def test_same_settings_and_seed_give_the_same_audio(rendered: RenderResult, cache_dir: Path, tmp_path: Path) -> None:
    again = render_session(OPTIONS, rendered.folder.parent, cache_dir=cache_dir)
    assert again.reused and again.key == rendered.key
    copy_root = tmp_path / "fresh"
    fresh = render_session(OPTIONS, copy_root, cache_dir=cache_dir)
    assert not fresh.reused
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (rendered.files["wav"], fresh.files["wav"])]
    assert digest[0] == digest[1]
    shutil.rmtree(copy_root)


def test_binaural_sleep_session_is_stereo_and_fades_out(tmp_path: Path, cache_dir: Path) -> None:
    options = SessionOptions(
        minutes=5, technique="breathing", binaural="theta", ending="sleep", background="ocean", seed=2
    )
    result = render_session(options, tmp_path, cache_dir=cache_dir)
    data, rate = _read(result)
    assert data.ndim == 2 and data.shape[1] == 2
    assert not np.allclose(data[:, 0], data[:, 1])
    assert np.sqrt(np.mean(data[-rate // 2 :] ** 2)) < 0.01  # faded out at the end
    for fmt in ("ogg", "mp3"):
        decoded, decoded_rate = soundfile.read(str(result.files[fmt]), dtype="float32")
        assert decoded.shape[1] == 2
        assert decoded.shape[0] / decoded_rate == pytest.approx(result.duration_s, rel=0.01)


def test_unknown_format_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="format"):
        render_session(OPTIONS, tmp_path, formats=("flac",))
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("fmt", ["ogg", "mp3"])
def test_every_format_is_ready_at_the_end_of_the_render(rendered: RenderResult, fmt: str) -> None:
    """The prepared OGG/Opus and MP3 decode to the session's length and loudness."""
    wav, wav_rate = _read(rendered)
    path = rendered.files[fmt]
    assert path == rendered.folder / f"session.{fmt}"
    assert json.loads((rendered.folder / "session.json").read_text(encoding="utf-8"))["files"][fmt] == path.name
    assert rendered.timings[f"encode_{fmt}"] > 0
    decoded, rate = soundfile.read(str(path), dtype="float32")
    assert decoded.shape[0] / rate == pytest.approx(rendered.duration_s, rel=0.01)
    assert audio.integrated_loudness(decoded, rate) == pytest.approx(audio.integrated_loudness(wav, wav_rate), abs=1.0)
    assert not list(rendered.folder.glob("*.part"))


def _old_folder(rendered: RenderResult, folder: Path) -> Path:
    """A copy of the render as an older version left it: the WAV only, no OGG or MP3."""
    shutil.copytree(rendered.folder, folder)
    manifest_path = folder / "session.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for fmt in ("ogg", "mp3"):
        (folder / f"session.{fmt}").unlink()
        del manifest["files"][fmt]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_two_downloads_at_once_from_an_old_folder_make_one_intact_file(rendered: RenderResult, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from unclench.sessions.render import export_format

    folder = _old_folder(rendered, tmp_path / "copy")
    with ThreadPoolExecutor(max_workers=2) as pool:
        paths = list(pool.map(lambda _i: export_format(folder, "mp3"), range(2)))
    assert paths[0] == paths[1] == folder / "session.mp3"
    data, rate = soundfile.read(str(paths[0]), dtype="float32")
    assert data.shape[0] / rate == pytest.approx(rendered.duration_s, rel=0.01)
    assert not list(folder.glob("*.part"))
    assert "mp3" in json.loads((folder / "session.json").read_text(encoding="utf-8"))["files"]


def test_rendering_again_over_an_old_folder_encodes_from_its_wav(
    rendered: RenderResult, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_folder(rendered, tmp_path / rendered.key)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("mixed again instead of encoding the stored WAV")

    monkeypatch.setattr(audio, "mix_session", refuse)
    again = render_session(OPTIONS, tmp_path, cache_dir=cache_dir)
    assert again.reused and set(again.files) == {"wav", "ogg", "mp3"}
    decoded, rate = soundfile.read(str(again.files["ogg"]), dtype="float32")
    assert decoded.shape[0] / rate == pytest.approx(rendered.duration_s, rel=0.01)
