"""`unclench serve` on a port another program holds: a plain sentence, a free port to try, exit 1, no traceback."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from typer.testing import CliRunner

from unclench.cli import app
from unclench.web.cli import bind_port

runner = CliRunner()


def test_a_taken_port_is_named_with_a_free_one_to_try(app_env: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(taken)])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output and "running at" not in result.output
        assert f"Port {taken} is taken" in result.output
        suggested = re.search(r"unclench serve --port (\d+)", result.output)
        assert suggested is not None
        free = int(suggested.group(1))
        assert free != taken
        bind_port("127.0.0.1", free).close()  # the suggested port really is free
