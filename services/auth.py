"""Staff accounts and sessions (RELIABILITY.md W3, W4).

- Passwords are hashed with argon2id at OWASP's recommended configuration (19 MiB, 2 passes, 1 lane: ≈20 ms
  of one core, where argon2-cffi's defaults, 64 MiB × 3 passes × 4 lanes, cost ≈170 ms and made the first
  sign-in on a busy 2-core server last over a second); hashes are upgraded at sign-in when the parameters move.
- A session is a row of ``web_session`` keyed by the SHA-256 of a random token; the browser holds the token
  in a ``Secure; HttpOnly; SameSite=Lax`` cookie (``__Host-`` prefixed when secure). A new token is issued at
  every login (rotation), the row is deleted at logout, and every session of a user dies when the account
  is disabled or its ``session_version`` moves on.
- Logins are throttled per (account, client address) and per client address, with growing delays: after
  ``OHMYLOT_LOGIN_MAX_FAILURES`` (5) failures of one account from one address within 15 minutes (or 4× that
  from one address for all accounts), the next attempt waits 30 s after the last failure, then 1 min, 2 min …
  up to 15 min. Never per account alone: an attacker elsewhere cannot lock the real user out. At sign-in the
  owner is told of the failed attempts on their account since their previous sign-in (docs/reliability.md).
- Roles: ``admin``, ``staff``, ``referent`` (sees the prospects of their territory only), ``employer``
  (sees only their own shortlists). A page someone may not see answers 404, not 403 (no enumeration).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from store.models import LoginAttempt, User, WebSession
from store.models import as_utc as _aware

ROLES = ("admin", "staff", "referent", "employer")
STAFF_ROLES = frozenset({"admin", "staff", "referent"})
THROTTLE_WINDOW = timedelta(minutes=15)
#: the first wait once the free failures are used up; each further failure doubles it, up to THROTTLE_WINDOW
FIRST_DELAY = timedelta(seconds=30)
#: a client address may fail this many times the per-account allowance (all accounts together)
IP_FACTOR = 4
#: failed attempts from which the account's owner is warned at their next sign-in
NOTICE_FROM = 3
ATTEMPTS_KEPT = timedelta(days=7)
PARIS = ZoneInfo("Europe/Paris")
# Refresh ``last_seen_at`` at most this often: a write per request would slow every page.
TOUCH_EVERY = timedelta(minutes=5)

# OWASP Password Storage Cheat Sheet: "Argon2id with a minimum configuration of 19 MiB of memory, an
# iteration count of 2, and 1 degree of parallelism". A stronger old hash is still accepted, then re-hashed.
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PASSES = 2
ARGON2_LANES = 1
_hasher = PasswordHasher(time_cost=ARGON2_PASSES, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_LANES)
# A hash to verify against when the address is unknown, so that timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class NotAuthenticated(Exception):
    """No valid session: pages redirect to /login, the API answers 401."""


class NotFoundForRole(Exception):
    """The signed-in user may not see this: answered as a plain 404 (W4)."""


class LoginThrottled(Exception):
    """Too many failed logins recently from this address (for this account, or for all accounts)."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(f"réessayez dans {wait_text(wait)}")
        self.wait = wait


def wait_text(wait: timedelta) -> str:
    """A wait as people read it: ``30 s``, ``4 min``."""
    seconds = max(1, int(wait.total_seconds() + 0.999))
    return f"{seconds} s" if seconds < 90 else f"{round(seconds / 60)} min"


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (constant work even when there is no hash)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password to print once (about 96 bits)."""
    return secrets.token_urlsafe(12)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def cookie_name(secure: bool) -> str:
    """``__Host-`` cookies must be Secure, path=/ and host-only: browsers then refuse any override."""
    return "__Host-ohmylot_session" if secure else "ohmylot_session"


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)




@dataclass
class CurrentUser:
    """The signed-in user and their session (what routes receive).

    Plain values are copied at sign-in time so that error pages can still show them after the request's
    database session has been rolled back.
    """

    user: User
    session: WebSession
    id: int = 0
    role: str = ""
    email: str = ""
    display_name: str = ""
    csrf_token: str = ""
    territory: list[str] | None = None
    login_notice: str | None = None

    def __post_init__(self) -> None:
        self.id = self.user.id
        self.role = self.user.role
        self.email = self.user.email
        self.display_name = self.user.full_name or self.user.email
        self.csrf_token = self.session.csrf_token
        self.login_notice = self.session.notice
        self.territory = [str(code) for code in (self.user.territory or [])]

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


# --------------------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------------------


def create_user(
    session: Session,
    email: str,
    *,
    role: str,
    password: str,
    full_name: str | None = None,
    territory: list[str] | None = None,
    employer_id: int | None = None,
    phone: str | None = None,
) -> User:
    """Create an account; raises ``ValueError`` with a French message on bad input."""
    email = normalize_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        raise ValueError(f"adresse e-mail invalide : {email!r}")
    if role not in ROLES:
        raise ValueError(f"rôle inconnu : {role!r} (admin, staff, referent ou employer)")
    if len(password) < 12:
        raise ValueError("mot de passe trop court : au moins 12 caractères")
    if role == "referent" and not territory:
        raise ValueError("un référent a besoin d'un territoire (--territory SIREN_EPCI,...)")
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise ValueError(f"un compte existe déjà pour {email}")
    user = User(
        email=email,
        full_name=full_name,
        password_hash=hash_password(password),
        role=role,
        territory=list(territory or []),
        employer_id=employer_id,
        phone=(phone or "").strip()[:32] or None,
        active=True,
        session_version=0,
    )
    session.add(user)
    session.flush()
    return user


def disable_user(session: Session, user: User) -> None:
    """Disable an account and kill all its sessions at once."""
    user.active = False
    user.session_version = (user.session_version or 0) + 1
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


# --------------------------------------------------------------------------------------------------
# Login, sessions
# --------------------------------------------------------------------------------------------------


def throttle_delay(failures: int, free: int) -> timedelta:
    """How long to wait after the last failure once ``failures`` reached ``free``: 30 s, 1 min, 2 min … 15 min."""
    if failures < free:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - free, 16), THROTTLE_WINDOW)


def _failures(session: Session, since: datetime, *conditions: object) -> tuple[int, datetime | None]:
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.at >= since, LoginAttempt.success.is_(False), *conditions
        )
    ).one()
    return int(count or 0), _aware(last)


def check_throttle(
    session: Session, email: str, ip: str | None, *, max_failures: int, now: datetime | None = None
) -> None:
    """Raise ``LoginThrottled`` when this (account, address) pair, or this address, must wait.

    Failures are counted per (account, client address) and per client address, never per account alone:
    someone failing from elsewhere cannot lock the real user out (ASVS 5.0 V6.1.1, docs/reliability.md)."""
    now = now or _now()
    since = now - THROTTLE_WINDOW
    ip_condition = LoginAttempt.ip == ip if ip else LoginAttempt.ip.is_(None)
    checks = [(_failures(session, since, LoginAttempt.email == normalize_email(email), ip_condition), max_failures)]
    if ip:
        checks.append((_failures(session, since, ip_condition), max_failures * IP_FACTOR))
    wait = timedelta(0)
    for (count, last), free in checks:
        if last is not None:
            wait = max(wait, last + throttle_delay(count, free) - now)
    if wait > timedelta(0):
        raise LoginThrottled(wait)


def authenticate(
    session: Session, email: str, password: str, *, ip: str | None, max_failures: int, now: datetime | None = None
) -> User | None:
    """Check a login; records the attempt; raises ``LoginThrottled`` before checking when throttled (the
    refused attempt counts as a failure: hammering makes the wait grow)."""
    now = now or _now()
    email = normalize_email(email)
    ip = (ip or "")[:64] or None
    try:
        check_throttle(session, email, ip, max_failures=max_failures, now=now)
    except LoginThrottled:
        session.add(LoginAttempt(email=email[:320], ip=ip, at=now, success=False))
        raise
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
    session.add(LoginAttempt(email=email[:320], ip=ip, at=now, success=bool(ok)))
    # Attempts are kept a week: the throttle needs 15 minutes, the notice to the account's owner more.
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - ATTEMPTS_KEPT))
    if not ok or user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user


def failed_login_notice(session: Session, email: str) -> str | None:
    """After a successful login: the warning owed to the account's owner when there were at least
    ``NOTICE_FROM`` failed attempts on their account since their previous sign-in (or in the last week)."""
    email = normalize_email(email)
    successes = list(session.scalars(
        select(LoginAttempt.at).where(LoginAttempt.email == email, LoginAttempt.success.is_(True))
        .order_by(LoginAttempt.at.desc()).limit(2)
    ))
    conditions = [LoginAttempt.email == email, LoginAttempt.success.is_(False)]
    if len(successes) > 1:
        conditions.append(LoginAttempt.at > successes[1])
    count, last = session.execute(select(func.count(), func.max(LoginAttempt.at)).where(*conditions)).one()
    if not count or count < NOTICE_FROM:
        return None
    addresses = session.scalar(select(func.count(func.distinct(LoginAttempt.ip))).where(*conditions)) or 0
    last_at = _aware(last).astimezone(PARIS).strftime("%d/%m/%Y à %H:%M") if last else "—"
    return (
        f"{count} tentatives de connexion échouées sur votre compte depuis votre dernière connexion "
        f"(depuis {addresses} adresse(s), la dernière le {last_at}). Si ce n'était pas vous, prévenez "
        "l'administrateur et changez votre mot de passe."
    )


def open_session(
    session: Session,
    user: User,
    *,
    hours: float,
    user_agent: str | None = None,
    notice: str | None = None,
    now: datetime | None = None,
) -> str:
    """Start a new session for ``user`` and return the cookie token (never stored in clear)."""
    now = now or _now()
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=_token_id(token),
            user_id=user.id,
            session_version=user.session_version or 0,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=hours),
            user_agent=(user_agent or "")[:300] or None,
            notice=notice,
        )
    )
    # Expired sessions of anyone are garbage: drop them while we are here.
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    return token


def close_session(session: Session, token: str | None) -> None:
    """Delete the session behind ``token`` (logout): replaying the cookie then fails."""
    if token:
        session.execute(delete(WebSession).where(WebSession.id == _token_id(token)))


def load_session(session: Session, token: str | None, *, hours: float, now: datetime | None = None) -> CurrentUser:
    """The user behind a cookie token, or ``NotAuthenticated``; slides the expiry on activity."""
    if not token or len(token) > 200:
        raise NotAuthenticated
    now = now or _now()
    row = session.get(WebSession, _token_id(token))
    if row is None:
        raise NotAuthenticated
    user = session.get(User, row.user_id)
    if (
        user is None
        or not user.active
        or row.session_version != (user.session_version or 0)
        or _aware(row.expires_at) <= now
    ):
        session.delete(row)
        raise NotAuthenticated
    if now - _aware(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
        row.expires_at = now + timedelta(hours=hours)
    return CurrentUser(user=user, session=row)
