"""The commands' Rich console, made on first use: `--help`, and a command that has printed nothing yet, never load Rich.

Rich's own import costs about 45 ms here on every command; a `console = Console()` at the top of each cli module paid
it even for `unclench --help`. Rich's other parts (Table, Panel, Progress…) are imported inside the commands that draw
them, as the services are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console


class _ConsoleOnFirstUse:
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


def lazy_console(**options: Any) -> Console:
    """A `rich.console.Console(**options)` that is created when first used."""
    return cast("Console", _ConsoleOnFirstUse(options))
