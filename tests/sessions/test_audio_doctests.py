"""The audio modules' docstring examples run, and every public function has one."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

from unclench.sessions import audio

MODULES = sorted(info.name for info in pkgutil.iter_modules(audio.__path__, prefix=f"{audio.__name__}."))
PUBLIC_MODULES = [name for name in MODULES if not name.rsplit(".", 1)[1].startswith("_")]


def _public_functions(module: ModuleType) -> list[str]:
    return [
        name
        for name, value in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_") and value.__module__ == module.__name__
    ]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see output above)"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_function_has_an_example(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    without = [
        function
        for function in _public_functions(module)
        if not any(test.examples for test in finder.find(getattr(module, function), f"{name}.{function}"))
    ]
    assert without == [], f"{name}: public functions without a docstring example: {without}"


def test_the_package_is_split_into_its_modules() -> None:
    # Guards the two tests above against finding nothing to check.
    assert {m.rsplit(".", 1)[1] for m in PUBLIC_MODULES} >= {"backgrounds", "mix", "loudness", "exporting"}
