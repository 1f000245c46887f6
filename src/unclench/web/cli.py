"""`unclench serve`: the web app on this computer."""

from __future__ import annotations

import errno
import os
import socket

import typer
from rich.console import Console

console = Console()

FREE_PORT_SEARCH = 50  # ports after the asked one tried when it is taken


def bind_port(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) as uvicorn binds its own (SO_REUSEADDR), or OSError if the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def free_port_after(host: str, port: int) -> int | None:
    """The first port after `port` that can be bound now, or None."""
    for candidate in range(port + 1, min(port + 1 + FREE_PORT_SEARCH, 65536)):
        try:
            bind_port(host, candidate).close()
        except OSError:
            continue
        return candidate
    return None


def _cannot_bind(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        free = free_port_after(host, port)
        hint = f" Try: unclench serve --port {free}" if free else ""
        return (
            f"Port {port} is taken: another program (or unclench itself, already running: open http://{host}:{port})"
            f" is using it.{hint}"
        )
    if exc.errno == errno.EACCES:
        return f"This computer does not allow using port {port} without extra rights. Try: unclench serve --port 8000"
    return f"Cannot listen on {host}:{port} ({exc.strerror or exc}). Check the address, or try --host 127.0.0.1."


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Keep 127.0.0.1 unless you mean to share."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    clinic: bool = typer.Option(
        False, "--clinic", help="Run as a clinic server: accounts and sign-in (PostgreSQL only; run it behind TLS)."
    ),
) -> None:
    """Start the web app (migrating the database first if it is behind).

    Example: unclench serve --port 8000
    """
    # The port is taken before anything is printed or migrated, and handed to uvicorn, so "running at" is only said
    # once it is true and no other program can take the port in between.
    try:
        sock = bind_port(host, port)
    except OSError as exc:
        console.print(_cannot_bind(host, port, exc), markup=False, highlight=False)
        raise typer.Exit(1) from None
    # Imported here, not at the top: every other command would otherwise pay for loading the web stack.
    import uvicorn

    from unclench.core.cli_db import ensure_schema
    from unclench.core.settings import get_settings, reset_settings_cache
    from unclench.web.app import create_app

    with sock:
        if clinic:
            os.environ["UNCLENCH_CLINIC"] = "1"
            reset_settings_cache()
        settings = get_settings()
        if settings.clinic and settings.is_sqlite:
            console.print(
                "[red]A clinic server keeps many people's data and needs PostgreSQL.[/] "
                "Set UNCLENCH_DATABASE_URL=postgresql://… and start again."
            )
            raise typer.Exit(2)
        ensure_schema()
        if settings.prepare_ready and not settings.clinic:
            from unclench.sessions.right_now import prepare_in_background

            # "Right now" must never wait: its sessions are made in the background if their audio is missing.
            prepare_in_background()
        console.print(f"unclench is running at [bold]http://{host}:{port}[/] (data in {settings.data_dir})")
        server = uvicorn.Server(uvicorn.Config(create_app(), host=host, port=port, log_level="warning"))
        server.run(sockets=[sock])


def register(app: typer.Typer) -> None:
    app.command()(serve)
