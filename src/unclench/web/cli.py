"""`unclench serve`: the web app on this computer, and with `--share` on the home network for a paired phone."""

from __future__ import annotations

import socket

import typer
from rich.console import Console

console = Console()

# The phone's port when sharing over HTTPS; the computer keeps plain HTTP on loopback, as without --share.
DEFAULT_SHARE_PORT = 8443


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


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Keep 127.0.0.1; use --share to share."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
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
    # Imported here, not at the top: every other command would otherwise pay for loading the web stack.
    import uvicorn

    from unclench.core.cli_db import ensure_schema
    from unclench.core.settings import get_settings
    from unclench.web.app import create_app

    settings = get_settings()
    ensure_schema()
    if not share:
        if host not in ("127.0.0.1", "localhost", "::1"):
            console.print(
                f"[yellow]Listening on {host}: only this computer and paired phones get answers. "
                "Use --share to pair a phone.[/]"
            )
        console.print(f"unclench is running at [bold]http://{host}:{port}[/] (data in {settings.data_dir})")
        uvicorn.run(create_app(), host=host, port=port, log_level="warning")
        return

    from unclench.web.share import Sharing

    ips = lan_addresses()
    hostname = socket.gethostname().lower()
    names = [hostname, f"{hostname}.local"] if hostname and hostname != "localhost" else []
    if not ips:
        console.print("[yellow]No local network address found; the phone may not reach this computer.[/]")
    if plain_http:
        urls = tuple(f"http://{ip}:{port}" for ip in ips)
        sharing = Sharing(hosts=(*ips, *names), urls=urls, plain_http=True)
        console.print(
            "[bold red]Plain HTTP:[/] anyone on this network can read what the phone sends and receives. "
            "Use it only on a home network you trust."
        )
        for url in urls:
            console.print(f"On your phone, open [bold]{url}[/] after pairing from http://127.0.0.1:{port}/devices")
        uvicorn.run(create_app(sharing), host="0.0.0.0", port=port, log_level="warning")
        return

    from unclench.web.tls import ensure_certificate

    certificate = ensure_certificate(settings.data_dir, ips, names)
    urls = tuple(f"https://{ip}:{share_port}" for ip in ips)
    sharing = Sharing(hosts=(*ips, *names), urls=urls, fingerprint=certificate.fingerprint)
    console.print(f"unclench is running at [bold]http://127.0.0.1:{port}[/] (data in {settings.data_dir})")
    console.print(f"Pair a phone: open [bold]http://127.0.0.1:{port}/devices[/] on this computer.")
    console.print(f"The phone uses {', '.join(urls) or f'https://<this computer>:{share_port}'}")
    console.print(f"Certificate fingerprint (SHA-256) to compare on the phone:\n  [bold]{certificate.fingerprint}[/]")
    _serve_both(create_app(sharing), port, share_port, str(certificate.key_path), str(certificate.cert_path))


def _serve_both(app: object, port: int, share_port: int, keyfile: str, certfile: str) -> None:
    """Plain HTTP on loopback for this computer (nothing changes there) and HTTPS on every address for the phone."""
    import asyncio

    import uvicorn

    local = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    shared = uvicorn.Server(
        uvicorn.Config(
            app,  # type: ignore[arg-type]
            host="0.0.0.0",
            port=share_port,
            log_level="warning",
            ssl_keyfile=keyfile,
            ssl_certfile=certfile,
        )
    )

    async def both() -> None:
        await asyncio.gather(local.serve(), shared.serve())

    asyncio.run(both())


def register(app: typer.Typer) -> None:
    app.command()(serve)
