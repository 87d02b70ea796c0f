"""Offers typed in by network members.

A member's form becomes a ``RawPosting`` of the source ``reseau-<employer id>`` (platform ``manual``), goes
through ``normalize_posting`` and the pipeline's checks, is stored with ``upsert_postings`` and grouped with the
crawled postings by ``dedupe_database``. An offer made only of member postings nobody approved yet stays
unpublished (``apply_visibility``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from html import escape
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matching.normalize import normalize_posting
from matching.types import RawPosting
from services.network.common import (
    CONTRACT_CHOICES,
    MEMBER_PLATFORM,
    MEMBER_TRUST,
    PENDING_REASON,
    FormCheck,
    NetworkError,
    field_text,
)
from store.audit import audit
from store.dedup import dedupe_database
from store.models import (
    Employer,
    MemberOffer,
    Offer,
    Posting,
    utcnow,
)
from store.models import as_utc as _aware
from store.postings import PostingInput, ensure_source, upsert_postings


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
    title = field_text(fields, "title", 300)
    if len(title) < 3:
        check.errors["title"] = "Indiquez l'intitulé du poste."
    check.values["title"] = title
    place = field_text(fields, "place", 200)
    if not place:
        check.errors["place"] = "Indiquez la commune du poste."
    check.values["place"] = place
    contract = field_text(fields, "contract", 40)
    if contract not in CONTRACT_CHOICES:
        check.errors["contract"] = "Choisissez le type de contrat."
    check.values["contract"] = contract
    months = field_text(fields, "duration_months", 10).replace(",", ".")
    check.values["duration_months"] = months
    if months:
        try:
            if not 0 < float(months) <= 60:
                raise ValueError
        except ValueError:
            check.errors["duration_months"] = "Durée en mois : un nombre entre 1 et 60."
    check.values["working_time"] = field_text(fields, "working_time", 40)
    check.values["salary"] = field_text(fields, "salary", 200)
    start_text, end_text = field_text(fields, "start", 10), field_text(fields, "end", 10)
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
    apply = field_text(fields, "apply", 500)
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
