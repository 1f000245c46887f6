"""Paired devices: a pairing link works once and for ten minutes; only a hash of each secret is stored; a revoked
device is not recognised."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import FrozenClock
from unclench.accounts import devices
from unclench.accounts.models import PairedDevice, PairingLink
from unclench.core.errors import NotFoundError

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1"


def test_a_pairing_link_pairs_one_device_once(db: Session) -> None:
    link = devices.create_pairing_link(db)
    device, secret = devices.pair_device(db, link.token, IPHONE)
    assert device.name == "iPhone · Safari"
    found = devices.recognise(db, secret)
    assert found is not None and found.device_id == device.id and found.person_id == 1
    with pytest.raises(devices.PairingRefused, match="used already"):
        devices.pair_device(db, link.token, IPHONE)
    assert len(devices.list_devices(db)) == 1


def test_a_pairing_link_expires_after_ten_minutes(db: Session, frozen_clock: FrozenClock) -> None:
    link = devices.create_pairing_link(db)
    frozen_clock.shift(timedelta(minutes=9, seconds=59))
    still = devices.create_pairing_link(db)  # made later, used in time below
    devices.pair_device(db, link.token, IPHONE)  # 9:59 after: still good
    frozen_clock.shift(timedelta(minutes=10))
    with pytest.raises(devices.PairingRefused, match="expired"):
        devices.pair_device(db, still.token, IPHONE)


def test_an_unknown_link_is_refused(db: Session) -> None:
    with pytest.raises(devices.PairingRefused, match="not one unclench made"):
        devices.pair_device(db, "made-up", IPHONE)


def test_only_hashes_of_secrets_are_stored(db: Session) -> None:
    link = devices.create_pairing_link(db)
    _device, secret = devices.pair_device(db, link.token, IPHONE)
    stored = db.scalars(select(PairedDevice.token_hash)).all() + db.scalars(select(PairingLink.token_hash)).all()
    assert secret not in stored and link.token not in stored
    assert devices.token_hash(secret) in stored and all(len(h) == 64 for h in stored)


def test_a_revoked_device_is_not_recognised(db: Session, frozen_clock: FrozenClock) -> None:
    link = devices.create_pairing_link(db)
    device, secret = devices.pair_device(db, link.token, IPHONE)
    frozen_clock.shift(timedelta(minutes=5))
    revoked = devices.revoke_device(db, device.id)
    moment = revoked.revoked_at
    assert devices.recognise(db, secret) is None
    frozen_clock.shift(timedelta(minutes=5))
    assert devices.revoke_device(db, device.id).revoked_at == moment  # revoking twice keeps the first moment
    with pytest.raises(NotFoundError):
        devices.revoke_device(db, 999_999)


def test_last_use_is_noted_at_most_once_a_minute(db: Session, frozen_clock: FrozenClock) -> None:
    link = devices.create_pairing_link(db)
    device, secret = devices.pair_device(db, link.token, IPHONE)
    paired_at = device.last_used_at
    frozen_clock.shift(timedelta(seconds=30))
    devices.recognise(db, secret)
    assert device.last_used_at == paired_at
    frozen_clock.shift(timedelta(seconds=31))
    devices.recognise(db, secret)
    assert device.last_used_at is not None and paired_at is not None
    assert device.last_used_at - paired_at == timedelta(seconds=61)


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        (IPHONE, "iPhone · Safari"),
        ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36", "Android · Chrome"),
        ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0", "Windows · Edge"),
        ("", "Unknown device"),
    ],
)
def test_device_names_come_from_the_user_agent(agent: str, name: str) -> None:
    assert devices.device_name(agent) == name
