"""Shortlists for employers: build, preview, approve (P5), send by e-mail with a PDF, signed links (W5).

- Only prospects who consented to share their profile can enter a shortlist, and they must still consent
  when it is approved, sent and shown (P2).
- No shortlist leaves without the approval of a named staff member, recorded with the time; sending
  records the recipient (audit rows ``shortlist_approved``, ``shortlist_sent``).
- What the employer sees (page, PDF, e-mail) is built from one allowlisted schema, ``ShortlistPublic``:
  first name, last-name initial, the job-search profile; no contact details, no notes.
- The link is an itsdangerous token (salted) carrying the shortlist id and a random nonce only — no
  personal data. The nonce, the expiry and the revocation live in the ``shortlist`` row: a tampered token
  gives 404; an expired, revoked or superseded one gives 410. Every access is audited.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from services import documents
from services.audit import record
from services.pdf import html_to_pdf
from services.settings import WebSettings
from services.signing import key_ring
from store.models import Candidate, Offer, Shortlist, ShortlistEntry
from store.models import as_utc as _aware

LINK_SALT = "ohmylot.employer-link.v1"


class ShortlistCandidatePublic(BaseModel):
    """What an employer sees of one prospect: an allowlist, no contact details (staff put them in touch)."""

    entry_id: int
    first_name: str
    last_initial: str
    desired_jobs: str | None
    skills: str | None
    experience_years: float | None
    experience_level: str | None
    diplomas: str | None
    languages: str | None
    driving_licence: bool | None
    available_from: date | None
    current_place: str | None
    answer: Literal["interested", "not_interested"] | None
    comment: str | None


class ShortlistPublic(BaseModel):
    """A shortlist as the employer sees it (page, PDF and e-mail are all made from this)."""

    offer_title: str
    employer_name: str | None
    commune_name: str | None
    approved_by: str | None
    expires_at: datetime | None
    candidates: list[ShortlistCandidatePublic]


class ShortlistError(ValueError):
    """A shortlist action that cannot be done; the message is French, for staff."""


class LinkNotFound(Exception):
    """Tampered or unknown token (404)."""


class LinkGone(Exception):
    """Expired, revoked or superseded link (410)."""


def _now() -> datetime:
    return datetime.now(UTC)




def _shareable(candidate: Candidate | None) -> bool:
    return candidate is not None and bool(candidate.consent_share) and candidate.anonymized_at is None


# --------------------------------------------------------------------------------------------------
# Building, approving
# --------------------------------------------------------------------------------------------------


def build_shortlist(
    session: Session,
    offer_id: int,
    candidate_ids: list[int],
    *,
    created_by: str,
    recipient_email: str | None,
) -> Shortlist:
    """A draft shortlist; refuses prospects without consent to share (P2)."""
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise ShortlistError("offre introuvable")
    ids = list(dict.fromkeys(candidate_ids))
    if not ids:
        raise ShortlistError("choisissez au moins un prospect")
    candidates = {c.id: c for c in session.scalars(select(Candidate).where(Candidate.id.in_(ids)))}
    missing = [i for i in ids if i not in candidates]
    if missing:
        raise ShortlistError(f"prospect(s) introuvable(s) : {', '.join(map(str, missing))}")
    refused = [candidates[i] for i in ids if not _shareable(candidates[i])]
    if refused:
        names = ", ".join(f"{c.first_name or ''} {c.last_name or ''}".strip() or f"n° {c.id}" for c in refused)
        raise ShortlistError(f"sans consentement au partage du profil, impossible de proposer : {names}")
    recipient = (recipient_email or "").strip() or (offer.employer.contact_email if offer.employer else None)
    if recipient and ("@" not in recipient or " " in recipient):
        raise ShortlistError(f"adresse du destinataire invalide : {recipient}")
    shortlist = Shortlist(
        offer_id=offer.id,
        employer_id=offer.employer_id,
        recipient_email=recipient or None,
        created_by=created_by,
        status="draft",
    )
    shortlist.entries = [ShortlistEntry(candidate_id=i) for i in ids]
    session.add(shortlist)
    session.flush()
    record(session, created_by, "shortlist_created", "shortlist", shortlist.id,
           {"offer_id": offer.id, "candidates": ids})
    return shortlist


def _check_consents(session: Session, shortlist: Shortlist) -> None:
    ids = [e.candidate_id for e in shortlist.entries]
    candidates = {c.id: c for c in session.scalars(select(Candidate).where(Candidate.id.in_(ids)))}
    refused = [i for i in ids if not _shareable(candidates.get(i))]
    if refused:
        raise ShortlistError(
            "un prospect a retiré son consentement au partage depuis la préparation : refaites la liste"
        )


def approve_shortlist(session: Session, shortlist: Shortlist, *, approver: str, now: datetime | None = None) -> None:
    """Record the named approval (P5): who and when."""
    approver = approver.strip()
    if len(approver) < 3:
        raise ShortlistError("indiquez le nom de la personne qui approuve la liste")
    if shortlist.status == "sent":
        raise ShortlistError("cette liste est déjà envoyée")
    _check_consents(session, shortlist)
    shortlist.approved_by = approver[:320]
    shortlist.approved_at = now or _now()
    shortlist.status = "approved"
    record(session, approver, "shortlist_approved", "shortlist", shortlist.id,
           {"recipient": shortlist.recipient_email, "candidates": len(shortlist.entries)})


# --------------------------------------------------------------------------------------------------
# What the employer sees
# --------------------------------------------------------------------------------------------------


def public_view(session: Session, shortlist: Shortlist) -> ShortlistPublic:
    """The allowlisted view of a shortlist (the page, the PDF and the e-mail all use it)."""
    offer = session.get(Offer, shortlist.offer_id)
    ids = [e.candidate_id for e in shortlist.entries]
    candidates = {c.id: c for c in session.scalars(select(Candidate).where(Candidate.id.in_(ids)))}
    shown = []
    for entry in sorted(shortlist.entries, key=lambda e: e.id or 0):
        candidate = candidates.get(entry.candidate_id)
        if not _shareable(candidate):
            continue  # consent withdrawn: the employer no longer sees this person
        assert candidate is not None
        shown.append(
            ShortlistCandidatePublic(
                entry_id=entry.id,
                first_name=(candidate.first_name or "").strip() or "Candidat",
                last_initial=((candidate.last_name or "").strip()[:1].upper() + ".") if candidate.last_name else "",
                desired_jobs=candidate.desired_jobs,
                skills=candidate.skills,
                experience_years=candidate.experience_years,
                experience_level=candidate.experience_level,
                diplomas=candidate.diplomas,
                languages=candidate.languages,
                driving_licence=candidate.driving_licence,
                available_from=candidate.available_from,
                current_place=candidate.current_place,
                answer=entry.answer if entry.answer in {"interested", "not_interested"} else None,
                comment=entry.comment,
            )
        )
    return ShortlistPublic(
        offer_title=(offer.title_clean or offer.title) if offer else "Offre",
        employer_name=offer.employer_name if offer else None,
        commune_name=offer.commune_name if offer else None,
        approved_by=shortlist.approved_by,
        expires_at=_aware(shortlist.link_expires_at),
        candidates=shown,
    )


# --------------------------------------------------------------------------------------------------
# Links
# --------------------------------------------------------------------------------------------------


def _serializer(settings: WebSettings) -> URLSafeTimedSerializer:
    assert settings.secret_key, "settings must be checked first"
    # signs with the current key; the previous keys of a rotation still verify (services/signing.py)
    return URLSafeTimedSerializer(key_ring(settings.secret_key), salt=LINK_SALT)


def issue_link(shortlist: Shortlist, settings: WebSettings, *, now: datetime | None = None) -> str:
    """A new link token for the shortlist (any earlier link stops working: new nonce)."""
    now = now or _now()
    shortlist.link_nonce = secrets.token_urlsafe(24)
    shortlist.link_expires_at = now + timedelta(days=settings.employer_link_days)
    shortlist.link_revoked_at = None
    return _serializer(settings).dumps([shortlist.id, shortlist.link_nonce])


def revoke_link(session: Session, shortlist: Shortlist, *, actor: str, now: datetime | None = None) -> None:
    shortlist.link_revoked_at = now or _now()
    record(session, actor, "shortlist_link_revoked", "shortlist", shortlist.id)


def resolve_link(
    session: Session, token: str, settings: WebSettings, *, ip: str | None = None, now: datetime | None = None
) -> Shortlist:
    """The shortlist a token opens, or ``LinkNotFound`` / ``LinkGone``; every outcome is audited."""
    now = now or _now()
    serializer = _serializer(settings)
    max_age = int(timedelta(days=settings.employer_link_days + 1).total_seconds())
    try:
        shortlist_id, nonce = serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        payload = exc.payload if isinstance(exc.payload, list) else None
        record(session, "employer-link", "employer_link_expired", "shortlist",
               payload[0] if payload else None, {"ip": ip})
        raise LinkGone from exc
    except (BadSignature, ValueError, TypeError) as exc:
        record(session, "employer-link", "employer_link_invalid", None, None, {"ip": ip})
        raise LinkNotFound from exc
    shortlist = session.get(Shortlist, shortlist_id) if isinstance(shortlist_id, int) else None
    if shortlist is None or shortlist.status not in {"approved", "sent"} or not shortlist.link_nonce:
        record(session, "employer-link", "employer_link_invalid", "shortlist", shortlist_id, {"ip": ip})
        raise LinkNotFound
    if not secrets.compare_digest(str(nonce), shortlist.link_nonce):
        record(session, "employer-link", "employer_link_superseded", "shortlist", shortlist.id, {"ip": ip})
        raise LinkGone
    expires = _aware(shortlist.link_expires_at)
    if shortlist.link_revoked_at is not None or (expires is not None and expires <= now):
        outcome = "revoked" if shortlist.link_revoked_at is not None else "expired"
        record(session, "employer-link", f"employer_link_{outcome}", "shortlist", shortlist.id, {"ip": ip})
        raise LinkGone
    record(session, "employer-link", "employer_link_opened", "shortlist", shortlist.id, {"ip": ip})
    return shortlist


def save_answers(
    session: Session, shortlist: Shortlist, answers: dict[int, tuple[str | None, str | None]], *, actor: str
) -> int:
    """Store the employer's answers (entry id → (answer, comment)); unknown entries raise ``LinkNotFound``."""
    entries = {e.id: e for e in shortlist.entries}
    unknown = [entry_id for entry_id in answers if entry_id not in entries]
    if unknown:
        raise LinkNotFound  # an entry of another shortlist: not yours (W5)
    changed = 0
    now = _now()
    for entry_id, (answer, comment) in answers.items():
        entry = entries[entry_id]
        answer = answer if answer in {"interested", "not_interested"} else None
        comment = (comment or "").strip()[:4000] or None
        if answer is None and comment is None:
            continue
        if answer is not None:
            entry.answer = answer
        entry.comment = comment
        entry.answered_at = now
        changed += 1
    record(session, actor, "employer_answered", "shortlist", shortlist.id, {"entries": changed})
    return changed


# --------------------------------------------------------------------------------------------------
# PDF and e-mail
# --------------------------------------------------------------------------------------------------


def shortlist_pdf(view: ShortlistPublic) -> bytes:
    """The shortlist as a PDF (WeasyPrint), made from the allowlisted view; fetches nothing."""
    return html_to_pdf(documents.render("shortlist_pdf.html", view=view))


@dataclass
class SendResult:
    link: str
    recipient: str
    pdf_bytes: int


def _message(view: ShortlistPublic, *, link: str, recipient: str, settings: WebSettings, pdf: bytes) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"Oh my Lot ! — candidats pour votre offre « {view.offer_title} »"
    message["From"] = settings.smtp_from
    message["To"] = recipient
    text = documents.render("shortlist_email.txt", view=view, link=link)
    message.set_content(text)
    html = documents.render("shortlist_email.html", view=view, link=link)
    message.add_alternative(html, subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="candidats-oh-my-lot.pdf")
    return message


def deliver(message: EmailMessage, settings: WebSettings) -> None:
    """Send one message through the configured SMTP server."""
    if not settings.smtp_host:
        raise ShortlistError("aucun serveur d'envoi configuré (OHMYLOT_SMTP_HOST)")
    try:
        if settings.smtp_ssl:
            context = ssl.create_default_context()
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
        with client:
            if not settings.smtp_ssl and settings.smtp_starttls:
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise ShortlistError(f"l'envoi du courriel a échoué ({type(exc).__name__} : {exc})") from exc


def send_shortlist(
    session: Session, shortlist: Shortlist, settings: WebSettings, *, actor: str, now: datetime | None = None
) -> SendResult:
    """Send an approved shortlist: new link, PDF, e-mail; refused without a named approval (P5)."""
    if shortlist.status not in {"approved", "sent"} or not shortlist.approved_by or not shortlist.approved_at:
        raise ShortlistError("la liste doit être approuvée par un membre de l'équipe avant l'envoi")
    if not shortlist.recipient_email:
        raise ShortlistError("aucun destinataire : indiquez l'adresse de l'employeur")
    _check_consents(session, shortlist)
    now = now or _now()
    token = issue_link(shortlist, settings, now=now)
    link = f"{settings.public_url.rstrip('/')}/employeur/{token}"
    view = public_view(session, shortlist)
    pdf = shortlist_pdf(view)
    deliver(_message(view, link=link, recipient=shortlist.recipient_email, settings=settings, pdf=pdf), settings)
    shortlist.status = "sent"
    shortlist.sent_at = now
    record(session, actor, "shortlist_sent", "shortlist", shortlist.id,
           {"recipient": shortlist.recipient_email, "approved_by": shortlist.approved_by,
            "expires_at": shortlist.link_expires_at.isoformat() if shortlist.link_expires_at else None})
    return SendResult(link=link, recipient=shortlist.recipient_email, pdf_bytes=len(pdf))
