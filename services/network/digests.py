"""Talent digests: consented prospects' profiles e-mailed to the members of a sector or territory.

Consented prospects (``consent_share``, not unsubscribed, not anonymised) are shown with allowlisted fields
only (``PROFILE_FIELDS``: no name, no contact detail); each profile carries a signed "ce profil m'intéresse"
link (``record_interest``) that reaches staff.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matching.employers import naf_divisions, naf_sections
from matching.geo import get_gazetteer
from services import mail
from services.network.common import (
    CONTRACT_CHOICES,
    NetworkError,
    OutreachSettings,
    sign,
)
from store.audit import audit
from store.models import (
    Candidate,
    NetworkMember,
    TalentDigest,
    TalentInterest,
    utcnow,
)

logger = logging.getLogger(__name__)


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
