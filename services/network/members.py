"""Joining the employers' network: the public form, staff decisions, member sign-in links.

A public form creates a ``NetworkMember`` in ``pending`` state (the ``Employer`` row is found by SIRET or
created); staff validate it, which creates the employer account (``User`` role ``employer``) and e-mails a
one-use sign-in link (``login_link`` / ``consume_login_token``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.employers import check_siret, naf_divisions, naf_sections, sector_of
from matching.geo import get_gazetteer
from matching.text import fold
from services import mail
from services.network.common import (
    LOGIN_LINK_DAYS,
    FormCheck,
    NetworkError,
    OutreachSettings,
    email_ok,
    field_checked,
    field_text,
    sign,
    unsign,
)
from store.audit import audit
from store.models import (
    Employer,
    NetworkMember,
    User,
    utcnow,
)


def sector_choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(section letter, section label, [(division code, label)]) for the form's grouped select."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for entry in naf_divisions().values():
        grouped.setdefault(entry.section, []).append((entry.code, entry.label))
    return [(letter, label, grouped.get(letter, [])) for letter, label in naf_sections().items()]


def check_join_form(fields: Mapping[str, Any]) -> FormCheck:
    """Check the join form: company, SIRET (format and checksum), NAF division, commune, contact, consent."""
    check = FormCheck()
    company = field_text(fields, "company", 300)
    if len(company) < 2:
        check.errors["company"] = "Indiquez le nom de l'entreprise ou de la structure."
    check.values["company"] = company
    siret = check_siret(str(fields.get("siret") or ""))
    if siret.error:
        check.errors["siret"] = siret.error
    check.values["siret"] = siret.value or field_text(fields, "siret", 40)
    naf = field_text(fields, "naf", 10).upper()
    if naf not in naf_divisions():
        check.errors["naf"] = "Choisissez le secteur d'activité dans la liste."
    check.values["naf"] = naf
    commune_text = field_text(fields, "commune", 200)
    place = get_gazetteer().resolve(commune_text) if commune_text else None
    if place is None or place.level != "commune" or not place.insee:
        check.errors["commune"] = (
            "Commune introuvable : écrivez son nom et, si besoin, son code postal (ex. « Figeac 46100 »)."
        )
    check.values["commune"] = commune_text
    check.values["place"] = place
    contact = field_text(fields, "contact_name", 200)
    if len(contact) < 2:
        check.errors["contact_name"] = "Indiquez le nom de la personne à contacter."
    check.values["contact_name"] = contact
    check.values["contact_role"] = field_text(fields, "contact_role", 200)
    email = field_text(fields, "email", 320).lower()
    if not email_ok(email):
        check.errors["email"] = "Adresse e-mail invalide (ex. prenom.nom@entreprise.fr)."
    check.values["email"] = email
    phone = field_text(fields, "phone", 40)
    if phone:
        try:
            parsed = phonenumbers.parse(phone, "FR")
            if not phonenumbers.is_valid_number(parsed):
                raise phonenumbers.NumberParseException(1, "invalid")
            phone = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            check.errors["phone"] = "Numéro de téléphone invalide (ex. 05 65 00 00 00)."
    check.values["phone"] = phone or None
    if not field_checked(fields, "consent"):
        check.errors["consent"] = "Cochez la case pour accepter que le programme traite ces informations."
    check.values["digests"] = field_checked(fields, "digests")
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
