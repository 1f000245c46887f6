"""People: whose data a row is. On a person's own computer there is one; a clinic server has one per client."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from unclench.accounts.models import (
    Account,
    Invitation,
    LoginAttempt,
    LoginSession,
    PairedDevice,
    PairingLink,
    PasswordReset,
    Person,
    RecoveryCode,
)
from unclench.core.db import among


def create_person(db: Session, display_name: str = "") -> Person:
    """A new person, who owns nothing yet (their own sessions will stamp their rows)."""
    person = Person(display_name=display_name.strip()[:120])
    db.add(person)
    db.flush()
    return person


def forget_person(db: Session, person_id: int, *, keep_person: bool) -> None:
    """Remove what accounts keeps about a person: paired phones, pairing links and, on a clinic, their account.

    The account goes with its login sessions, recovery codes, reset links, recent sign-in tries and the invitations
    it made; accounts it invited keep their own, losing only the link back. `keep_person`: the local app's one person stays (every row
    made later is theirs), a clinic's person row goes. Their data rows must be gone first (the caller's job).
    """
    accounts = list(db.scalars(select(Account).where(Account.person_id == person_id)))
    account_ids = [account.id for account in accounts]
    emails = [account.email for account in accounts]
    db.execute(delete(PairingLink).where(PairingLink.person_id == person_id))
    db.execute(delete(PairedDevice).where(PairedDevice.person_id == person_id))
    if account_ids:
        db.execute(delete(LoginSession).where(LoginSession.account_id.in_(account_ids)))
        db.execute(delete(RecoveryCode).where(RecoveryCode.account_id.in_(account_ids)))
        db.execute(
            delete(PasswordReset).where(
                PasswordReset.account_id.in_(account_ids) | PasswordReset.issued_by_id.in_(account_ids)
            )
        )
        db.execute(delete(Invitation).where(Invitation.invited_by_id.in_(account_ids)))
        db.execute(update(Account).where(Account.invited_by_id.in_(account_ids)).values(invited_by_id=None))
        db.execute(delete(Account).where(Account.id.in_(account_ids)))
        # Recent sign-in tries name the email (kept a quarter of an hour for the rate limit): theirs go too.
        db.execute(delete(LoginAttempt).where(LoginAttempt.email.in_(emails)))
    if not keep_person:
        db.execute(delete(Person).where(Person.id == person_id))
    db.flush()


def describe_person(db: Session, person_id: int) -> dict[str, str]:
    """Who the person is here, for their export: name and since when, and their account's email and role if any."""
    person = db.get(Person, person_id)
    details = {
        "person_id": str(person_id),
        "display_name": person.display_name if person else "",
        "created_at": person.created_at.isoformat() if person else "",
    }
    account = db.scalar(select(Account).where(Account.person_id == person_id))
    if account is not None:
        details |= {
            "email": account.email,
            "role": account.role,
            "account_created_at": account.created_at.isoformat(),
            "two_step_sign_in": "true" if account.totp_confirmed else "false",
        }
    return details


def account_emails(db: Session, account_ids: Collection[int]) -> dict[int, str]:
    """The email of each of these accounts (how a practitioner is named to a client)."""
    if not account_ids:
        return {}
    rows = db.execute(select(Account.id, Account.email).where(Account.id.in_(account_ids)))
    return {row.id: row.email for row in rows}


def person_names(db: Session, person_ids: Collection[int]) -> dict[int, str]:
    """How each person is named to their practitioner: their account's email, else their display name."""
    if not person_ids:
        return {}
    names = {
        row.id: row.display_name
        for row in db.execute(select(Person.id, Person.display_name).where(among(db, Person.id, person_ids)))
    }
    for row in db.execute(select(Account.person_id, Account.email).where(among(db, Account.person_id, person_ids))):
        if row.person_id is not None:
            names[row.person_id] = row.email
    return names
