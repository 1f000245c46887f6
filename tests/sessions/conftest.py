"""Sessions fixtures: one phrase cache per test worker, so the real voice speaks each phrase once."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_phrase_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("phrase-cache")


@pytest.fixture
def phrase_cache(shared_phrase_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UNCLENCH_PHRASE_CACHE_DIR", str(shared_phrase_cache))
    return shared_phrase_cache
