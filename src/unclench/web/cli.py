"""`unclench serve`: the web app on this computer, and with `--share` on the home network for a paired phone."""

from __future__ import annotations

import errno
import importlib
import os
import socket
import threading

import typer

from unclench.core.console import lazy_console

console = lazy_console()

FREE_PORT_SEARCH = 50  # ports after the asked one tried when it is taken
# The phone's port when sharing over HTTPS; the computer keeps plain HTTP on loopback, as without --share.
DEFAULT_SHARE_PORT = 8443
CLINIC_KEEP_ALIVE_S = 75  # longer than the reverse proxy's idle keep-alive to the web processes (docs/DEPLOY.md)


def lan_addresses() -> list[str]:
    """This computer's addresses on the local network (the one its default route uses first)."""
    found: list[str] = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            # connect() on UDP sends nothing; it only picks the interface a packet to that address would leave by.
            probe.connect(("192.0.2.1", 9))
            found.append(probe.getsockname()[0])
    except OSError:
        pass
    try:
        for address in socket.gethostbyname_ex(socket.gethostname())[2]:
            if address not in found and not address.startswith("127."):
                found.append(address)
    except OSError:
        pass
    return [a for a in found if not a.startswith("127.")]


# What the statistics pages import (pandas, statsmodels, SciPy: about 1.4 s here) is loaded in the background a moment
# after the server starts, so the first visit to Insights takes ~0.2 s instead of ~1.9 s; the first page is served
# before it starts.
WARM_MODULES = (
    "unclench.insights.service",
    "unclench.insights.triggers.regression",
    "unclench.insights.practice",
    "unclench.insights.charts",
)


def warm_up_in_background(delay_s: float = 2.0) -> threading.Thread:
    """Import WARM_MODULES on a daemon thread after `delay_s` seconds; returns the thread (tests join it)."""

    def load() -> None:
        for name in WARM_MODULES:
            importlib.import_module(name)

    timer = threading.Timer(delay_s, load)
    timer.daemon = True
    timer.start()
    return timer


def bind_port(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) as uvicorn binds its own (SO_REUSEADDR), or OSError if the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets whose protocol
    # says TCP, and without it every response on a kept-alive connection waited ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
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
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Keep 127.0.0.1; use --share to share."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    clinic: bool = typer.Option(
        False, "--clinic", help="Run as a clinic server: accounts and sign-in (PostgreSQL only; run it behind TLS)."
    ),
    share: bool = typer.Option(False, "--share", help="Also listen on the home network, for a paired phone."),
    share_port: int = typer.Option(DEFAULT_SHARE_PORT, min=1, max=65535, help="The phone's port with --share."),
    plain_http: bool = typer.Option(
        False, "--plain-http", help="With --share: no encryption (only on a home network you trust)."
    ),
) -> None:
    """Start the web app (migrating the database first if it is behind).

    Example: unclench serve --port 8000
    Example: unclench serve --share   (then open "Use on your phone" on this computer)
    """
    if share and clinic:
        console.print("--share pairs a phone with one person's own computer; a clinic server signs people in instead.")
        raise typer.Exit(2)
    if share:
        # Plain HTTP serves the phone on the same port; HTTPS keeps plain HTTP on loopback for this computer.
        host = "0.0.0.0" if plain_http else "127.0.0.1"
    # The port is taken before anything is printed or migrated, and handed to uvicorn, so "running at" is only said
    # once it is true and no other program can take the port in between.
    try:
        sock = bind_port(host, port)
        shared_sock = bind_port("0.0.0.0", share_port) if share and not plain_http else None
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
        if settings.clinic and not settings.clinic_hosts:
            console.print(
                "[yellow]No clinic host names are set:[/] requests naming any host are answered. Set "
                "UNCLENCH_CLINIC_HOSTS=clinic.example.org (comma-separated) or let the TLS proxy pin the Host."
            )
        ensure_schema()
        if settings.prepare_ready and not settings.clinic:
            from unclench.sessions.right_now import prepare_in_background

            # "Right now" must never wait: its sessions are made in the background if their audio is missing.
            prepare_in_background()
        warm_up_in_background()
        if not share:
            console.print(f"unclench is running at [bold]http://{host}:{port}[/] (data in {settings.data_dir})")
            # Behind a clinic's proxy, connections are kept open longer than the proxy keeps them (nginx 60 s, as
            # docs/deploy sets Caddy): else uvicorn's 5 s closes one just as the proxy sends on it (a failed request).
            keep_alive = CLINIC_KEEP_ALIVE_S if settings.clinic else 5
            config = uvicorn.Config(
                create_app(), host=host, port=port, log_level="warning", timeout_keep_alive=keep_alive
            )
            server = uvicorn.Server(config)
            server.run(sockets=[sock])
            return
        _share(sock, shared_sock, port, share_port)


def _share(sock: socket.socket, shared_sock: socket.socket | None, port: int, share_port: int) -> None:
    """`serve --share`: the phone's addresses, the certificate (made or reused) and its fingerprint, then serve."""
    import uvicorn

    from unclench.core.settings import get_settings
    from unclench.web.app import create_app
    from unclench.web.share import Sharing

    settings = get_settings()
    ips = lan_addresses()
    hostname = socket.gethostname().lower()
    names = [hostname, f"{hostname}.local"] if hostname and hostname != "localhost" else []
    if not ips:
        console.print("[yellow]No local network address found; the phone may not reach this computer.[/]")
    if shared_sock is None:
        urls = tuple(f"http://{ip}:{port}" for ip in ips)
        sharing = Sharing(hosts=(*ips, *names), urls=urls, plain_http=True)
        console.print(
            "[bold red]Plain HTTP:[/] anyone on this network can read what the phone sends and receives. "
            "Use it only on a home network you trust."
        )
        console.print(f"unclench is running at [bold]http://127.0.0.1:{port}[/] (data in {settings.data_dir})")
        console.print(f"Pair a phone: open [bold]http://127.0.0.1:{port}/devices[/] on this computer.")
        console.print(f"The phone uses {', '.join(urls) or f'http://<this computer>:{port}'}")
        app = create_app(sharing)
        uvicorn.Server(uvicorn.Config(app, host="0.0.0.0", port=port, log_level="warning")).run(sockets=[sock])
        return

    from unclench.web.tls import ensure_certificate

    certificate = ensure_certificate(settings.data_dir, ips, names)
    urls = tuple(f"https://{ip}:{share_port}" for ip in ips)
    sharing = Sharing(hosts=(*ips, *names), urls=urls, fingerprint=certificate.fingerprint)
    console.print(f"unclench is running at [bold]http://127.0.0.1:{port}[/] (data in {settings.data_dir})")
    console.print(f"Pair a phone: open [bold]http://127.0.0.1:{port}/devices[/] on this computer.")
    console.print(f"The phone uses {', '.join(urls) or f'https://<this computer>:{share_port}'}")
    # No emoji codes: ":CD:" in a fingerprint would print as a disc.
    console.print(
        f"Certificate fingerprint (SHA-256) to compare on the phone:\n  [bold]{certificate.fingerprint}[/]", emoji=False
    )
    with shared_sock:
        _serve_both(create_app(sharing), sock, shared_sock, str(certificate.key_path), str(certificate.cert_path))


def _serve_both(
    app: object, local_sock: socket.socket, shared_sock: socket.socket, keyfile: str, certfile: str
) -> None:
    """Plain HTTP on loopback for this computer (nothing changes there) and HTTPS on every address for the phone."""
    import asyncio

    import uvicorn

    local = uvicorn.Server(uvicorn.Config(app, log_level="warning"))  # type: ignore[arg-type]
    shared = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", ssl_keyfile=keyfile, ssl_certfile=certfile)  # type: ignore[arg-type]
    )

    async def both() -> None:
        await asyncio.gather(local.serve(sockets=[local_sock]), shared.serve(sockets=[shared_sock]))

    asyncio.run(both())


programme_app = typer.Typer(
    help="Your home programme: what is due today and how it is going (make or change it on the Programme page).",
    no_args_is_help=True,
)


@programme_app.command("show")
def programme_show(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text.")) -> None:
    """What your programme asks for today (due or done) and your listening adherence so far."""
    import json

    from unclench.core.cli_db import cli_session
    from unclench.web.today import today_summary

    with cli_session() as db:
        summary = today_summary(db)
        programme, adherence = summary.programme, summary.adherence
        if as_json:
            data: dict[str, object] = {"programme": None, "due_today": [], "adherence": None}
            if programme is not None and adherence is not None:
                data = {
                    "programme": {
                        "id": programme.id,
                        "title": programme.title,
                        "starts_on": programme.starts_on.isoformat(),
                        "ends_on": programme.ends_on.isoformat(),
                        "prescribed": programme.prescribed_by_account_id is not None,
                    },
                    "due_today": [
                        {"kind": t.kind, "label": t.label, "due": t.due, "detail": t.detail} for t in summary.tasks
                    ],
                    "adherence": {
                        "due": adherence.due,
                        "done": adherence.done,
                        "ratio": adherence.ratio,
                        "listens": adherence.listens,
                        "last_listen_at": adherence.last_listen_at.isoformat() if adherence.last_listen_at else None,
                        "items": [
                            {"title": i.title, "per_week": i.per_week, "due": i.due, "done": i.done}
                            for i in adherence.items
                        ],
                    },
                }
            typer.echo(json.dumps(data, indent=2))
            return
        if programme is None or adherence is None:
            upcoming = summary.upcoming
            if upcoming is not None:
                console.print(f"No programme today; “{upcoming.title}” starts on {upcoming.starts_on:%A %-d %B}.")
            else:
                console.print(
                    "No programme running. Make one on the Programme page (unclench serve → More → Programme)."
                )
            return
        console.print(f"[bold]{programme.title}[/] ({programme.starts_on:%-d %B} to {programme.ends_on:%-d %B %Y})")
        console.print("[bold]Due today[/]" if summary.to_do else "[bold]All done for today.[/]")
        for task in summary.tasks:
            mark = "[yellow]○ to do[/]" if task.due else "[green]✓ done[/]"
            console.print(f"  {mark}  {task.label} [dim]({task.detail})[/]")
        if adherence.ratio is None:
            console.print("Adherence: nothing was due yet.")
        else:
            console.print(f"Adherence: {adherence.done} of {adherence.due} listens due so far ({adherence.ratio:.0%}).")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(programme_app, name="programme")
