"""Who is asking: the caller of a request or command, and whose data it acts on.

Every web request gets a `Caller` from the request guard (`web/security.py`) before any route runs; every CLI
command acts as the local person. A database session carries its caller in `session.info`, so services,
the central owner scoping and the audit log read it from the one place, never from a route's `if`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# On a person's own computer there is exactly one person; every row made before accounts existed is theirs.
LOCAL_PERSON_ID = 1

# What a person's data is made of, as consent names it; every person-owned model declares one (`consent_category`).
# "programme" and "notes" are what a practitioner makes for a client; "private" is never shown to anyone else.
CONSENT_CATEGORIES = frozenset(
    {"diary", "checkins", "stress", "safety", "sessions", "emg", "reports", "programme", "notes", "private"}
)

CallerKind = Literal["local", "device", "account", "anonymous"]
Role = Literal["person", "practitioner", "admin"]


@dataclass(frozen=True)
class Caller:
    """One request's (or command's) identity.

    kind: "local" (a browser on this computer, or a command), "device" (a paired phone), "account" (signed in on
    a clinic server) or "anonymous". person_id is whose data the caller acts on (None: no one's); account_id and
    device_id say which account or paired device made the request; address (the client's IP) and user_agent (its
    User-Agent header, as sent) say from where, for the audit log. categories and writes narrow what of person_id's
    data it may read and write (core/db.py enforces them; None: everything).
    """

    kind: CallerKind
    person_id: int | None
    role: Role | None = None
    account_id: int | None = None
    device_id: int | None = None
    address: str = ""
    user_agent: str = ""
    # Which data categories (a model's `consent_category`) of person_id's data the caller may read and write; None:
    # all of them (the person themself). A practitioner acting for a client gets what the client consented to.
    categories: frozenset[str] | None = None
    writes: frozenset[str] | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    def may_read(self, category: str) -> bool:
        return self.categories is None or category in self.categories

    def may_write(self, category: str) -> bool:
        return self.writes is None or category in self.writes


LOCAL_CALLER = Caller(kind="local", person_id=LOCAL_PERSON_ID, role="person", address="local")
ANONYMOUS = Caller(kind="anonymous", person_id=None)

_CALLER_KEY = "unclench.caller"


def set_caller(session: Session, caller: Caller) -> None:
    """Make `caller` the identity every query and audit entry of this session answers to."""
    session.info[_CALLER_KEY] = caller


def caller_of(session: Session) -> Caller:
    """The session's caller; a session nobody set one on (a command, a test, a job) is the local person."""
    caller = session.info.get(_CALLER_KEY)
    return caller if isinstance(caller, Caller) else LOCAL_CALLER
