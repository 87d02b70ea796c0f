"""Offer selections e-mailed to a prospect, and unsubscribing.

Offers staff pick from a prospect's matches are e-mailed with links to the public board and an unsubscribe
link (``unsubscribe``); logged on the prospect's path. ``Candidate.unsubscribed_at`` stops every later
selection and digest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import mail
from services.letters import Signer, sender_for, text_to_html
from services.network.common import (
    NetworkError,
    OutreachSettings,
    sign,
)
from store.audit import audit
from store.candidates import record_consent
from store.models import (
    Candidate,
    CandidateStatus,
    Offer,
    OfferSelection,
    utcnow,
)


def unsubscribe_link(settings: OutreachSettings, candidate_id: int) -> str:
    token = sign(settings.key(), "unsubscribe", {"c": candidate_id})
    return f"{settings.base_url()}/desinscription/{token}"


def unsubscribe(session: Session, candidate_id: int, *, actor: str = "prospect", now: datetime | None = None) -> bool:
    """Stop every selection, digest and shortlist for a prospect; returns False when already unsubscribed.

    Recorded as the prospects area records it (``store.candidates.record_consent``): the consent to be
    contacted is withdrawn, which withdraws the consent to share the profile and sets ``unsubscribed_at``.
    """
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NetworkError("Lien inconnu.")
    if candidate.unsubscribed_at is not None:
        return False
    now = now or utcnow()
    record_consent(session, candidate, "contact", False, channel="lien de désinscription", staff=actor, at=now)
    candidate.unsubscribed_at = candidate.unsubscribed_at or now
    session.add(
        CandidateStatus(
            candidate_id=candidate.id,
            status=candidate.status,
            staff=None,
            note="Désinscription des envois d'Oh my Lot ! (lien dans un e-mail)",
            changed_at=now,
        )
    )
    audit(session, actor, "outreach.unsubscribe", "candidate", candidate.id)
    return True


def selection_text(
    candidate: Candidate,
    offers: list[Offer],
    base_url: str,
    unsubscribe_url: str,
    note: str | None = None,
    signer: Signer | None = None,
) -> str:
    """The French e-mail of an offer selection."""
    lines = [f"Bonjour {candidate.first_name or ''},".replace(" ,", ","), ""]
    lines.append(
        "Suite à notre rencontre, l'équipe Oh my Lot ! a sélectionné pour vous "
        + ("cette offre d'emploi" if len(offers) == 1 else f"ces {len(offers)} offres d'emploi")
        + " dans le Lot :"
    )
    lines.append("")
    if note:
        lines += [note.strip(), ""]
    for offer in offers:
        where = offer.commune_name or offer.location_label or "Lot"
        lines.append(f"• {offer.title_clean or offer.title}")
        lines.append(f"  {offer.employer_name or 'Employeur non communiqué'} — {where}")
        lines.append(f"  {base_url}/offres/{offer.id}")
        lines.append("")
    lines += [
        "N'hésitez pas à répondre à ce message si l'une d'elles vous intéresse : nous pouvons vous aider à "
        "préparer votre candidature et votre installation.",
        "",
        *(signer.lines() if signer else ["L'équipe Oh my Lot !"]),
        "",
        f"Vous ne souhaitez plus recevoir d'offres de notre part ? Désinscrivez-vous : {unsubscribe_url}",
    ]
    return "\n".join(lines) + "\n"


def send_selection(
    session: Session,
    settings: OutreachSettings,
    candidate: Candidate,
    offer_ids: list[int],
    *,
    staff: str,
    note: str | None = None,
    now: datetime | None = None,
    signer: Signer | None = None,
) -> OfferSelection:
    """E-mail a selection of public offers to a prospect, log it on their path and in the audit.

    With a ``signer`` (the staff member or référent sending it) the e-mail comes in their name and the
    prospect's answer goes to them (Reply-To)."""
    if candidate.unsubscribed_at is not None:
        raise NetworkError("Ce prospect s'est désinscrit : plus aucun envoi ne lui est fait.")
    if candidate.anonymized_at is not None or not candidate.email:
        raise NetworkError("Ce prospect n'a pas d'adresse e-mail.")
    if not candidate.consent_contact:
        raise NetworkError("Ce prospect n'a pas accepté d'être recontacté.")
    ids = list(dict.fromkeys(int(i) for i in offer_ids))
    if not ids:
        raise NetworkError("Cochez au moins une offre.")
    offers = list(session.scalars(select(Offer).where(Offer.id.in_(ids))))
    offers.sort(key=lambda o: ids.index(o.id))
    public = [o for o in offers if o.status == "open" and o.published]
    if len(public) != len(ids):
        raise NetworkError("Une offre choisie n'est plus ouverte ou pas publiée : rechargez la page.")
    unsubscribe_url = unsubscribe_link(settings, candidate.id)
    text = selection_text(candidate, public, settings.base_url(), unsubscribe_url, note, signer)
    message = mail.build_message(
        [candidate.email],
        "Des offres d'emploi dans le Lot sélectionnées pour vous",
        text,
        html=text_to_html(text),
        sender=sender_for(signer, mail.MailSettings().from_) if signer else None,
        reply_to=f"{signer.name} <{signer.email}>" if signer is not None and signer.email else None,
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    mail.send(message)
    now = now or utcnow()
    selection = OfferSelection(candidate_id=candidate.id, offer_ids=ids, sent_at=now, sent_by=staff, note=note or None)
    session.add(selection)
    session.add(
        CandidateStatus(
            candidate_id=candidate.id,
            status=candidate.status,
            staff=staff,
            changed_at=now,
            note=f"Sélection de {len(ids)} offre(s) envoyée par e-mail : " + ", ".join(f"n° {i}" for i in ids),
        )
    )
    candidate.last_contact_at = now
    session.flush()
    audit(session, staff, "outreach.selection", "candidate", candidate.id, {"offers": ids, "selection": selection.id})
    return selection
