"""The `unclench` command: a Typer root that mounts each domain's commands."""

from __future__ import annotations

from typing import Any

import typer
from typer._click.core import Context as ClickContext
from typer.core import TyperGroup

from unclench import demo
from unclench.core.console import lazy_console
from unclench.core.errors import NotFoundError, UserInputError
from unclench.core.models_registry import DOMAINS, domain_module

err_console = lazy_console(stderr=True)


class FriendlyGroup(TyperGroup):
    """Turns input errors from any command into a clear message and exit code 2, never a traceback."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except UserInputError as exc:
            err_console.print("[bold red]That input was not accepted; nothing was changed.[/]")
            for problem in exc.problems:
                err_console.print(f"  • {problem}")
            raise typer.Exit(2) from None
        except NotFoundError as exc:
            err_console.print(f"[bold red]{exc}[/]")
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=FriendlyGroup,
    help="unclench — see the pattern of your muscle tension, learn to let go, and see what changes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Each cli module imports only Typer and light helpers at its top; a command loads its services when it runs,
# so `--help` and everyday commands do not pay for the numeric and web libraries other commands use.
for _domain in ("core", *DOMAINS, "web"):
    _module = domain_module(_domain, "cli")
    _register = getattr(_module, "register", None)
    if _register is not None:
        _register(app)
# The sample person spans domains, so its command sits beside this root rather than in one domain.
demo.register(app)


def main() -> None:
    app()
