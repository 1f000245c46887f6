"""Use on your phone: the share page (a QR code with a one-time pairing link), paired devices, and pairing itself.

The share page and the device list answer only this computer (`desktop` in web/access.py); the pairing pages
answer anyone, and show no data.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from unclench.accounts import devices
from unclench.core.web_db import DbSession, IntegerId
from unclench.web import security
from unclench.web.templating import render


@dataclass(frozen=True)
class Sharing:
    """How `unclench serve --share` listens: the addresses a phone opens, and the certificate to compare.

    hosts are the Host names the app answers to besides loopback; urls the addresses shown to open on the phone;
    fingerprint the certificate's SHA-256 (None over plain HTTP).
    """

    hosts: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    fingerprint: str | None = None
    plain_http: bool = False


router = APIRouter(include_in_schema=False)


def _sharing(request: Request) -> Sharing | None:
    return getattr(request.app.state, "sharing", None)


def qr_svg(text: str) -> Markup:
    """The QR code of `text` as inline SVG markup (no script, no style attribute: the CSP holds)."""
    import segno  # here, not at the top: only the share page draws codes

    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=6, dark="#1d2b36", light="#ffffff", omitsize=False)
    return Markup(svg)


@router.get("/devices")
def devices_page(request: Request, db: DbSession) -> Response:
    return render(request, "devices.html", {"sharing": _sharing(request), "devices": devices.list_devices(db)})


@router.post("/devices/link")
def new_pairing_link(request: Request, db: DbSession) -> Response:
    """A fresh one-time link, shown once as a QR code for each address the phone might use."""
    sharing = _sharing(request)
    if sharing is None or not sharing.urls:
        return RedirectResponse("/devices", status_code=303)
    link = devices.create_pairing_link(db)
    links = [f"{base}/pair/{link.token}" for base in sharing.urls]
    codes = [(url, qr_svg(url)) for url in links]
    context = {"sharing": sharing, "devices": devices.list_devices(db), "codes": codes, "expires_at": link.expires_at}
    return render(request, "devices.html", context)


@router.post("/devices/{device_id}/revoke")
def revoke(device_id: IntegerId, db: DbSession) -> Response:
    devices.revoke_device(db, device_id)
    return RedirectResponse("/devices?revoked=1", status_code=303)


@router.get("/pair")
def how_to_pair(request: Request) -> Response:
    return render(request, "pair.html", {"explanation": Markup(security.PAIRING_EXPLANATION)}, status_code=200)


@router.get("/pair/{token}")
def pairing_page(request: Request, token: str) -> Response:
    """The page the QR code opens: pairing is a button press (a POST), so a link preview cannot use the link up."""
    if security.is_loopback(request.client.host if request.client else ""):
        return render(request, "pair.html", {"on_computer": True})
    return render(request, "pair.html", {"token": token})


@router.post("/pair/{token}")
def pair(request: Request, token: str, db: DbSession) -> Response:
    if security.is_loopback(request.client.host if request.client else ""):
        return render(request, "pair.html", {"on_computer": True}, status_code=400)
    try:
        _device, secret = devices.pair_device(db, token, request.headers.get("user-agent", ""))
    except devices.PairingRefused as exc:
        return render(request, "pair.html", {"refused": str(exc)}, status_code=400)
    response = RedirectResponse("/", status_code=303)
    secure = urlsplit(str(request.url)).scheme == "https"
    response.headers.append("set-cookie", security.device_cookie_header(secret, secure))
    return response


def install(app: FastAPI, sharing: Sharing | None) -> None:
    app.state.sharing = sharing
    app.include_router(router)
