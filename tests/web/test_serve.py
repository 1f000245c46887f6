"""`unclench serve` on a port another program holds: a plain sentence, a free port to try, exit 1, no traceback."""

from __future__ import annotations

import asyncio
import re
import socket
from concurrent.futures import ThreadPoolExecutor
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


def test_every_connection_to_the_served_socket_sends_at_once() -> None:
    """uvicorn serves on `bind_port`'s socket through asyncio, which turns Nagle's algorithm off (TCP_NODELAY) on each
    accepted connection only when the listening socket says it is TCP. Without it, a response written in two parts on
    a kept-alive connection (a browser's) waited ~40 ms for the other side's delayed ACK: every request, every page."""

    async def accept_one() -> int:
        loop = asyncio.get_running_loop()
        seen: asyncio.Future[int] = loop.create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                accepted = transport.get_extra_info("socket")
                seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        sock = bind_port("127.0.0.1", 0)
        server = await loop.create_server(Probe, sock=sock)  # as uvicorn.Server.run(sockets=[sock]) does
        _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        try:
            return await asyncio.wait_for(seen, 10)
        finally:
            writer.close()
            server.close()

    # On a thread of its own: a browser test earlier in this worker leaves Playwright's event loop on this one.
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(asyncio.run, accept_one()).result() != 0


def test_the_statistics_modules_load_in_the_background_not_at_start() -> None:
    """`serve` imports what Insights needs on a thread after start; importing the command itself loads none of it."""
    import subprocess
    import sys

    script = (
        "import sys; from unclench.web.cli import warm_up_in_background; "
        "before = [m for m in ('statsmodels', 'pandas', 'scipy') if m in sys.modules]; "
        "warm_up_in_background(0).join(); "
        "print(before, [m for m in ('statsmodels', 'pandas', 'scipy', 'unclench.insights.service') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "[] ['statsmodels', 'pandas', 'scipy', 'unclench.insights.service']"
