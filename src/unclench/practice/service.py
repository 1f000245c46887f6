"""Practice: care links between a practitioner and a client, versioned consent per category, notes.

The practitioner's caller for a client (`client_caller`) is made from the live records on every request, so a
revocation takes effect on the very next one. Links and consents name both sides explicitly (they decide the
caller, so they cannot be scoped by it); notes are the client's rows, scoped by core/db.py like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from unclench.accounts import audit
from unclench.accounts.people import account_emails, person_names
from unclench.core import clock
from unclench.core.db import among
from unclench.core.errors import NotFoundError, UserInputError
from unclench.core.identity import Caller, caller_of
from unclench.practice.models import CareLink, Consent, PractitionerNote
from unclench.practice.schemas import PRACTITIONER_OWN, PRACTITIONER_WRITES, SHAREABLE, ConsentIn, NoteIn

CONSENT_PAGE = "/sharing/consent"


class NoAccess(Exception):
    """The practitioner may not act for this client now; the message says why in plain words."""


# --- links -----------------------------------------------------------------------------------------------------


def link_client(db: Session, practitioner_account_id: int, client_person_id: int) -> CareLink:
    """The open care link between them (made if there is none)."""
    found = _open_link(db, practitioner_account_id, client_person_id)
    if found is not None:
        return found
    link = CareLink(practitioner_account_id=practitioner_account_id, client_person_id=client_person_id)
    db.add(link)
    db.flush()
    return link


def link_invited_client(db: Session, account: object, inviter: object | None) -> None:
    """Invitation hook: a person account invited by a practitioner becomes that practitioner's client."""
    role = getattr(account, "role", None)
    person_id = getattr(account, "person_id", None)
    if role == "person" and person_id is not None and getattr(inviter, "role", None) == "practitioner":
        link_client(db, int(getattr(inviter, "id")), int(person_id))  # noqa: B009


def consent_landing(db: Session, account: object) -> str | None:
    """Landing hook: a client with a practitioner still waiting for their answer goes to the consent page."""
    person_id = getattr(account, "person_id", None)
    if person_id is None:
        return None
    return CONSENT_PAGE if any(view.current is None for view in client_links(db, int(person_id))) else None


def _open_link(db: Session, practitioner_account_id: int, client_person_id: int) -> CareLink | None:
    query = select(CareLink).where(
        CareLink.practitioner_account_id == practitioner_account_id,
        CareLink.client_person_id == client_person_id,
        CareLink.ended_at.is_(None),
    )
    return db.scalars(query.order_by(CareLink.id.desc()).limit(1)).first()


def _current(db: Session, link_id: int) -> Consent | None:
    query = select(Consent).where(Consent.link_id == link_id, Consent.superseded_at.is_(None))
    return db.scalars(query.order_by(Consent.version.desc()).limit(1)).first()


@dataclass(frozen=True)
class LinkView:
    """One practitioner link as the client sees it: who, since when, what is shared now, every version."""

    link_id: int
    practitioner: str
    started_at: datetime
    ended_at: datetime | None
    current: Consent | None
    history: list[Consent]

    @property
    def shared(self) -> list[str]:
        return list(self.current.categories) if self.current is not None else []


def client_links(db: Session, client_person_id: int, *, include_ended: bool = False) -> list[LinkView]:
    """The client's practitioners (open links; ended ones too with include_ended), newest first."""
    query = select(CareLink).where(CareLink.client_person_id == client_person_id)
    if not include_ended:
        query = query.where(CareLink.ended_at.is_(None))
    links = list(db.scalars(query.order_by(CareLink.started_at.desc(), CareLink.id.desc())))
    if not links:
        return []
    emails = account_emails(db, {link.practitioner_account_id for link in links})
    versions: dict[int, list[Consent]] = {}
    consents = select(Consent).where(among(db, Consent.link_id, [link.id for link in links])).order_by(Consent.version)
    for consent in db.scalars(consents):
        versions.setdefault(consent.link_id, []).append(consent)
    out = []
    for link in links:
        history = versions.get(link.id, [])
        current = next((c for c in reversed(history) if c.superseded_at is None), None)
        out.append(
            LinkView(
                link.id,
                emails.get(link.practitioner_account_id, "a practitioner"),
                link.started_at,
                link.ended_at,
                current,
                history,
            )
        )
    return out


def _client_link(db: Session, client_person_id: int, link_id: int) -> CareLink:
    link = db.get(CareLink, link_id)
    if link is None or link.client_person_id != client_person_id:
        raise NotFoundError(f"No practitioner link with id {link_id}.")
    return link


# --- consent ---------------------------------------------------------------------------------------------------


def _new_version(db: Session, link: CareLink, categories: list[str], *, revoked: bool) -> Consent:
    now = clock.now()
    last = db.scalars(select(Consent).where(Consent.link_id == link.id).order_by(Consent.version.desc())).first()
    db.execute(
        update(Consent).where(Consent.link_id == link.id, Consent.superseded_at.is_(None)).values(superseded_at=now)
    )
    consent = Consent(
        link_id=link.id,
        client_person_id=link.client_person_id,
        version=(last.version + 1) if last else 1,
        categories=categories,
        given_at=now,
        revoked=revoked,
    )
    db.add(consent)
    db.flush()
    return consent


def give_consent(db: Session, client_person_id: int, link_id: int, data: ConsentIn) -> Consent:
    """A new version of what this practitioner may see (the one before is superseded, never deleted)."""
    link = _client_link(db, client_person_id, link_id)
    if link.ended_at is not None:
        raise UserInputError.single(
            "categories", "You ended sharing with this practitioner; they need a new invitation."
        )
    consent = _new_version(db, link, data.categories, revoked=False)
    label = account_emails(db, {link.practitioner_account_id}).get(link.practitioner_account_id, "")
    words = ", ".join(SHAREABLE[c][0].lower() for c in data.categories) or "nothing"
    audit.record(
        db,
        "consent_changed",
        subject_person_id=client_person_id,
        what=audit.What("practitioner", f"{link.id} v{consent.version}: {words}", label),
    )
    return consent


def revoke(db: Session, client_person_id: int, link_id: int) -> Consent:
    """End sharing with this practitioner: a last version with nothing, and the link ends (from the next request)."""
    link = _client_link(db, client_person_id, link_id)
    if link.ended_at is not None:
        raise UserInputError.single("link", "Sharing with this practitioner has already ended.")
    consent = _new_version(db, link, [], revoked=True)
    link.ended_at = consent.given_at
    db.flush()
    label = account_emails(db, {link.practitioner_account_id}).get(link.practitioner_account_id, "")
    audit.record(
        db,
        "consent_revoked",
        subject_person_id=client_person_id,
        what=audit.What("practitioner", f"{link.id} v{consent.version}", label),
    )
    return consent


def client_caller(db: Session, practitioner: Caller, client_person_id: int) -> Caller:
    """The caller a practitioner's request about this client runs as, from the live link and consent.

    Raises NoAccess (a plain sentence) without an open link or with nothing consented.
    """
    if practitioner.role != "practitioner" or practitioner.account_id is None:
        raise NoAccess("Only a practitioner can open a client's pages.")
    link = _open_link(db, practitioner.account_id, client_person_id)
    if link is None:
        raise NoAccess("This person is not one of your clients, or they have ended sharing with you.")
    current = _current(db, link.id)
    if current is None or not current.categories:
        raise NoAccess(
            "This client has not agreed to share any of their data with you. They choose what to share on their "
            "“Who can see my data” page."
        )
    return Caller(
        kind="account",
        person_id=client_person_id,
        role="practitioner",
        account_id=practitioner.account_id,
        address=practitioner.address,
        user_agent=practitioner.user_agent,
        categories=frozenset(current.categories) | PRACTITIONER_OWN,
        writes=PRACTITIONER_WRITES,
    )


@dataclass(frozen=True)
class Client:
    """One of a practitioner's clients and what they share now (empty: not yet, or nothing)."""

    person_id: int
    name: str
    since: datetime
    categories: frozenset[str]


def practitioner_clients(db: Session, practitioner_account_id: int) -> list[Client]:
    """Every client with an open link to this practitioner, with their current consent (two queries)."""
    rows = db.execute(
        select(CareLink.id, CareLink.client_person_id, CareLink.started_at, Consent.categories)
        .outerjoin(Consent, (Consent.link_id == CareLink.id) & Consent.superseded_at.is_(None))
        .where(CareLink.practitioner_account_id == practitioner_account_id, CareLink.ended_at.is_(None))
        .order_by(CareLink.started_at)
    ).all()
    names = person_names(db, {row.client_person_id for row in rows})
    clients: dict[int, Client] = {}
    for row in rows:
        clients[row.client_person_id] = Client(
            row.client_person_id,
            names.get(row.client_person_id, f"client {row.client_person_id}"),
            row.started_at,
            frozenset(row.categories or ()),
        )
    return sorted(clients.values(), key=lambda c: c.name.lower())


def client_name(db: Session, person_id: int) -> str:
    return person_names(db, {person_id}).get(person_id, f"client {person_id}")


# --- notes -----------------------------------------------------------------------------------------------------


def write_note(db: Session, data: NoteIn) -> PractitionerNote:
    """A note about the caller's client by the calling practitioner (scoped to the client as any row is)."""
    caller = caller_of(db)
    label = account_emails(db, {caller.account_id}).get(caller.account_id, "") if caller.account_id else ""
    note = PractitionerNote(author_account_id=caller.account_id, author_label=label, text=data.text, shared=data.shared)
    db.add(note)
    db.flush()
    return note


def my_notes(db: Session) -> list[PractitionerNote]:
    """The calling practitioner's own notes about the client, newest first (another practitioner's stay theirs)."""
    caller = caller_of(db)
    query = select(PractitionerNote).where(PractitionerNote.author_account_id == caller.account_id)
    return list(db.scalars(query.order_by(PractitionerNote.written_at.desc(), PractitionerNote.id.desc())))


def shared_notes(db: Session) -> list[PractitionerNote]:
    """The notes practitioners shared with the client (the caller), newest first; private ones stay out."""
    query = select(PractitionerNote).where(PractitionerNote.shared.is_(True))
    return list(db.scalars(query.order_by(PractitionerNote.written_at.desc(), PractitionerNote.id.desc())))
