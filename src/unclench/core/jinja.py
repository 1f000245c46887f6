"""The one Jinja2 environment: every domain's template folder and the display filters.

Pages use it through `unclench.web.templating.render`; documents that are not pages (the doctor's report, which
WeasyPrint turns into a PDF) render from it directly, so rendering HTML does not need the web layer.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from unclench.core.formatting import clause, duration_words, local_time
from unclench.core.models_registry import DOMAINS

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Templates are looked up in web/templates (the base layout) first, then in each domain's templates/."""
    folders = [PACKAGE_DIR / "web" / "templates"]
    folders += [PACKAGE_DIR / d / "templates" for d in DOMAINS if (PACKAGE_DIR / d / "templates").is_dir()]
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in folders]),
        autoescape=True,
    )
    env.filters["local_time"] = local_time
    env.filters["duration"] = duration_words
    env.filters["clause"] = clause
    return env
