"""Ambassadors: public sign-up with explicit consent, one-click withdrawal, proposals, double opt-in introductions.

- ``sign_up``: an ambassador joins (consent required, recorded with its wording and time); a second sign-up
  with the same e-mail updates the registration instead of adding a copy.
- ``withdraw``: one click on the signed link of their confirmation e-mail; their personal fields are emptied
  at once and they are never proposed again (the row stays, anonymous, for the yearly counts).
- ``proposals_for``: ambassadors for a household with the reasons (``matching.ambassadors``).
- ``introduce``: staff propose the contact; each side gets its own signed link (itsdangerous, like the
  employer shortlists: the token carries the introduction id, the side and a random nonce, no personal data).
  A tampered token is refused (``LinkNotFound``); an expired, superseded or already used one too
  (``LinkGone``). Contact details are exchanged only when both said yes; the ambassador then sees the
  household's first names, e-mail and the commune it considers, nothing else.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.ambassadors import FAMILY_LABELS, AmbassadorFacts, HouseholdNeeds, Proposal, propose_ambassadors
from matching.geo import get_gazetteer
from services.errors import ServiceError
from services.signing import key_ring
from services.welcome import household_communes
from store.audit import audit
from store.candidates import household_members
from store.models import Ambassador, Candidate, Introduction, as_utc, utcnow
from store.privacy import anonymise_ambassador

LINK_SALT = "ohmylot.welcome-link.v1"
LINK_DAYS = 14
SENDER = "Oh my Lot ! <ne-pas-repondre@ohmylot.invalid>"
CONSENT_TEXT = (
    "J'accepte qu'Oh my Lot ! conserve ces informations pour me proposer de rencontrer des foyers qui "
    "s'installent dans le Lot. Mes coordonnées ne sont transmises à un foyer qu'avec mon accord, pour chaque "
    "mise en relation. Je peux me retirer à tout moment en un clic."
)
Send = Callable[[EmailMessage], None]


class AmbassadorError(ServiceError, ValueError):
    """An ambassador action that cannot be done; the message is French, one line."""


class LinkNotFound(Exception):
    """Tampered or unknown token."""


class LinkGone(Exception):
    """Expired, superseded or already used link."""


# --------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------


def _clean(value: Any, size: int) -> str | None:
    text = " ".join(str(value or "").split())[:size]
    return text or None


def sign_up(session: Session, form: dict[str, Any], *, consent: bool) -> Ambassador:
    """Register (or update) an ambassador from the public form; ``AmbassadorError`` on bad input."""
    if not consent:
        raise AmbassadorError("cochez la case de consentement pour devenir ambassadeur")
    first, last = _clean(form.get("first_name"), 200), _clean(form.get("last_name"), 200)
    email = (_clean(form.get("email"), 320) or "").lower()
    if not first or not last:
        raise AmbassadorError("indiquez votre prénom et votre nom")
    if "@" not in email or "." not in email.rsplit("@", 1)[-1]:
        raise AmbassadorError("indiquez une adresse électronique valide")
    place = get_gazetteer().resolve(str(form.get("commune") or ""))
    if place is None or place.level != "commune":
        raise AmbassadorError(f"commune inconnue : « {form.get('commune') or ''} »")
    family = form.get("family_situation") or None
    if family is not None and family not in FAMILY_LABELS:
        raise AmbassadorError("situation familiale inconnue")
    try:
        availability = int(form.get("availability") or 2)
    except ValueError as exc:
        raise AmbassadorError("disponibilité : un nombre de foyers par an") from exc
    if not 1 <= availability <= 12:
        raise AmbassadorError("disponibilité : entre 1 et 12 foyers par an")
    sector = (_clean(form.get("sector"), 1) or "").upper() or None
    ambassador = session.scalars(
        select(Ambassador).where(Ambassador.email == email, Ambassador.withdrawn_at.is_(None))
    ).first() or Ambassador(email=email)
    ambassador.first_name, ambassador.last_name = first, last
    ambassador.phone = _clean(form.get("phone"), 32)
    ambassador.commune_insee, ambassador.epci = place.insee, place.epci
    ambassador.trade, ambassador.sector = _clean(form.get("trade"), 200), sector
    ambassador.family_situation = family
    ambassador.languages = _clean(form.get("languages"), 200)
    ambassador.interests = _clean(form.get("interests"), 2000)
    ambassador.availability = availability
    ambassador.consent_at, ambassador.consent_text = utcnow(), CONSENT_TEXT
    session.add(ambassador)
    session.flush()
    audit(session, "public", "ambassador_signed_up", "ambassador", ambassador.id)
    return ambassador


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    if not secret_key:
        raise AmbassadorError("aucune clé secrète configurée (OHMYLOT_SECRET_KEY)")
    return URLSafeTimedSerializer(key_ring(secret_key), salt=LINK_SALT)


def withdrawal_token(ambassador: Ambassador, secret_key: str) -> str:
    """The ambassador's withdrawal link token (valid as long as they are registered)."""
    return _serializer(secret_key).dumps(["withdraw", ambassador.id])


def withdraw(session: Session, token: str, secret_key: str) -> Ambassador:
    """Withdraw the ambassador a token names; ``LinkNotFound`` for a tampered token, ``LinkGone`` if done."""
    try:
        kind, ambassador_id = _serializer(secret_key).loads(token)
    except (BadSignature, ValueError, TypeError) as exc:
        raise LinkNotFound from exc
    ambassador = session.get(Ambassador, ambassador_id) if kind == "withdraw" else None
    if ambassador is None:
        raise LinkNotFound
    if ambassador.withdrawn_at is not None:
        raise LinkGone
    anonymise_ambassador(session, ambassador)
    audit(session, "public", "ambassador_withdrew", "ambassador", ambassador.id)
    return ambassador


def loads(session: Session, *, now: datetime | None = None) -> dict[int, int]:
    """Introductions per ambassador over the last 12 months (declined ones do not count)."""
    since = (now or utcnow()) - timedelta(days=365)
    return dict(
        session.execute(
            select(Introduction.ambassador_id, func.count())
            .where(Introduction.created_at >= since, Introduction.status != "declined")
            .group_by(Introduction.ambassador_id)
        ).all()
    )


def list_ambassadors(session: Session, *, include_withdrawn: bool = False) -> list[tuple[Ambassador, int]]:
    query = select(Ambassador).order_by(Ambassador.id)
    if not include_withdrawn:
        query = query.where(Ambassador.withdrawn_at.is_(None))
    counts = loads(session)
    return [(a, counts.get(a.id, 0)) for a in session.scalars(query)]


# --------------------------------------------------------------------------------------------------
# Proposals
# --------------------------------------------------------------------------------------------------


def household_needs(session: Session, candidate: Candidate, family_situation: str | None = None) -> HouseholdNeeds:
    members = household_members(session, candidate)
    gazetteer = get_gazetteer()
    communes = []
    for code in household_communes(session, candidate):
        place = gazetteer.commune(code)
        if place is not None:
            communes.append((place.insee or "", place.epci, place.lat, place.lon))
    sectors = frozenset(str(code)[0] for m in members for code in (m.rome_codes or []) if code)
    if family_situation is None and len(members) > 1:
        family_situation = "couple"
    return HouseholdNeeds(
        communes=communes,
        sectors=sectors,
        desired_jobs=" ".join(m.desired_jobs or "" for m in members),
        family_situation=family_situation,
    )


@dataclass
class ProposedAmbassador:
    ambassador: Ambassador
    proposal: Proposal


def proposals_for(
    session: Session, candidate: Candidate, *, family_situation: str | None = None, limit: int = 5
) -> list[ProposedAmbassador]:
    """Active ambassadors proposed for the household (never one who withdrew), best first, with reasons."""
    counts = loads(session)
    already = set(session.scalars(select(Introduction.ambassador_id).where(Introduction.candidate_id == candidate.id)))
    gazetteer = get_gazetteer()
    facts = []
    active = session.scalars(
        select(Ambassador).where(Ambassador.withdrawn_at.is_(None), Ambassador.consent_at.is_not(None))
    )
    by_id = {}
    for a in active:
        if a.id in already:
            continue
        place = gazetteer.commune(a.commune_insee) if a.commune_insee else None
        by_id[a.id] = a
        facts.append(
            AmbassadorFacts(
                id=a.id,
                commune_insee=a.commune_insee,
                commune_name=place.name if place else None,
                epci=a.epci,
                lat=place.lat if place else None,
                lon=place.lon if place else None,
                sector=a.sector,
                trade=a.trade,
                family_situation=a.family_situation,
                availability=a.availability,
                load=counts.get(a.id, 0),
            )
        )
    needs = household_needs(session, candidate, family_situation)
    return [ProposedAmbassador(by_id[p.ambassador_id], p) for p in propose_ambassadors(needs, facts, limit)]


# --------------------------------------------------------------------------------------------------
# Introductions (double opt-in)
# --------------------------------------------------------------------------------------------------


def _token(intro: Introduction, side: str, secret_key: str) -> str:
    nonce = secrets.token_urlsafe(18)
    setattr(intro, f"{side}_nonce", nonce)
    return _serializer(secret_key).dumps([intro.id, side, nonce])


def _mail(to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, to, subject
    message.set_content(text)
    return message


def introduce(
    session: Session,
    candidate: Candidate,
    ambassador: Ambassador,
    *,
    reasons: list[str],
    actor: str | None,
    secret_key: str,
    public_url: str,
    send: Send,
    now: datetime | None = None,
) -> Introduction:
    """Ask both sides, each through its own signed link; nothing personal is exchanged yet."""
    if ambassador.withdrawn_at is not None or ambassador.consent_at is None:
        raise AmbassadorError("cet ambassadeur s'est retiré : il ne peut plus être proposé")
    if not candidate.email:
        raise AmbassadorError("le foyer n'a pas d'adresse électronique : impossible de lui demander son accord")
    if candidate.anonymized_at is not None or not candidate.consent_contact:
        raise AmbassadorError("le foyer n'a pas accepté d'être contacté")
    now = now or utcnow()
    intro = Introduction(
        candidate_id=candidate.id,
        ambassador_id=ambassador.id,
        reasons=list(reasons),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=LINK_DAYS),
        status="sent",
    )
    session.add(intro)
    session.flush()
    base = public_url.rstrip("/")
    place = get_gazetteer().commune(ambassador.commune_insee or "")
    household_link = f"{base}/accueil/mise-en-relation/{_token(intro, 'household', secret_key)}"
    ambassador_link = f"{base}/accueil/mise-en-relation/{_token(intro, 'ambassador', secret_key)}"
    send(
        _mail(
            candidate.email,
            "Oh my Lot ! — rencontrer un ambassadeur du Lot",
            (
                f"Bonjour {candidate.first_name or ''},\n\n{ambassador.first_name}, qui habite "
                f"{place.name if place else 'le Lot'}, a proposé de rencontrer des foyers qui s'installent.\n"
                f"Souhaitez-vous être mis en relation ? Vos coordonnées ne lui seront données que si vous acceptez "
                f"tous les deux.\n\nRépondre : {household_link}\n(lien valable {LINK_DAYS} jours)\n\n"
                "L'équipe Oh my Lot !"
            ),
        )
    )
    send(
        _mail(
            ambassador.email or "",
            "Oh my Lot ! — un foyer s'installe près de chez vous",
            (
                f"Bonjour {ambassador.first_name},\n\nUn foyer envisage de s'installer près de chez vous. "
                f"Acceptez-vous d'être mis en relation ? Rien ne lui est transmis sans votre accord.\n\n"
                f"Répondre : {ambassador_link}\n(lien valable {LINK_DAYS} jours)\n\nL'équipe Oh my Lot !"
            ),
        )
    )
    audit(
        session,
        actor,
        "introduction_sent",
        "introduction",
        intro.id,
        {"candidate": candidate.id, "ambassador": ambassador.id},
    )
    return intro


def resolve_introduction(
    session: Session, token: str, secret_key: str, *, now: datetime | None = None
) -> tuple[Introduction, str]:
    """The introduction and side (``household`` / ``ambassador``) a token opens, or ``LinkNotFound`` / ``LinkGone``."""
    now = now or utcnow()
    try:
        intro_id, side, nonce = _serializer(secret_key).loads(token, max_age=(LINK_DAYS + 1) * 86400)
    except SignatureExpired as exc:
        raise LinkGone from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise LinkNotFound from exc
    intro = session.get(Introduction, intro_id) if side in {"household", "ambassador"} else None
    if intro is None:
        raise LinkNotFound
    expected = getattr(intro, f"{side}_nonce")
    expires = as_utc(intro.expires_at)
    if not expected or not secrets.compare_digest(str(nonce), expected) or intro.status != "sent":
        raise LinkGone
    if expires is not None and expires <= now:
        raise LinkGone
    return intro, side


def answer_introduction(
    session: Session, intro: Introduction, side: str, accepted: bool, *, send: Send, now: datetime | None = None
) -> Introduction:
    """Record one side's answer (the link is then used up); when both said yes, give each the other's contact."""
    now = now or utcnow()
    setattr(intro, f"{side}_answer", accepted)
    setattr(intro, f"{side}_answered_at", now)
    setattr(intro, f"{side}_nonce", None)
    audit(session, side, "introduction_answered", "introduction", intro.id, {"side": side, "accepted": accepted})
    if not accepted:
        intro.status = "declined"
        intro.household_nonce = intro.ambassador_nonce = None
        return intro
    if intro.household_answer and intro.ambassador_answer:
        intro.status, intro.introduced_at = "accepted", now
        _exchange_contacts(session, intro, send)
    return intro


def _exchange_contacts(session: Session, intro: Introduction, send: Send) -> None:
    candidate = session.get(Candidate, intro.candidate_id)
    ambassador = intro.ambassador
    if candidate is None or ambassador.withdrawn_at is not None:
        return
    names = " et ".join(m.first_name for m in household_members(session, candidate) if m.first_name) or "le foyer"
    communes = [p.name for p in (get_gazetteer().commune(c) for c in household_communes(session, candidate)) if p]
    amb_name = f"{ambassador.first_name} {ambassador.last_name}"
    send(
        _mail(
            candidate.email or "",
            "Oh my Lot ! — votre ambassadeur",
            (
                f"Bonjour,\n\n{amb_name} a accepté de vous rencontrer.\nCourriel : {ambassador.email}\n"
                + (f"Téléphone : {ambassador.phone}\n" if ambassador.phone else "")
                + "\nBonne installation !\n"
            ),
        )
    )
    send(
        _mail(
            ambassador.email or "",
            "Oh my Lot ! — le foyer a accepté",
            (
                f"Bonjour {ambassador.first_name},\n\n{names} a accepté la mise en relation.\n"
                f"Courriel : {candidate.email}\nCommunes envisagées : {', '.join(communes) or 'non précisées'}\n\n"
                "Merci pour votre accueil !\n"
            ),
        )
    )


def public_view(session: Session, intro: Introduction, side: str) -> dict[str, Any]:
    """What a side sees before answering: never the other side's contact details."""
    ambassador = intro.ambassador
    place = get_gazetteer().commune(ambassador.commune_insee or "")
    if side == "household":
        return {
            "side": side,
            "other": ambassador.first_name,
            "commune": place.name if place else None,
            "trade": ambassador.trade,
            "interests": ambassador.interests,
            "languages": ambassador.languages,
        }
    candidate = session.get(Candidate, intro.candidate_id)
    communes = (
        [p.name for p in (get_gazetteer().commune(c) for c in household_communes(session, candidate)) if p]
        if candidate
        else []
    )
    return {"side": side, "other": "un foyer", "communes": communes, "reasons": intro.reasons}
