"""The one Jinja2 environment: every domain's template folder and the display filters.

Pages use it through `unclench.web.templating.render`; documents that are not pages (the doctor's report, which
WeasyPrint turns into a PDF) render from it directly, so rendering HTML does not need the web layer.
"""

from __future__ import annotations

import contextlib
import pickle
from functools import lru_cache
from pathlib import Path

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemBytecodeCache, FileSystemLoader
from jinja2.bccache import Bucket

from unclench.core.formatting import clause, duration_words, local_time
from unclench.core.models_registry import DOMAINS
from unclench.core.settings import get_settings

PACKAGE_DIR = Path(__file__).resolve().parent.parent


class CompiledTemplateCache(FileSystemBytecodeCache):
    """Compiled templates kept on disk between runs, so the first page after `serve` starts need not compile its
    templates (65 of them take 1.4 s). Jinja checks each entry against its template's source. A cache that cannot
    be read or written costs a compile, never a page.
    """

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, pickle.UnpicklingError):  # a cut-short header (Jinja checks the rest)
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def compiled_template_folder() -> Path:
    """Where compiled templates are kept: beside the data, so a reboot keeps them (they hold no one's data)."""
    return get_settings().data_dir / "cache" / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Templates are looked up in web/templates (the base layout) first, then in each domain's templates/."""
    folders = [PACKAGE_DIR / "web" / "templates"]
    folders += [PACKAGE_DIR / d / "templates" for d in DOMAINS if (PACKAGE_DIR / d / "templates").is_dir()]
    loader: BaseLoader = ChoiceLoader([FileSystemLoader(str(folder)) for folder in folders])
    cache = compiled_template_folder()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        bytecode_cache: CompiledTemplateCache | None = CompiledTemplateCache(str(cache))
    except OSError:
        bytecode_cache = None  # a read-only data dir: templates compile on first use, as without the cache
    env = Environment(loader=loader, autoescape=True, bytecode_cache=bytecode_cache)
    env.filters["local_time"] = local_time
    env.filters["duration"] = duration_words
    env.filters["clause"] = clause
    return env
