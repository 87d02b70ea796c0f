"""The employers' network and outreach: membership, offers typed in by members, talent digests, selections.

Used by the web app (``web/routers/network.py``, ``member.py``, ``outreach.py``) and by ``ohmylot network``.

- **Joining** (``check_join_form``, ``submit_join``, ``approve_member``, ``refuse_member``): a public form
  creates a ``NetworkMember`` in ``pending`` state (the ``Employer`` row is found by SIRET or created);
  staff validate it, which creates the employer account (``User`` role ``employer``) and e-mails a one-use
  sign-in link (``login_link`` / ``consume_login_token``).
- **Member offers** (``check_offer_form``, ``submit_member_offer``, ``review_member_offer``): a member's
  form becomes a ``RawPosting`` of the source ``reseau-<employer id>`` (platform ``manual``), goes through
  ``normalize_posting`` and the pipeline's checks, is stored with ``upsert_postings`` and grouped with the
  crawled postings by ``dedupe_database``. An offer made only of member postings nobody approved yet stays
  unpublished (``apply_visibility``).
- **Talent digests** (``digest_profiles``, ``send_digest``): consented prospects (``consent_share``, not
  unsubscribed, not anonymised), shown with allowlisted fields only (``PROFILE_FIELDS``: no name, no
  contact detail), e-mailed to the members of a sector (NAF section) or territory; each profile carries a
  signed "ce profil m'intéresse" link (``record_interest``) that reaches staff.
- **Offer selections** (``send_selection``): offers staff pick from a prospect's matches, e-mailed with
  links to the public board and an unsubscribe link (``unsubscribe``); logged on the prospect's path.
  ``Candidate.unsubscribed_at`` stops every later selection and digest.

Signed links use itsdangerous with ``OHMYLOT_SECRET_KEY`` and one salt per purpose.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any

import phonenumbers
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from matching.employers import check_siret, naf_divisions, naf_sections, sector_of
from matching.geo import get_gazetteer
from matching.normalize import normalize_posting
from matching.text import fold
from matching.types import RawPosting
from services import mail
from services.letters import Signer, sender_for, text_to_html
from services.signing import key_ring
from store.audit import audit
from store.candidates import record_consent
from store.dedup import dedupe_database
from store.models import (
    Candidate,
    CandidateStatus,
    Employer,
    MemberOffer,
    NetworkMember,
    Offer,
    OfferSelection,
    Posting,
    TalentDigest,
    TalentInterest,
    User,
    utcnow,
)
from store.models import as_utc as _aware
from store.postings import PostingInput, ensure_source, upsert_postings

logger = logging.getLogger(__name__)

MEMBER_PLATFORM = "manual"
MEMBER_TRUST = 0.85
#: ``Posting.closed_reason`` of a member posting waiting for staff review
PENDING_REASON = "pending_review"
LOGIN_LINK_DAYS = 7
INTEREST_LINK_DAYS = 60
CONTRACT_CHOICES = {
    "CDI": "CDI",
    "CDD": "CDD",
    "saisonnier": "Saisonnier",
    "interim": "Intérim",
    "apprentissage": "Apprentissage",
    "professionnalisation": "Contrat de professionnalisation",
    "stage": "Stage",
    "independant": "Indépendant / reprise",
    "autre": "Autre",
}
#: The only prospect fields a digest may show (never a name, e-mail, phone, address or note).
PROFILE_FIELDS = (
    "desired_jobs",
    "skills",
    "experience",
    "diplomas",
    "languages",
    "driving_licence",
    "contract_types",
    "available_from",
    "area",
)


class OutreachSettings(BaseSettings):
    """What outreach needs from the environment (the same variables as the web app)."""

    model_config = SettingsConfigDict(env_prefix="OHMYLOT_", extra="ignore")

    secret_key: str | None = Field(default=None)
    public_url: str = Field(default="http://127.0.0.1:8000")

    def base_url(self) -> str:
        return self.public_url.rstrip("/")

    def key(self) -> str:
        if not self.secret_key or len(self.secret_key) < 32:
            raise NetworkError("OHMYLOT_SECRET_KEY manquante ou trop courte : elle signe les liens envoyés par e-mail")
        return self.secret_key


class NetworkError(ValueError):
    """A refused action, with a French message for staff or members."""


@dataclass
class FormCheck:
    """Cleaned values and per-field French errors of a submitted form."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(fields: Mapping[str, Any], name: str, limit: int) -> str:
    value = fields.get(name)
    return " ".join(str(value).split())[:limit] if value is not None else ""


def _checked(fields: Mapping[str, Any], name: str) -> bool:
    return str(fields.get(name) or "").strip().lower() in {"1", "on", "oui", "true", "yes"}


def _email_ok(email: str) -> bool:
    local, _, domain = email.partition("@")
    return bool(local) and "." in domain and " " not in email and not domain.startswith(".")


# --------------------------------------------------------------------------------------------------
# Signed links
# --------------------------------------------------------------------------------------------------


def sign(secret: str, purpose: str, payload: dict[str, Any]) -> str:
    """A URL-safe signed token carrying ``payload`` for one ``purpose``."""
    return URLSafeTimedSerializer(key_ring(secret), salt=f"ohmylot.{purpose}").dumps(payload)


def unsign(secret: str, purpose: str, token: str, *, max_age_days: float) -> dict[str, Any] | None:
    """The payload of a valid token, or None (bad signature, wrong purpose or expired); the previous keys
    of a rotation still verify (services/signing.py)."""
    try:
        payload = URLSafeTimedSerializer(key_ring(secret), salt=f"ohmylot.{purpose}").loads(
            token, max_age=int(max_age_days * 86400)
        )
    except (BadSignature, SignatureExpired):
        return None
    return payload if isinstance(payload, dict) else None


# --------------------------------------------------------------------------------------------------
# Joining the network
# --------------------------------------------------------------------------------------------------


def sector_choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(section letter, section label, [(division code, label)]) for the form's grouped select."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for entry in naf_divisions().values():
        grouped.setdefault(entry.section, []).append((entry.code, entry.label))
    return [(letter, label, grouped.get(letter, [])) for letter, label in naf_sections().items()]


def check_join_form(fields: Mapping[str, Any]) -> FormCheck:
    """Check the join form: company, SIRET (format and checksum), NAF division, commune, contact, consent."""
    check = FormCheck()
    company = _text(fields, "company", 300)
    if len(company) < 2:
        check.errors["company"] = "Indiquez le nom de l'entreprise ou de la structure."
    check.values["company"] = company
    siret = check_siret(str(fields.get("siret") or ""))
    if siret.error:
        check.errors["siret"] = siret.error
    check.values["siret"] = siret.value or _text(fields, "siret", 40)
    naf = _text(fields, "naf", 10).upper()
    if naf not in naf_divisions():
        check.errors["naf"] = "Choisissez le secteur d'activité dans la liste."
    check.values["naf"] = naf
    commune_text = _text(fields, "commune", 200)
    place = get_gazetteer().resolve(commune_text) if commune_text else None
    if place is None or place.level != "commune" or not place.insee:
        check.errors["commune"] = (
            "Commune introuvable : écrivez son nom et, si besoin, son code postal (ex. « Figeac 46100 »)."
        )
    check.values["commune"] = commune_text
    check.values["place"] = place
    contact = _text(fields, "contact_name", 200)
    if len(contact) < 2:
        check.errors["contact_name"] = "Indiquez le nom de la personne à contacter."
    check.values["contact_name"] = contact
    check.values["contact_role"] = _text(fields, "contact_role", 200)
    email = _text(fields, "email", 320).lower()
    if not _email_ok(email):
        check.errors["email"] = "Adresse e-mail invalide (ex. prenom.nom@entreprise.fr)."
    check.values["email"] = email
    phone = _text(fields, "phone", 40)
    if phone:
        try:
            parsed = phonenumbers.parse(phone, "FR")
            if not phonenumbers.is_valid_number(parsed):
                raise phonenumbers.NumberParseException(1, "invalid")
            phone = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            check.errors["phone"] = "Numéro de téléphone invalide (ex. 05 65 00 00 00)."
    check.values["phone"] = phone or None
    if not _checked(fields, "consent"):
        check.errors["consent"] = "Cochez la case pour accepter que le programme traite ces informations."
    check.values["digests"] = _checked(fields, "digests")
    return check


def submit_join(session: Session, check: FormCheck, *, now: datetime | None = None) -> NetworkMember:
    """Record a join request (``pending``); raises ``NetworkError`` when this SIRET already asked or joined."""
    if not check.ok:
        raise NetworkError("formulaire incomplet")
    now = now or utcnow()
    values = check.values
    place = values["place"]
    employer = session.scalar(select(Employer).where(Employer.siret == values["siret"]).limit(1))
    if employer is not None:
        existing = session.scalar(select(NetworkMember).where(NetworkMember.employer_id == employer.id))
        if existing is not None and existing.status in {"pending", "member"}:
            raise NetworkError(
                "Une demande d'adhésion existe déjà pour ce SIRET : l'équipe Oh my Lot ! vous recontactera."
            )
        if existing is not None:  # a refused request may be made again
            session.delete(existing)
            session.flush()
    else:
        employer = Employer(
            name=values["company"], normalized_name=fold(values["company"])[:300], siret=values["siret"]
        )
        session.add(employer)
    employer.naf_code = values["naf"]
    employer.commune_insee = place.insee
    employer.contact_email = values["email"]
    session.flush()
    member = NetworkMember(
        employer_id=employer.id,
        status="pending",
        naf_code=values["naf"],
        sector=sector_of(values["naf"]),
        commune_insee=place.insee,
        commune_name=place.name,
        departement=place.departement,
        epci=place.epci,
        contact_name=values["contact_name"],
        contact_role=values["contact_role"] or None,
        contact_email=values["email"],
        contact_phone=values["phone"],
        consent_at=now,
        digests=values["digests"],
        requested_at=now,
    )
    session.add(member)
    session.flush()
    audit(session, "public", "network.join", "network_member", member.id, {"employer_id": employer.id})
    return member


def approve_member(session: Session, member: NetworkMember, staff: str, *, now: datetime | None = None) -> User:
    """Validate a request: the employer becomes a member and gets an employer account (returned)."""
    if member.status == "member":
        raise NetworkError("Cet employeur est déjà membre du réseau.")
    user = session.scalar(select(User).where(func.lower(User.email) == member.contact_email.lower()))
    if user is not None and (user.role != "employer" or user.employer_id != member.employer_id):
        raise NetworkError(f"Un autre compte utilise déjà l'adresse {member.contact_email}.")
    if user is None:
        # No password yet: the member signs in with e-mailed links and may set a password in their space.
        user = User(
            email=member.contact_email.lower(),
            full_name=member.contact_name,
            password_hash=None,
            role="employer",
            employer_id=member.employer_id,
            territory=[],
            active=True,
            session_version=0,
        )
        session.add(user)
        session.flush()
    member.status = "member"
    member.decided_at = now or utcnow()
    member.decided_by = staff
    member.employer.is_member = True
    user.active = True
    audit(session, staff, "network.approve", "network_member", member.id, {"user_id": user.id})
    return user


def refuse_member(session: Session, member: NetworkMember, staff: str, note: str | None) -> None:
    """Refuse a request (the reason stays for staff)."""
    if member.status == "member":
        raise NetworkError("Cet employeur est déjà membre : retirez-le plutôt du réseau.")
    member.status = "refused"
    member.decided_at = utcnow()
    member.decided_by = staff
    member.decision_note = note or None
    audit(session, staff, "network.refuse", "network_member", member.id)


def login_link(session: Session, member: NetworkMember, settings: OutreachSettings) -> str:
    """A new one-use sign-in link for a member (any older link stops working)."""
    member.login_nonce = secrets.token_urlsafe(16)
    token = sign(settings.key(), "member-login", {"m": member.id, "n": member.login_nonce})
    return f"{settings.base_url()}/membre/connexion/{token}"


def consume_login_token(session: Session, token: str, secret: str) -> User | None:
    """The member account behind a sign-in link, once; None when the link is invalid, used or expired."""
    payload = unsign(secret, "member-login", token, max_age_days=LOGIN_LINK_DAYS)
    if payload is None:
        return None
    member = session.get(NetworkMember, payload.get("m"))
    if member is None or member.status != "member" or not member.login_nonce or member.login_nonce != payload.get("n"):
        return None
    member.login_nonce = None
    user = session.scalar(
        select(User).where(User.employer_id == member.employer_id, User.role == "employer", User.active.is_(True))
    )
    if user is not None:
        audit(session, user.email, "network.login_link", "network_member", member.id)
    return user


def send_login_link(session: Session, member: NetworkMember, settings: OutreachSettings, *, welcome: bool) -> None:
    """E-mail a sign-in link to the member's contact (raises ``mail.MailNotConfigured`` / ``OSError``)."""
    link = login_link(session, member, settings)
    intro = (
        f"Bonjour {member.contact_name},\n\nBienvenue dans le réseau des employeurs Oh my Lot ! : "
        f"l'adhésion de {member.employer.name} est validée."
        if welcome
        else f"Bonjour {member.contact_name},\n\nVoici votre lien de connexion à l'espace membre Oh my Lot !."
    )
    text = (
        f"{intro}\n\nPour ouvrir votre espace membre (déposer vos offres, télécharger le kit de communication, "
        f"voir les profils proposés), suivez ce lien personnel, valable {LOGIN_LINK_DAYS} jours et une seule "
        f"fois :\n{link}\n\nVous pourrez ensuite choisir un mot de passe, ou demander un nouveau lien sur "
        f"{settings.base_url()}/membre/lien\n\nL'équipe Oh my Lot !\n"
    )
    subject = (
        "Bienvenue dans le réseau des employeurs Oh my Lot !" if welcome else "Votre lien de connexion Oh my Lot !"
    )
    mail.send(mail.build_message([member.contact_email], subject, text))


# --------------------------------------------------------------------------------------------------
# Offers typed in by members
# --------------------------------------------------------------------------------------------------


def member_source_id(employer_id: int) -> str:
    """The posting source of a member's own offers."""
    return f"reseau-{employer_id}"


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def check_offer_form(fields: Mapping[str, Any], *, today: date | None = None) -> FormCheck:
    """Check an offer form: title, place, contract, dates, description, how to apply."""
    today = today or datetime.now(UTC).date()
    check = FormCheck()
    title = _text(fields, "title", 300)
    if len(title) < 3:
        check.errors["title"] = "Indiquez l'intitulé du poste."
    check.values["title"] = title
    place = _text(fields, "place", 200)
    if not place:
        check.errors["place"] = "Indiquez la commune du poste."
    check.values["place"] = place
    contract = _text(fields, "contract", 40)
    if contract not in CONTRACT_CHOICES:
        check.errors["contract"] = "Choisissez le type de contrat."
    check.values["contract"] = contract
    months = _text(fields, "duration_months", 10).replace(",", ".")
    check.values["duration_months"] = months
    if months:
        try:
            if not 0 < float(months) <= 60:
                raise ValueError
        except ValueError:
            check.errors["duration_months"] = "Durée en mois : un nombre entre 1 et 60."
    check.values["working_time"] = _text(fields, "working_time", 40)
    check.values["salary"] = _text(fields, "salary", 200)
    start_text, end_text = _text(fields, "start", 10), _text(fields, "end", 10)
    start, end = _parse_day(start_text), _parse_day(end_text)
    if start_text and start is None:
        check.errors["start"] = "Date de début invalide (jj/mm/aaaa)."
    if end_text and end is None:
        check.errors["end"] = "Date limite invalide (jj/mm/aaaa)."
    elif end is not None and end < today:
        check.errors["end"] = "La date limite de candidature est déjà passée."
    elif end is not None and start is not None and end < start and contract not in {"CDI"}:
        pass  # an application deadline before the start date is normal
    check.values["start"], check.values["end"] = start_text, end_text
    description = str(fields.get("description") or "").strip()[:20_000]
    if len(description) < 30:
        check.errors["description"] = "Décrivez le poste en quelques phrases (30 caractères au moins)."
    check.values["description"] = description
    apply = _text(fields, "apply", 500)
    if not apply:
        check.errors["apply"] = "Dites comment postuler (adresse e-mail, lien, téléphone)."
    check.values["apply"] = apply
    return check


def _paragraphs_html(text: str) -> str:
    """A member's plain text as escaped HTML paragraphs (line breaks kept); sanitised again downstream."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return "".join("<p>" + escape(b).replace("\n", "<br>") + "</p>" for b in blocks)


def _raw_posting(employer: Employer, ref: str, values: Mapping[str, Any], base_url: str) -> RawPosting:
    apply = values["apply"]
    apply_url = apply if apply.startswith(("http://", "https://")) else None
    if apply_url is None and "@" in apply and " " not in apply:
        apply_url = f"mailto:{apply}"
    text = values["description"]
    start = _parse_day(values.get("start") or "")
    if start is not None:
        text += f"\n\nPrise de poste : {start.strftime('%d/%m/%Y')}"
    end = _parse_day(values.get("end") or "")
    if end is not None:
        text += f"\n\nCandidatures jusqu'au {end.strftime('%d/%m/%Y')}"
    if not apply.startswith(("http://", "https://")):
        text += f"\n\nPour postuler : {apply}"
    return RawPosting(
        source=member_source_id(employer.id),
        source_id=ref,
        url=f"{base_url}/membre/offres/{ref}",
        title=values["title"],
        employer=employer.name,
        employer_siret=employer.siret,
        naf_code=employer.naf_code,
        description=_paragraphs_html(text),
        location=values["place"],
        contract=values["contract"],
        contract_duration=f"{values['duration_months']} mois" if values.get("duration_months") else None,
        working_time=values.get("working_time") or None,
        salary=values.get("salary") or None,
        published_at=datetime.now(UTC).isoformat(),
        expires_at=values.get("end") or None,
        apply_url=apply_url,
        extra={"start": values.get("start") or None, "how_to_apply": apply},
    )




def _validate(posting: Any) -> None:
    """The checks the crawl pipeline applies after normalisation (codes in their shape, else cleared)."""
    if posting.drop_reason:
        raise NetworkError(f"offre refusée par la normalisation : {posting.drop_reason}")
    if posting.rome_code and not re.fullmatch(r"[A-N]\d{4}", posting.rome_code):
        posting.rome_code = None
    if posting.employer_siret and not re.fullmatch(r"\d{14}", posting.employer_siret):
        posting.employer_siret = None


def submit_member_offer(
    session: Session,
    employer: Employer,
    check: FormCheck,
    *,
    actor: str,
    base_url: str,
    existing: MemberOffer | None = None,
    now: datetime | None = None,
) -> MemberOffer:
    """Store a member's offer (new or edited) as a posting of their source and group it with the others.

    An edited offer goes back to review. Returns the ``MemberOffer``.
    """
    if not check.ok:
        raise NetworkError("formulaire incomplet")
    now = now or utcnow()
    source = ensure_source(session, member_source_id(employer.id), platform=MEMBER_PLATFORM, name=employer.name)
    source.employer_name = employer.name
    source.trust = MEMBER_TRUST
    ref = session.get(Posting, existing.posting_id).source_ref if existing else f"m{secrets.token_hex(6)}"
    raw = _raw_posting(employer, ref, check.values, base_url)
    normalized = normalize_posting(raw, now=now)
    _validate(normalized)
    upsert_postings(session, source.id, [PostingInput(normalized, raw)], now=now)
    session.flush()
    posting = session.scalar(select(Posting).where(Posting.source_id == source.id, Posting.source_ref == ref))
    assert posting is not None
    # Held closed until staff approve it: no rebuild of the offers (``dedupe --full``) can publish it early.
    # ``closed_at`` stays empty so that deduplication sees no end to its lifetime.
    posting.status, posting.closed_at, posting.closed_reason = "closed", None, PENDING_REASON
    if existing is None:
        existing = MemberOffer(employer_id=employer.id, posting_id=posting.id, submitted_at=now)
        session.add(existing)
    existing.form = {k: v for k, v in check.values.items() if isinstance(v, str)}
    existing.review = "pending"
    existing.updated_at = now
    existing.reviewed_at = existing.reviewed_by = None
    session.flush()
    dedupe_database(session, now=now)
    session.flush()
    if posting.offer_id is not None:
        apply_visibility(session, [posting.offer_id])
        offer = session.get(Offer, posting.offer_id)
        if offer is not None and offer.employer_id is None:
            offer.employer_id = employer.id
    audit(session, actor, "network.offer_submit", "member_offer", existing.id, {"posting_id": posting.id})
    return existing


def review_member_offer(
    session: Session, member_offer: MemberOffer, *, approve: bool, staff: str, note: str | None = None
) -> Offer | None:
    """Approve (publish) or reject a member's offer; returns its offer."""
    member_offer.review = "approved" if approve else "rejected"
    member_offer.reviewed_at = utcnow()
    member_offer.reviewed_by = staff
    member_offer.review_note = note or None
    posting = session.get(Posting, member_offer.posting_id)
    if posting is not None and approve and posting.closed_reason in {PENDING_REASON, "rejected"}:
        expired = posting.expires_at is not None and _aware(posting.expires_at) < utcnow()
        posting.status = "closed" if expired else "open"
        posting.closed_at, posting.closed_reason = (utcnow(), "expired") if expired else (None, None)
    elif posting is not None and not approve:
        posting.status, posting.closed_at, posting.closed_reason = "closed", utcnow(), "rejected"
    session.flush()
    offer = session.get(Offer, posting.offer_id) if posting is not None and posting.offer_id else None
    if offer is not None:
        dedupe_database(session)  # re-opens/closes the offer according to its postings
        apply_visibility(session, [offer.id])
    audit(session, staff, "network.offer_" + ("approve" if approve else "reject"), "member_offer", member_offer.id)
    return offer


def apply_visibility(session: Session, offer_ids: Iterable[int] | None = None) -> int:
    """Publish or hold offers according to reviews: an offer whose every posting is a member posting not yet
    approved stays unpublished; any crawled or approved posting makes it public. Returns offers changed."""
    member_reviews = dict(session.execute(select(MemberOffer.posting_id, MemberOffer.review)).tuples().all())
    query = select(Posting.offer_id, Posting.id).where(Posting.offer_id.is_not(None))
    if offer_ids is not None:
        ids = list(offer_ids)
        if not ids:
            return 0
        query = query.where(Posting.offer_id.in_(ids))
    else:
        query = query.where(Posting.offer_id.in_(select(Posting.offer_id).where(Posting.id.in_(list(member_reviews)))))
    public: dict[int, bool] = {}
    for offer_id, posting_id in session.execute(query):
        review = member_reviews.get(posting_id)
        public[offer_id] = public.get(offer_id, False) or review is None or review == "approved"
    changed = 0
    for offer_id, visible in public.items():
        offer = session.get(Offer, offer_id)
        if offer is not None and offer.published != visible:
            offer.published = visible
            changed += 1
    session.flush()
    return changed


def member_offers(session: Session, employer: Employer) -> list[tuple[Offer, list[Posting]]]:
    """The offers of a member from every source (own form, crawled sites, aggregators), deduplicated:
    offers holding one of their postings, linked to their employer row, or carrying their SIRET."""
    conditions = [Posting.source_id == member_source_id(employer.id), Offer.employer_id == employer.id]
    if employer.siret:
        conditions.append(Posting.employer_siret == employer.siret)
    offer_ids = set(
        session.scalars(select(Posting.offer_id).join(Offer, Offer.id == Posting.offer_id).where(or_(*conditions)))
    )
    offers = list(session.scalars(select(Offer).where(Offer.id.in_(offer_ids)).order_by(Offer.id.desc())))
    postings: dict[int, list[Posting]] = {}
    for posting in session.scalars(select(Posting).where(Posting.offer_id.in_(offer_ids))):
        postings.setdefault(posting.offer_id, []).append(posting)  # type: ignore[arg-type]
    return [(offer, postings.get(offer.id, [])) for offer in offers]


# --------------------------------------------------------------------------------------------------
# Talent digests
# --------------------------------------------------------------------------------------------------


def digest_recipients(
    session: Session, *, sector: str | None = None, territory: str | None = None
) -> list[NetworkMember]:
    """Members who accept digests, of a NAF section (``I``) or division (``56``) and/or a territory
    (a département code ``46`` or an EPCI SIREN ``200023737``)."""
    query = select(NetworkMember).where(NetworkMember.status == "member", NetworkMember.digests.is_(True))
    if sector:
        sector = sector.strip().upper()
        if len(sector) == 1:
            query = query.where(NetworkMember.sector == sector)
        else:
            query = query.where(NetworkMember.naf_code == sector[:2])
    if territory:
        territory = territory.strip()
        query = query.where(or_(NetworkMember.departement == territory, NetworkMember.epci == territory))
    return list(session.scalars(query.order_by(NetworkMember.id)))


def check_sector(sector: str | None) -> str | None:
    """A sector option as given to a command or form: a NAF section letter or division code, or an error."""
    if not sector:
        return None
    value = sector.strip().upper()
    if (len(value) == 1 and value in naf_sections()) or value in naf_divisions():
        return value
    raise NetworkError(f"secteur inconnu : {sector!r} (une lettre de section NAF, ex. I, ou une division, ex. 56)")


def shareable(candidate: Candidate) -> bool:
    """Whether a prospect's profile may go out to employers today."""
    return bool(candidate.consent_share) and candidate.unsubscribed_at is None and candidate.anonymized_at is None


def digest_profiles(
    session: Session,
    *,
    days: int = 30,
    rome_prefixes: Iterable[str] = (),
    limit: int = 20,
    now: datetime | None = None,
) -> list[Candidate]:
    """Consented prospects met or updated in the last ``days`` days, newest first, optionally restricted to
    ROME codes starting with one of ``rome_prefixes`` (e.g. ``G16`` for the kitchen trades)."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    query = (
        select(Candidate)
        .where(
            Candidate.consent_share.is_(True),
            Candidate.unsubscribed_at.is_(None),
            Candidate.anonymized_at.is_(None),
            Candidate.last_contact_at >= since,
        )
        .order_by(Candidate.last_contact_at.desc(), Candidate.id.desc())
    )
    prefixes = tuple(p.strip().upper() for p in rome_prefixes if p.strip())
    chosen: list[Candidate] = []
    for candidate in session.scalars(query):
        if prefixes and not any(str(code).upper().startswith(prefixes) for code in candidate.rome_codes or []):
            continue
        chosen.append(candidate)
        if len(chosen) >= limit:
            break
    return chosen


def profile_card(candidate: Candidate) -> dict[str, str]:
    """The allowlisted, contact-free view of a prospect shown to employers (``PROFILE_FIELDS``)."""
    area = ""
    if candidate.commune_insee:
        place = get_gazetteer().commune(candidate.commune_insee)
        if place is not None:
            area = f"{place.name} ({place.departement})"
    experience = ""
    if candidate.experience_years is not None:
        experience = f"{candidate.experience_years:g} an(s)"
    elif candidate.experience_level:
        experience = candidate.experience_level
    contracts = ", ".join(CONTRACT_CHOICES.get(str(c), str(c)) for c in candidate.contract_types or [])
    card = {
        "desired_jobs": candidate.desired_jobs or "",
        "skills": candidate.skills or "",
        "experience": experience,
        "diplomas": candidate.diplomas or "",
        "languages": candidate.languages or "",
        "driving_licence": {True: "oui", False: "non"}.get(candidate.driving_licence, ""),  # type: ignore[arg-type]
        "contract_types": contracts,
        "available_from": candidate.available_from.strftime("%d/%m/%Y") if candidate.available_from else "",
        "area": area,
    }
    assert set(card) == set(PROFILE_FIELDS)
    return {key: " ".join(value.split())[:400] for key, value in card.items()}


PROFILE_LABELS = {
    "desired_jobs": "Métiers recherchés",
    "skills": "Compétences",
    "experience": "Expérience",
    "diplomas": "Diplômes",
    "languages": "Langues",
    "driving_licence": "Permis B",
    "contract_types": "Contrats souhaités",
    "available_from": "Disponible à partir du",
    "area": "Vit actuellement à",
}


def interest_link(settings: OutreachSettings, employer_id: int, candidate_id: int, digest_id: int | None) -> str:
    token = sign(settings.key(), "interest", {"e": employer_id, "c": candidate_id, "d": digest_id})
    return f"{settings.base_url()}/reseau/interet/{token}"


def _digest_text(
    member: NetworkMember, profiles: list[tuple[Candidate, dict[str, str]]], links: list[str], base_url: str
) -> str:
    lines = [
        f"Bonjour {member.contact_name},",
        "",
        f"Voici {len(profiles)} personne(s) rencontrée(s) par Oh my Lot ! qui souhaitent travailler dans le Lot "
        "et ont accepté que leur profil soit présenté aux employeurs du réseau. Leurs coordonnées ne sont pas "
        "communiquées : si un profil vous intéresse, dites-le nous et l'équipe vous mettra en relation.",
        "",
    ]
    for (candidate, card), link in zip(profiles, links, strict=True):
        lines.append(f"— Profil n° {candidate.id}")
        for key in PROFILE_FIELDS:
            if card[key]:
                lines.append(f"  {PROFILE_LABELS[key]} : {card[key]}")
        lines.append(f"  Ce profil m'intéresse : {link}")
        lines.append("")
    lines += [
        f"Vous pouvez aussi répondre depuis votre espace membre : {base_url}/membre/profils",
        "",
        "Vous recevez ce message en tant que membre du réseau des employeurs Oh my Lot !. Pour ne plus le "
        f"recevoir, décochez l'option dans votre espace membre ({base_url}/membre).",
        "",
        "L'équipe Oh my Lot !",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class DigestReport:
    """What a digest did (or would do, in a dry run)."""

    members: list[NetworkMember]
    profiles: list[Candidate]
    sent: int = 0
    up_to_date: int = 0
    failures: list[str] = field(default_factory=list)
    digest_ids: list[int] = field(default_factory=list)


def _already_sent(session: Session, member_ids: set[int]) -> dict[int, set[int]]:
    """For each member, the prospects already presented to them by an earlier digest."""
    sent: dict[int, set[int]] = {m: set() for m in member_ids}
    for recipients, candidates in session.execute(select(TalentDigest.member_ids, TalentDigest.candidate_ids)):
        for member_id in recipients or []:
            if member_id in sent:
                sent[member_id].update(int(c) for c in candidates or [])
    return sent


def send_digest(
    session: Session,
    settings: OutreachSettings,
    *,
    sector: str | None = None,
    territory: str | None = None,
    days: int = 30,
    rome_prefixes: Iterable[str] = (),
    limit: int = 20,
    actor: str,
    dry_run: bool = False,
    now: datetime | None = None,
) -> DigestReport:
    """Send the talent digest to the members of a sector and/or territory: one e-mail per member with the
    profiles not yet presented to that member (so a weekly run only brings news). Each e-mail sent is one
    ``TalentDigest`` row (an e-mail that fails is not recorded: its profiles go out next time)."""
    sector = check_sector(sector)
    members = digest_recipients(session, sector=sector, territory=territory)
    profiles = digest_profiles(session, days=days, rome_prefixes=rome_prefixes, limit=limit, now=now)
    report = DigestReport(members=members, profiles=profiles)
    if dry_run or not members or not profiles:
        return report
    settings.key()
    already = _already_sent(session, {m.id for m in members})
    cards = {c.id: (c, profile_card(c)) for c in profiles}
    for member in members:
        fresh = [cards[c.id] for c in profiles if c.id not in already[member.id]]
        if not fresh:
            report.up_to_date += 1
            continue
        digest = TalentDigest(
            sent_at=now or utcnow(),
            sent_by=actor,
            sector=sector,
            territory=territory,
            member_ids=[member.id],
            candidate_ids=[c.id for c, _ in fresh],
        )
        session.add(digest)
        session.flush()
        links = [interest_link(settings, member.employer_id, c.id, digest.id) for c, _ in fresh]
        message = mail.build_message(
            [member.contact_email],
            f"Oh my Lot ! : {len(fresh)} profil(s) pour {member.employer.name}",
            _digest_text(member, fresh, links, settings.base_url()),
        )
        try:
            mail.send(message)
        except mail.MailNotConfigured:
            raise
        except OSError as exc:
            report.failures.append(f"{member.contact_email} : {exc}")
            session.delete(digest)
            continue
        report.sent += 1
        report.digest_ids.append(digest.id)
    audit(
        session,
        actor,
        "network.digest",
        "talent_digest",
        ",".join(map(str, report.digest_ids))[:80] or None,
        {"members": len(members), "profiles": len(profiles), "sent": report.sent, "failures": len(report.failures)},
    )
    return report


def record_interest(
    session: Session,
    employer_id: int,
    candidate_id: int,
    *,
    digest_id: int | None,
    channel: str,
    actor: str,
    notify: bool = True,
) -> TalentInterest:
    """Record "ce profil m'intéresse" (once per employer and profile) and tell staff by e-mail."""
    member = session.scalar(select(NetworkMember).where(NetworkMember.employer_id == employer_id))
    candidate = session.get(Candidate, candidate_id)
    if member is None or member.status != "member" or candidate is None or not shareable(candidate):
        raise NetworkError("Ce profil n'est plus disponible.")
    row = session.scalar(
        select(TalentInterest).where(
            TalentInterest.employer_id == employer_id, TalentInterest.candidate_id == candidate_id
        )
    )
    if row is not None:
        return row
    row = TalentInterest(employer_id=employer_id, candidate_id=candidate_id, digest_id=digest_id, channel=channel)
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "network.interest",
        "talent_interest",
        row.id,
        {"employer_id": employer_id, "candidate_id": candidate_id},
    )
    recipients = mail.StaffSettings().recipients()
    if notify and recipients:
        text = (
            f"{member.employer.name} ({member.contact_name}) est intéressé(e) par le profil n° {candidate_id}.\n"
            f"À vous de mettre les deux en relation : {OutreachSettings().base_url()}/equipe/reseau/interets\n"
        )
        try:
            mail.send(mail.build_message(recipients, f"Réseau : intérêt pour le profil n° {candidate_id}", text))
        except (mail.MailNotConfigured, OSError) as exc:  # the row is what matters; the e-mail is a nudge
            logger.warning("avis à l'équipe non envoyé : %s", exc)
    return row


# --------------------------------------------------------------------------------------------------
# Offer selections and unsubscribing
# --------------------------------------------------------------------------------------------------


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
    candidate: Candidate, offers: list[Offer], base_url: str, unsubscribe_url: str, note: str | None = None,
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
    text = selection_text(candidate, public, settings.base_url(), unsubscribe_link(settings, candidate.id), note,
                          signer)
    unsubscribe_url = unsubscribe_link(settings, candidate.id)
    headers = {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    if signer is not None and signer.email:
        headers["Reply-To"] = f"{signer.name} <{signer.email}>"
    message = mail.build_message(
        [candidate.email],
        "Des offres d'emploi dans le Lot sélectionnées pour vous",
        text,
        html=text_to_html(text),
        sender=sender_for(signer, mail.MailSettings().from_) if signer else None,
        headers=headers,
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
