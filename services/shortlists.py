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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from services import documents, mail
from services.audit import record
from services.documents import CONTRACT_LABELS
from services.followup import AnswerNotice, answer_notice_text
from services.followup import person_name as _name
from services.letters import Signer, compose, signer_of
from services.pdf import html_to_pdf
from services.reference import area_text
from services.settings import WebSettings
from services.signing import key_ring
from store.models import Candidate, Offer, Shortlist, ShortlistEntry, User
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
    mobility: str | None = None
    contracts: list[str] = []
    answer: Literal["interested", "not_interested"] | None
    comment: str | None


class ShortlistPublic(BaseModel):
    """A shortlist as the employer sees it (page, PDF and e-mail are all made from this)."""

    offer_title: str
    employer_name: str | None
    commune_name: str | None
    approved_by: str | None
    expires_at: datetime | None
    offer_url: str | None = None
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
    twice = already_proposed(session, offer.id)
    repeated = [candidates[i] for i in ids if i in twice]
    if repeated:
        names = ", ".join(f"{_name(c)} (liste n° {twice[c.id]})" for c in repeated)
        raise ShortlistError(f"déjà proposé(e) pour cette offre : {names}")
    refused = [candidates[i] for i in ids if not _shareable(candidates[i])]
    if refused:
        names = ", ".join(_name(c) for c in refused)
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
    if not shortlist.recipient_email:
        raise ShortlistError(
            "indiquez d'abord l'adresse de l'employeur : l'approbation porte aussi sur le destinataire"
        )
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
                mobility=area_text(candidate.target_area, candidate.radius_km),
                contracts=[CONTRACT_LABELS.get(c, c) for c in candidate.contract_types or []],
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
        offer_url=f"/offres/{offer.id}" if offer and offer.published and offer.status == "open" else None,
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
    if not any(answer in {"interested", "not_interested"} for answer, _ in answers.values()):
        raise ShortlistError("Choisissez « Intéressé » ou « Pas intéressé » pour au moins une personne.")
    changed = 0
    now = _now()
    for entry_id, (answer, comment) in answers.items():
        entry = entries[entry_id]
        answer = answer if answer in {"interested", "not_interested"} else None
        comment = (comment or "").strip()[:4000] or None
        if answer is None and comment is None:
            continue
        if answer is not None:
            if answer != entry.answer:
                entry.answer_seen_at = None  # a new or changed answer is "new" on the to-do page again
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


def _message(
    view: ShortlistPublic, *, link: str, recipient: str, settings: WebSettings, pdf: bytes, signer: Signer
) -> EmailMessage:
    """The shortlist e-mail, in the name of ``signer`` (Reply-To, signature, phone), with the PDF."""
    context = {"view": view, "link": link, "signer": signer}
    message = compose(
        to=[recipient],
        subject=f"Oh my Lot ! — candidats pour votre offre « {view.offer_title} »",
        text=documents.render("shortlist_email.txt", **context),
        html=documents.render("shortlist_email.html", **context),
        signer=signer,
        from_address=settings.smtp_from,
    )
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="candidats-oh-my-lot.pdf")
    return message


def deliver(message: EmailMessage, settings: WebSettings) -> None:
    """Send one message through ``services.mail`` with the web app's SMTP settings; failures as ``ShortlistError``."""
    try:
        mail.send(message, mail.MailSettings.of_web(settings))
    except mail.MailNotConfigured as exc:
        raise ShortlistError("aucun serveur d'envoi configuré (OHMYLOT_SMTP_HOST)") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise ShortlistError(f"l'envoi du courriel a échoué ({type(exc).__name__} : {exc})") from exc


def send_shortlist(
    session: Session, shortlist: Shortlist, settings: WebSettings, *, actor: str, now: datetime | None = None,
    sender: User | None = None,
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
    message = _message(view, link=link, recipient=shortlist.recipient_email, settings=settings, pdf=pdf,
                       signer=signer_of(sender))
    deliver(message, settings)
    shortlist.status = "sent"
    shortlist.sent_at = now
    record(session, actor, "shortlist_sent", "shortlist", shortlist.id,
           {"recipient": shortlist.recipient_email, "approved_by": shortlist.approved_by,
            "expires_at": shortlist.link_expires_at.isoformat() if shortlist.link_expires_at else None})
    return SendResult(link=link, recipient=shortlist.recipient_email, pdf_bytes=len(pdf))


def notify_followers(session: Session, settings: WebSettings, notices: list[AnswerNotice]) -> int:
    """E-mail each prospect's référent (or the proposer) about an employer's answer; returns how many left.

    The employer's answer is already saved: a mail failure is audited, never shown to the employer."""
    sent = 0
    base = settings.public_url.rstrip("/")
    for notice in notices:
        subject, text = answer_notice_text(notice, base)
        message = compose(to=[notice.to], subject=subject, text=text, signer=signer_of(None),
                          from_address=settings.smtp_from)
        try:
            deliver(message, settings)
        except ShortlistError as exc:
            record(session, "employer-link", "answer_notice_failed", "shortlist", notice.shortlist_id,
                   {"to": notice.to, "reason": str(exc)})
        else:
            sent += 1
            record(session, "employer-link", "answer_notice_sent", "shortlist", notice.shortlist_id,
                   {"to": notice.to, "candidate": notice.candidate.id})
    session.commit()
    return sent


def suggested_recipient(session: Session, offer: Offer) -> str:
    """The employer's contact for an offer: the employer's address, else its network member's contact,
    else the address of the last shortlist sent for this employer."""
    from store.models import NetworkMember

    if offer.employer is not None and offer.employer.contact_email:
        return offer.employer.contact_email
    if offer.employer_id:
        member = session.scalar(
            select(NetworkMember.contact_email).where(NetworkMember.employer_id == offer.employer_id)
        )
        if member:
            return member
    previous = select(Shortlist.recipient_email).where(Shortlist.recipient_email.is_not(None))
    previous = previous.where(
        Shortlist.employer_id == offer.employer_id if offer.employer_id else Shortlist.offer_id == offer.id
    )
    return session.scalar(previous.order_by(Shortlist.created_at.desc()).limit(1)) or ""


def already_proposed(session: Session, offer_id: int) -> dict[int, int]:
    """Prospect id → shortlist id, for the prospects already in a shortlist of this offer."""
    rows = session.execute(
        select(ShortlistEntry.candidate_id, ShortlistEntry.shortlist_id)
        .join(Shortlist, Shortlist.id == ShortlistEntry.shortlist_id)
        .where(Shortlist.offer_id == offer_id)
    )
    return {candidate_id: shortlist_id for candidate_id, shortlist_id in rows}


def tell_new_referent(
    session: Session, settings: WebSettings, referent: User, members: list[Candidate], note: str, *,
    sender: User | None,
) -> bool:
    """E-mail the référent a household was just handed to (False when it could not leave)."""
    names = " et ".join(_name(m) for m in members)
    base = settings.public_url.rstrip("/")
    text = "\n".join([
        f"Bonjour {referent.full_name or ''},".replace(" ,", ","),
        "",
        f"Je vous confie le suivi de {names}.",
        "",
        f"Ma note : {note.strip()}",
        "",
        *(f"{_name(m)} : {base}/equipe/prospects/{m.id}" for m in members),
    ])
    message = compose(to=[referent.email], subject=f"Un foyer vous est confié : {names}", text=text,
                      signer=signer_of(sender), from_address=settings.smtp_from)
    try:
        deliver(message, settings)
    except ShortlistError as exc:
        record(session, sender.email if sender else None, "handover_notice_failed", "app_user", referent.id,
               {"reason": str(exc)})
        session.commit()
        return False
    return True
