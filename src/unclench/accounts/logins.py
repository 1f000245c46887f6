"""Clinic accounts: invitations, sign-in with Argon2id passwords and TOTP, server-side login sessions, resets.

Only a clinic server (`unclench serve --clinic`, PostgreSQL) uses this; the local app has no accounts. Secrets are
stored only as hashes: passwords with Argon2id (rehashed at sign-in when the parameters change), random tokens,
session ids and recovery codes with SHA-256 (they are long and random, so a slow hash adds nothing). Every sign-in
event goes through `record_login_event`, the one place the audit log hooks into.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from unclench.accounts import audit
from unclench.accounts.models import (
    Account,
    Invitation,
    LoginAttempt,
    LoginSession,
    PasswordReset,
    RecoveryCode,
)
from unclench.accounts.people import create_person
from unclench.core import clock
from unclench.core.errors import UserInputError
from unclench.core.identity import Caller, caller_of

log = logging.getLogger("unclench.accounts.logins")

# Argon2id, sized so that checking one password costs at least 50 ms of a server core (bench/bench_login.py).
ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 32 * 1024
ARGON2_PARALLELISM = 1

IDLE_TIMEOUT = timedelta(minutes=30)
# A session's last use is written at most once a minute, not on every request: each write made every request a
# write transaction (a row update and a WAL flush at commit) before its route even ran. The idle time-out is then
# measured from a moment at most a minute before the true last request.
SEEN_EVERY = timedelta(minutes=1)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
LOCK_AFTER_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
# Failed sign-ins from one address within the window before every try from it is refused (guessing many emails).
RATE_LIMIT_FAILURES = 20
RATE_LIMIT_WINDOW = timedelta(minutes=15)
INVITATION_VALID_FOR = timedelta(days=7)
RESET_VALID_FOR = timedelta(hours=1)
RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "unclench"

# Who may invite whom: admins bring in practitioners (and other admins), practitioners their clients.
MAY_INVITE = {"admin": ("practitioner", "admin"), "practitioner": ("person",)}
SECOND_FACTOR_REQUIRED = ("practitioner", "admin")

LoginEvent = Literal[
    "login", "login_failed", "login_locked", "login_rate_limited", "account_locked", "logout",
    "second_factor_failed", "totp_enabled", "recovery_code_used", "password_changed", "password_reset",
    "reset_issued", "invitation_made", "invitation_accepted",
]  # fmt: skip
# The events the account's own person is acting in (the rest are made by someone else: an admin, an inviter, or
# someone not signed in who typed a password).
_ACTS_AS_ACCOUNT = frozenset(
    {
        "login",
        "logout",
        "totp_enabled",
        "recovery_code_used",
        "password_changed",
        "password_reset",
        "invitation_accepted",
    }
)

_hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM)
_dummy_hash: dict[str, str] = {}


def password_hasher() -> PasswordHasher:
    return _hasher


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash with `hasher` from now on (new parameters; tests use cheap ones); the one used before."""
    global _hasher
    previous, _hasher = _hasher, hasher
    return previous


def _dummy() -> str:
    """A hash with the current parameters, checked for an unknown email so it costs the same as a known one."""
    key = f"{_hasher.time_cost}:{_hasher.memory_cost}:{_hasher.parallelism}"
    if key not in _dummy_hash:
        _dummy_hash[key] = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash[key]


def _password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def account_password_matches(db: Session, account_id: int, password: str) -> bool:
    """Whether `password` is this account's (a step that asks for it again, such as deleting the account)."""
    account = db.get(Account, account_id)
    return account is not None and _password_matches(account.password_hash, password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A random secret for a link, a session cookie or a code (192 bits)."""
    return secrets.token_urlsafe(24)


def record_login_event(
    db: Session,
    event: LoginEvent,
    *,
    account: Account | None = None,
    email: str = "",
    address: str = "",
    outcome: audit.Outcome = "success",
    detail: str = "",
    by: Account | None = None,
) -> None:
    """The one call site for sign-in events: logged, and appended to the audit log in `db`'s transaction.

    The entry is about `account`'s person (None for a practitioner or admin, or an unknown email). Its actor is
    the account itself for what only the account's holder does (signing in, changing the password…), `by` where
    someone else acted (an admin issuing a reset, an inviter), and otherwise someone not signed in, from `address`.
    """
    account_id = account.id if account is not None else None
    level = logging.INFO if outcome == "success" else logging.WARNING
    log.log(
        level, "%s account=%s email=%s address=%s outcome=%s %s", event, account_id, email, address, outcome, detail
    )
    base = caller_of(db)
    address = address or base.address
    actor_account = account if event in _ACTS_AS_ACCOUNT else by
    if actor_account is not None:
        actor = replace(caller_for(actor_account, address), user_agent=base.user_agent)
    else:
        actor = Caller(kind="anonymous", person_id=None, address=address, user_agent=base.user_agent)
    label = account.email if account is not None else email
    audit.record(
        db,
        event,
        subject_person_id=account.person_id if account is not None else None,
        what=audit.What("account", str(account_id or ""), label or detail),
        outcome=outcome,
        caller=actor,
    )


# --- accounts ------------------------------------------------------------------------------------------------


def find_account(db: Session, email: str) -> Account | None:
    return db.scalar(select(Account).where(Account.email == email.strip().lower()))


def create_account(db: Session, *, email: str, password: str, role: str, invited_by: Account | None = None) -> Account:
    """A new account; a person account gets its own person (who owns its diary)."""
    email = email.strip().lower()
    if find_account(db, email) is not None:
        raise UserInputError.single("email", "There is already an account with this email; sign in instead.")
    person_id = create_person(db, email.split("@")[0]).id if role == "person" else None
    account = Account(
        email=email,
        role=role,
        person_id=person_id,
        password_hash=_hasher.hash(password),
        invited_by_id=invited_by.id if invited_by else None,
    )
    db.add(account)
    db.flush()
    return account


def create_admin(db: Session, email: str, password: str) -> Account:
    """The first admin (from the command line); later admins are invited."""
    return create_account(db, email=email, password=password, role="admin")


def caller_for(account: Account, address: str = "") -> Caller:
    """The identity a signed-in account's requests carry: a person account acts on its own person's data."""
    role = account.role if account.role in ("person", "practitioner", "admin") else None
    return Caller(kind="account", person_id=account.person_id, role=role, account_id=account.id, address=address)  # type: ignore[arg-type]


def needs_second_factor(account: Account) -> bool:
    return account.role in SECOND_FACTOR_REQUIRED or account.totp_confirmed


# --- sign-in -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    """What a sign-in attempt came to: the account, or a plain-language reason and the HTTP status to answer."""

    account: Account | None
    problem: str = ""
    status: int = 200


WRONG = "That email and password do not match an account. Check both and try again."


def authenticate(db: Session, email: str, password: str, *, address: str) -> LoginOutcome:
    """Check a password; counts failures (lock-out after LOCK_AFTER_FAILURES) and limits tries per address.

    Every path checks one Argon2 hash, so the time taken does not tell whether the email has an account. The
    caller commits even when the attempt failed: the failure counts are the point.
    """
    now = clock.now()
    email = email.strip().lower()
    prune_attempts(db)
    recent_failures = db.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.address == address, ~LoginAttempt.succeeded, LoginAttempt.at > now - RATE_LIMIT_WINDOW)
    )
    account = find_account(db, email)
    matches = _password_matches(account.password_hash if account else _dummy(), password)
    attempt = LoginAttempt(email=email[:254], address=address[:64], at=now, succeeded=False)
    db.add(attempt)
    if (recent_failures or 0) >= RATE_LIMIT_FAILURES:
        record_login_event(db, "login_rate_limited", account=account, email=email, address=address, outcome="denied")
        return LoginOutcome(None, "Too many attempts from here. Wait a quarter of an hour, then try again.", 429)
    if account is None or account.disabled_at is not None:
        record_login_event(db, "login_failed", email=email, address=address, outcome="failed", detail="unknown account")
        return LoginOutcome(None, WRONG, 401)
    if account.locked_until is not None and account.locked_until > now:
        record_login_event(db, "login_locked", account=account, address=address, outcome="denied")
        until = account.locked_until.astimezone(clock.zone()).strftime("%H:%M")
        return LoginOutcome(
            None, f"This account is locked after too many wrong passwords. Try again after {until}.", 423
        )
    if not matches:
        account.failed_logins += 1
        record_login_event(db, "login_failed", account=account, address=address, outcome="failed")
        if account.failed_logins >= LOCK_AFTER_FAILURES:
            account.failed_logins = 0
            account.locked_until = now + LOCK_FOR
            record_login_event(db, "account_locked", account=account, address=address, outcome="denied")
        return LoginOutcome(None, WRONG, 401)
    account.failed_logins = 0
    account.locked_until = None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    attempt.succeeded = True
    db.flush()
    if not needs_second_factor(account):
        record_login_event(db, "login", account=account, address=address)  # else once the second factor is given
    return LoginOutcome(account)


# --- login sessions ------------------------------------------------------------------------------------------


def start_session(db: Session, account: Account, *, second_factor_done: bool, replacing: str | None = None) -> str:
    """A new login session with a fresh random id (the cookie's value); any session `replacing` names ends.

    A new id at every step (password, then second factor) means an id known before signing in is never valid
    after (no session fixation).
    """
    if replacing:
        end_session(db, replacing)
    token = new_token()
    now = clock.now()
    db.add(
        LoginSession(
            id_hash=token_hash(token),
            account_id=account.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE_TIMEOUT,
            second_factor_done=second_factor_done,
        )
    )
    db.flush()
    return token


def resolve_session(db: Session, token: str | None) -> tuple[LoginSession, Account] | None:
    """The live session a cookie names, and its account; None once idle or absolute time has run out."""
    if not token:
        return None
    # One query for both rows (every request of a clinic asks): the foreign key cascades, so a session's account
    # exists while the session does.
    found = db.execute(
        select(LoginSession, Account)
        .join(Account, Account.id == LoginSession.account_id)
        .where(LoginSession.id_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    login, account = found
    now = clock.now()
    if account.disabled_at is not None or now >= login.expires_at:
        db.delete(login)
        return None
    if now - login.last_seen_at >= IDLE_TIMEOUT:
        db.delete(login)
        return None
    if now - login.last_seen_at >= SEEN_EVERY:
        login.last_seen_at = now
    return login, account


def end_session(db: Session, token: str) -> None:
    db.execute(delete(LoginSession).where(LoginSession.id_hash == token_hash(token)))


def end_all_sessions(db: Session, account: Account) -> None:
    db.execute(delete(LoginSession).where(LoginSession.account_id == account.id))


# --- second factor -------------------------------------------------------------------------------------------


def begin_totp(db: Session, account: Account) -> str:
    """A new (not yet confirmed) TOTP secret for the account's authenticator app; its otpauth:// link."""
    account.totp_secret = pyotp.random_base32()
    account.totp_confirmed = False
    account.totp_last_step = None
    db.flush()
    return totp_uri(account)


def totp_uri(account: Account) -> str:
    """The otpauth:// link an authenticator app reads (from the QR code)."""
    return pyotp.TOTP(account.totp_secret or "").provisioning_uri(name=account.email, issuer_name=TOTP_ISSUER)


def totp_qr_svg(uri: str) -> str:
    """The otpauth link as an inline SVG QR code (segno; no image service)."""
    import segno

    return str(segno.make(uri, error="m").svg_inline(scale=5))


def _totp_step(account: Account, code: str) -> int | None:
    """The time step of a code from the app (now, or one step either side for a slow hand or clock), if it is
    newer than the last code accepted; None otherwise."""
    digits = code.replace(" ", "")
    if not account.totp_secret or not digits.isdigit():
        return None
    totp = pyotp.TOTP(account.totp_secret)
    now = clock.now()
    for offset in (-1, 0, 1):
        moment = now + timedelta(seconds=offset * totp.interval)
        step = int(totp.timecode(moment))
        if hmac.compare_digest(totp.at(moment), digits) and step > (account.totp_last_step or -1):
            return step
    return None


def confirm_totp(db: Session, account: Account, code: str, *, address: str = "") -> list[str]:
    """Turn the second factor on once a code from the app matches; the recovery codes (shown once)."""
    step = _totp_step(account, code)
    if step is None:
        raise UserInputError.single("code", "That code does not match. Type the six digits your app shows now.")
    account.totp_confirmed = True
    account.totp_last_step = step
    db.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]
    db.add_all(RecoveryCode(account_id=account.id, code_hash=token_hash(c)) for c in codes)
    db.flush()
    record_login_event(db, "totp_enabled", account=account, address=address)
    return codes


def verify_second_factor(db: Session, account: Account, code: str, *, address: str = "") -> bool:
    """A current code from the app, or an unused recovery code (then used up)."""
    step = _totp_step(account, code) if account.totp_confirmed else None
    if step is not None:
        account.totp_last_step = step
        db.flush()
        record_login_event(db, "login", account=account, address=address)
        return True
    wanted = token_hash(code.strip().lower())
    for recovery in db.scalars(
        select(RecoveryCode).where(RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))
    ):
        if hmac.compare_digest(recovery.code_hash, wanted):
            recovery.used_at = clock.now()
            db.flush()
            record_login_event(db, "recovery_code_used", account=account, address=address)
            record_login_event(db, "login", account=account, address=address)
            return True
    record_login_event(db, "second_factor_failed", account=account, address=address, outcome="failed")
    return False


# --- passwords -----------------------------------------------------------------------------------------------


def change_password(db: Session, account: Account, current: str, new: str, *, address: str = "") -> Account:
    if not _password_matches(account.password_hash, current):
        raise UserInputError.single("current_password", "That is not your current password.")
    account.password_hash = _hasher.hash(new)
    db.flush()
    record_login_event(db, "password_changed", account=account, address=address)
    return account


def issue_reset(db: Session, admin: Account, email: str, *, address: str = "") -> str:
    """A one-time reset link's token for the account with `email` (an admin passes it on in person)."""
    account = find_account(db, email)
    if account is None:
        raise UserInputError.single("email", "No account has this email.")
    token = new_token()
    now = clock.now()
    db.add(
        PasswordReset(
            token_hash=token_hash(token),
            account_id=account.id,
            issued_by_id=admin.id,
            created_at=now,
            expires_at=now + RESET_VALID_FOR,
        )
    )
    db.flush()
    record_login_event(db, "reset_issued", account=account, by=admin, address=address)
    return token


def _live_reset(db: Session, token: str) -> PasswordReset | None:
    reset = db.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    if reset is None or reset.used_at is not None or clock.now() >= reset.expires_at:
        return None
    return reset


def reset_is_valid(db: Session, token: str) -> bool:
    return _live_reset(db, token) is not None


def reset_password(db: Session, token: str, new: str, *, address: str = "") -> Account:
    """Set a new password with a reset link (once, before it expires); every session of the account ends."""
    reset = _live_reset(db, token)
    if reset is None:
        raise UserInputError.single("password", "This reset link has been used or has expired; ask for a new one.")
    account = db.get(Account, reset.account_id)
    assert account is not None  # the foreign key cascades
    reset.used_at = clock.now()
    account.password_hash = _hasher.hash(new)
    account.failed_logins = 0
    account.locked_until = None
    end_all_sessions(db, account)
    db.flush()
    record_login_event(db, "password_reset", account=account, address=address)
    return account


# --- invitations ---------------------------------------------------------------------------------------------


def invite(db: Session, inviter: Account, role: str, *, address: str = "") -> str:
    """A one-time sign-up token for `role`, if the inviter may bring in that role."""
    if role not in MAY_INVITE.get(inviter.role, ()):
        raise UserInputError.single("role", f"You cannot invite a {role} account.")
    token = new_token()
    now = clock.now()
    db.add(
        Invitation(
            token_hash=token_hash(token),
            role=role,
            invited_by_id=inviter.id,
            created_at=now,
            expires_at=now + INVITATION_VALID_FOR,
        )
    )
    db.flush()
    record_login_event(db, "invitation_made", by=inviter, address=address, detail=role)
    return token


def _live_invitation(db: Session, token: str) -> Invitation | None:
    found = db.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if found is None or found.used_at is not None or clock.now() >= found.expires_at:
        return None
    return found


def invitation_role(db: Session, token: str) -> str | None:
    """The role an unused, unexpired invitation is for; None for any other token."""
    found = _live_invitation(db, token)
    return found.role if found else None


# What a domain above accounts does when an invitation is accepted, and where a person goes after signing in:
# practice links a new client to the practitioner who invited them, and sends them to the consent page first.
# Registered by the clinic app (web/app.py); accounts cannot import those domains.
InvitationHook = Callable[[Session, Account, Account | None], None]
LandingHook = Callable[[Session, Account], str | None]
_invitation_hooks: list[InvitationHook] = []
_landing_hooks: list[LandingHook] = []


def on_invitation_accepted(hook: InvitationHook) -> None:
    if hook not in _invitation_hooks:
        _invitation_hooks.append(hook)


def on_person_landing(hook: LandingHook) -> None:
    if hook not in _landing_hooks:
        _landing_hooks.append(hook)


def person_landing(db: Session, account: Account) -> str:
    """Where a person account goes after signing in: a page a hook asks for (a consent to give), else home."""
    for hook in _landing_hooks:
        if where := hook(db, account):
            return where
    return "/"


def accept_invitation(db: Session, token: str, email: str, password: str, *, address: str = "") -> Account:
    invitation = _live_invitation(db, token)
    if invitation is None:
        raise UserInputError.single("email", "This invitation has been used or has expired; ask for a new one.")
    inviter = db.get(Account, invitation.invited_by_id)
    account = create_account(db, email=email, password=password, role=invitation.role, invited_by=inviter)
    invitation.used_at = clock.now()
    db.flush()
    record_login_event(db, "invitation_accepted", account=account, address=address)
    for hook in _invitation_hooks:
        hook(db, account, inviter)
    return account


def prune_attempts(db: Session, *, older_than: datetime | None = None) -> None:
    """Forget sign-in attempts past the rate-limit window (kept no longer than they are needed)."""
    cutoff = older_than or clock.now() - RATE_LIMIT_WINDOW
    db.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
