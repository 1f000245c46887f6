"""People: whose data a row is. On a person's own computer there is one; a clinic server has one per client."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from unclench.accounts.models import Account, Person


def create_person(db: Session, display_name: str = "") -> Person:
    """A new person, who owns nothing yet (their own sessions will stamp their rows)."""
    person = Person(display_name=display_name.strip()[:120])
    db.add(person)
    db.flush()
    return person


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
        for row in db.execute(select(Person.id, Person.display_name).where(Person.id.in_(person_ids)))
    }
    for row in db.execute(select(Account.person_id, Account.email).where(Account.person_id.in_(person_ids))):
        if row.person_id is not None:
            names[row.person_id] = row.email
    return names
