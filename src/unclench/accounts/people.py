"""People: whose data a row is. On a person's own computer there is one; a clinic server has one per client."""

from __future__ import annotations

from sqlalchemy.orm import Session

from unclench.accounts.models import Person


def create_person(db: Session, display_name: str = "") -> Person:
    """A new person, who owns nothing yet (their own sessions will stamp their rows)."""
    person = Person(display_name=display_name.strip()[:120])
    db.add(person)
    db.flush()
    return person
