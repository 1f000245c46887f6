"""Compiled templates are kept on disk so the first page after start-up need not compile them; a cache that is
damaged or gone costs a compile, never a page."""

from __future__ import annotations

import shutil
from pathlib import Path

from jinja2 import DictLoader, Environment
from jinja2.bccache import bc_magic

from unclench.core.jinja import CompiledTemplateCache, compiled_template_folder, environment

TEMPLATES = {"page.html": "{% for x in items %}<li>{{ x }}</li>{% endfor %}"}


def _environment(folder: Path, compiles: list[str]) -> Environment:
    env = Environment(loader=DictLoader(TEMPLATES), autoescape=True, bytecode_cache=CompiledTemplateCache(str(folder)))
    real_compile = env.compile

    def counting_compile(source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]
        compiles.append(str(name))
        return real_compile(source, name, filename, raw, defer_init)

    env.compile = counting_compile  # type: ignore[method-assign]
    return env


def test_a_second_start_loads_the_compiled_template_instead_of_compiling(tmp_path: Path) -> None:
    first: list[str] = []
    assert _environment(tmp_path, first).get_template("page.html").render(items=[1, 2]) == "<li>1</li><li>2</li>"
    assert first == ["page.html"] and len(list(tmp_path.glob("*.cache"))) == 1
    second: list[str] = []
    assert _environment(tmp_path, second).get_template("page.html").render(items=["<b>"]) == "<li>&lt;b&gt;</li>"
    assert second == []


def test_a_damaged_or_missing_cache_costs_a_compile_not_the_page(tmp_path: Path) -> None:
    _environment(tmp_path, []).get_template("page.html")
    (cached,) = tmp_path.glob("*.cache")
    cached.write_bytes(cached.read_bytes()[: len(bc_magic) + 2])  # a write cut short inside the header
    damaged: list[str] = []
    assert _environment(tmp_path, damaged).get_template("page.html").render(items=[3]) == "<li>3</li>"
    assert damaged == ["page.html"]
    shutil.rmtree(tmp_path)  # the folder went away while the app runs: nothing can be written, pages still render
    gone: list[str] = []
    assert _environment(tmp_path, gone).get_template("page.html").render(items=[4]) == "<li>4</li>"
    assert gone == ["page.html"] and not tmp_path.exists()


def test_the_apps_templates_use_the_cache_beside_the_data(app_env: Path) -> None:
    assert isinstance(environment().bytecode_cache, CompiledTemplateCache)
    assert compiled_template_folder() == app_env / "cache" / "templates"
