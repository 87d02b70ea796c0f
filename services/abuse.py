"""Public forms resist abuse (docs/reliability.md R7; ASVS 5.0 V2.4.1): rate limits, honeypot, fill time.

Every submission of a public form is a ``form_event`` row (accepted, or refused with its reason), so the
limits hold across processes and staff see the refusals (``refusal_counts``, page ``/equipe/securite``).

- ``member_link`` (``/membre/lien``, a sign-in link by e-mail): at most ``per_email`` (3) e-mails per address
  per hour and ``per_ip`` (10) requests per client address per hour; a refused request gets the same answer
  as an accepted one (no enumeration, no flooded mailbox).
- ``network_join`` (``/reseau/adherer``): a honeypot field people never see (``site_web``), a minimum fill
  time (``min_seconds``, 3 s, from a signed stamp put in the form when it is shown) and ``per_ip`` (5) per hour.
No third-party CAPTCHA: nothing leaves our servers.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from store.models import FormEvent, utcnow

WINDOW = timedelta(hours=1)
HONEYPOT_FIELD = "site_web"
STAMP_FIELD = "form_stamp"
KEPT = timedelta(days=30)


@dataclass(frozen=True)
class FormPolicy:
    per_ip: int
    per_email: int | None = None
    min_seconds: float = 0.0
    honeypot: bool = False


POLICIES = {
    "member_link": FormPolicy(per_ip=10, per_email=3),
    "network_join": FormPolicy(per_ip=5, min_seconds=3.0, honeypot=True),
}
FORM_LABELS = {"member_link": "lien de connexion des membres", "network_join": "adhésion au réseau"}
REFUSAL_LABELS = {
    "rate_ip": "trop de demandes depuis une même adresse",
    "rate_email": "trop de demandes pour un même courriel",
    "honeypot": "champ piège rempli (robot)",
    "too_fast": "formulaire rempli trop vite (robot)",
    "no_stamp": "formulaire sans horodatage valide",
}


def form_stamp(secret: str, *, shown_at: float | None = None) -> str:
    """The signed moment a form was shown (put in a hidden field)."""
    return URLSafeTimedSerializer(secret, salt="form-stamp").dumps(time.time() if shown_at is None else shown_at)


def carried_stamp(secret: str, fields: dict[str, str]) -> str:
    """The stamp to put back in a form shown again with its errors: the one it was first shown with, so that
    a person who fixes one field and sends it again within seconds is not taken for a robot."""
    stamp = fields.get(STAMP_FIELD)
    return stamp if stamp and _filled_in(secret, stamp) is not None else form_stamp(secret)


def _filled_in(secret: str, stamp: str | None) -> float | None:
    """Seconds since the form was shown, or None when the stamp is missing, forged or older than a day."""
    if not stamp:
        return None
    try:
        shown = URLSafeTimedSerializer(secret, salt="form-stamp").loads(stamp, max_age=86400)
    except (BadSignature, ValueError):
        return None
    return time.time() - float(shown)


def email_key(secret: str, email: str) -> str:
    """A keyed hash of an e-mail: the rate limit needs to recognise it, not to read it."""
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def check_form(
    session: Session,
    form: str,
    *,
    ip: str | None,
    secret: str,
    email: str | None = None,
    fields: dict[str, str] | None = None,
    now: datetime | None = None,
) -> str | None:
    """Judge one submission of ``form``: None when accepted, else the refusal reason; recorded either way."""
    policy = POLICIES[form]
    now = now or utcnow()
    fields = fields or {}
    ip = (ip or "")[:64] or None
    key = email_key(secret, email) if email else None
    reason = None
    if policy.honeypot and fields.get(HONEYPOT_FIELD, "").strip():
        reason = "honeypot"
    elif policy.min_seconds:
        elapsed = _filled_in(secret, fields.get(STAMP_FIELD))
        if elapsed is None:
            reason = "no_stamp"
        elif elapsed < policy.min_seconds:
            reason = "too_fast"
    if reason is None:
        reason = _over_limit(session, form, policy, ip, key, now)
    session.add(FormEvent(form=form, ip=ip, email_hash=key, at=now, refused=reason))
    session.flush()
    return reason


def _over_limit(session: Session, form: str, policy: FormPolicy, ip: str | None, key: str | None,
                now: datetime) -> str | None:
    accepted = select(func.count()).select_from(FormEvent).where(
        FormEvent.form == form, FormEvent.at >= now - WINDOW, FormEvent.refused.is_(None))
    if ip and (session.scalar(accepted.where(FormEvent.ip == ip)) or 0) >= policy.per_ip:
        return "rate_ip"
    if key and policy.per_email and (session.scalar(accepted.where(FormEvent.email_hash == key)) or 0) >= (
            policy.per_email):
        return "rate_email"
    return None


def refusal_counts(session: Session, *, since: datetime) -> list[tuple[str, str, int]]:
    """Refusals since ``since``: (form label, reason label, count), most frequent first."""
    rows = session.execute(
        select(FormEvent.form, FormEvent.refused, func.count())
        .where(FormEvent.at >= since, FormEvent.refused.is_not(None))
        .group_by(FormEvent.form, FormEvent.refused)
        .order_by(func.count().desc())
    ).all()
    return [(FORM_LABELS.get(form, form), REFUSAL_LABELS.get(reason, reason), count) for form, reason, count in rows]


def forget_old_events(session: Session, *, now: datetime | None = None) -> None:
    """Submissions are kept 30 days (client addresses are personal data)."""
    session.execute(delete(FormEvent).where(FormEvent.at < (now or utcnow()) - KEPT))
