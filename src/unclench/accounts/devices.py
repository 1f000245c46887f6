"""Paired devices: a one-time pairing link (shown as a QR code on the computer) pairs a phone on the home network.

The phone keeps a long-lived secret in a cookie; only its SHA-256 is stored, so the database alone cannot pose as
a phone. A pairing link works once and for ten minutes. Revoking a device refuses its very next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from unclench.accounts import audit
from unclench.accounts.models import PairedDevice, PairingLink
from unclench.core import clock
from unclench.core.db import get_or_raise
from unclench.core.errors import NotFoundError
from unclench.core.identity import LOCAL_PERSON_ID, Caller, caller_of

PAIRING_LINK_LIFETIME = timedelta(minutes=10)
# Writing "last used" on every request would turn each page view into a write; a minute is precise enough to read.
LAST_USED_PRECISION = timedelta(minutes=1)
NAME_LENGTH = 120


@dataclass(frozen=True)
class Recognised:
    """A paired, unrevoked device that presented its cookie: whose data it acts on and which device it is."""

    device_id: int
    person_id: int


@dataclass(frozen=True)
class NewPairingLink:
    """A pairing link's secret (shown once, in the QR code) and when it stops working."""

    token: str
    expires_at: datetime


class PairingRefused(Exception):
    """A pairing link that is unknown, used already or expired; the message says which, in plain words."""


def token_hash(token: str) -> str:
    """What the database keeps of a secret: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def device_name(user_agent: str) -> str:
    """A name a person recognises from a browser's User-Agent: "iPhone · Safari", "Android · Chrome"."""
    agent = user_agent or ""
    system = next(
        (
            label
            for key, label in (
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Android", "Android"),
                ("Windows", "Windows"),
                ("Macintosh", "Mac"),
                ("CrOS", "Chromebook"),
                ("Linux", "Linux"),
            )
            if key in agent
        ),
        "Unknown device",
    )
    # Order matters: Chrome's agent names Safari too, Edge's names Chrome, Firefox on iOS names FxiOS.
    browser = next(
        (
            label
            for key, label in (
                ("Edg", "Edge"),
                ("FxiOS", "Firefox"),
                ("Firefox", "Firefox"),
                ("CriOS", "Chrome"),
                ("Chrome", "Chrome"),
                ("Safari", "Safari"),
            )
            if key in agent
        ),
        "",
    )
    return (f"{system} · {browser}" if browser else system)[:NAME_LENGTH]


def create_pairing_link(db: Session, person_id: int = LOCAL_PERSON_ID) -> NewPairingLink:
    """A fresh one-time link for `person_id`, valid for ten minutes."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    link = PairingLink(
        person_id=person_id, token_hash=token_hash(token), created_at=now, expires_at=now + PAIRING_LINK_LIFETIME
    )
    db.add(link)
    db.flush()
    audit.record(db, "pairing_link_made", subject_person_id=person_id, what=audit.What("pairing_link", str(link.id)))
    return NewPairingLink(token=token, expires_at=link.expires_at)


def pair_device(db: Session, link_token: str, user_agent: str) -> tuple[PairedDevice, str]:
    """Use a pairing link: the new device and its cookie secret (shown to nobody; the caller sets the cookie).

    Raises PairingRefused for a link that is unknown, used already or expired.
    """
    link = db.scalars(select(PairingLink).where(PairingLink.token_hash == token_hash(link_token))).one_or_none()
    now = clock.now()
    if link is None:
        raise PairingRefused("This pairing link is not one unclench made. Make a new one on your computer.")
    if link.used_at is not None:
        raise PairingRefused("This pairing link was used already; each works once. Make a new one on your computer.")
    if now >= link.expires_at:
        raise PairingRefused("This pairing link has expired (they last ten minutes). Make a new one on your computer.")
    secret = secrets.token_urlsafe(32)
    device = PairedDevice(
        person_id=link.person_id,
        name=device_name(user_agent),
        token_hash=token_hash(secret),
        created_at=now,
        last_used_at=now,
    )
    db.add(device)
    db.flush()
    link.used_at = now
    link.device_id = device.id
    db.flush()
    # The new phone itself is the actor (the request came from it, not yet paired).
    phone = Caller(kind="device", person_id=device.person_id, device_id=device.id)
    phone = replace(phone, address=caller_of(db).address, user_agent=caller_of(db).user_agent or user_agent)
    audit.record(db, "device_paired", subject_person_id=device.person_id, what=_what(device), caller=phone)
    return device, secret


def recognise(db: Session, secret: str) -> Recognised | None:
    """The paired, unrevoked device whose cookie holds `secret` (noting its use), or None."""
    if not secret:
        return None
    device = db.scalars(select(PairedDevice).where(PairedDevice.token_hash == token_hash(secret))).one_or_none()
    if device is None or device.revoked_at is not None:
        return None
    now = clock.now()
    if device.last_used_at is None or now - device.last_used_at >= LAST_USED_PRECISION:
        device.last_used_at = now
        db.flush()
    return Recognised(device_id=device.id, person_id=device.person_id)


def list_devices(db: Session, person_id: int = LOCAL_PERSON_ID) -> list[PairedDevice]:
    """The person's paired devices, newest first, revoked ones included (they say when)."""
    query = select(PairedDevice).where(PairedDevice.person_id == person_id)
    return list(db.scalars(query.order_by(PairedDevice.created_at.desc(), PairedDevice.id.desc())))


def revoke_device(db: Session, device_id: int, person_id: int = LOCAL_PERSON_ID) -> PairedDevice:
    """Refuse this device from its next request on; revoking twice keeps the first moment."""
    device = get_or_raise(db, PairedDevice, device_id, "paired device")
    if device.person_id != person_id:
        # Another person's device is, to this person, a device that does not exist.
        raise NotFoundError(f"No paired device with id {device_id}.")
    if device.revoked_at is None:
        device.revoked_at = clock.now()
        db.flush()
        audit.record(db, "device_revoked", subject_person_id=device.person_id, what=_what(device))
    return device


def _what(device: PairedDevice) -> audit.What:
    return audit.What("device", str(device.id), device.name)
