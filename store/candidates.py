"""Prospects, households, events and paths: the queries every caller shares (import, booth form, CLI, web).

- ``upsert_candidate`` finds a known prospect by e-mail (case-insensitive) or phone (E.164), updates them with
  what is new (never blanking a value with an empty cell) or creates them, and records consent with its date,
  channel and purpose (RELIABILITY.md P2).
- ``link_event`` records that a prospect was met at an event; ``form_household`` groups two partners, and
  ``link_pending_partners`` forms the households whose partner was imported later.
- ``set_status`` appends a step of the path (met → accompanied → interviewing → hired → settled, or gave up)
  with its date and staff member, and writes an audit row.
- ``assign_referent`` picks the territorial "référent accueil" whose territory (``User.territory``: EPCI
  SIRENs) holds the prospect's target EPCI.

Datetimes read back from SQLite are naive; ``aware()`` treats them as UTC before any comparison.

Size (issue 20): a little over 600 lines on purpose: the household helpers use the prospect look-ups
(``find_candidates``, ``normalize_phone``) and ``upsert_candidate`` proposes households, so moving them to a
module of their own while this one re-exports them would make an import cycle.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import phonenumbers
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from matching.text import fold
from store.audit import audit
from store.models import Candidate, CandidateEvent, CandidateStatus, Event, Household, HouseholdLink, User, utcnow

STATUSES = ("met", "accompanied", "interviewing", "hired", "settled", "gave_up")
STATUS_LABELS = {
    "met": "rencontré",
    "accompanied": "accompagné",
    "interviewing": "en entretien",
    "hired": "embauché",
    "settled": "installé",
    "gave_up": "abandon",
}
# French words staff may type for a status.
STATUS_ALIASES = {
    "rencontre": "met",
    "accompagne": "accompanied",
    "entretien": "interviewing",
    "en entretien": "interviewing",
    "embauche": "hired",
    "recrute": "hired",
    "installe": "settled",
    "abandon": "gave_up",
    "abandonne": "gave_up",
}

# Profile columns an import or the booth form may set (values of ``validate_prospect``).
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "desired_jobs",
    "rome_codes",
    "skills",
    "experience_years",
    "diplomas",
    "languages",
    "driving_licence",
    "contract_types",
    "available_from",
    "current_place",
    "commune_insee",
    "lat",
    "lon",
    "target_area",
    "radius_km",
)


def aware(value: datetime | None) -> datetime | None:
    """``value`` as a timezone-aware UTC datetime (SQLite gives naive ones back)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def event_datetime(event: Event | None, now: datetime) -> datetime:
    """When a prospect met at ``event`` was met: the start (UTC) of the event's day when known, else ``now``.

    A day, not the import time, so that importing the same file again changes nothing.
    """
    if event is not None and event.date is not None:
        return datetime.combine(event.date, time(0, 0), tzinfo=UTC)
    return now


def get_or_create_event(
    session: Session,
    name: str,
    *,
    day: date | None = None,
    place: str | None = None,
    kind: str | None = None,
) -> tuple[Event, bool]:
    """The event called ``name`` (case and surrounding spaces ignored), created if new; missing details filled."""
    clean = " ".join(name.split())
    event = session.execute(select(Event).where(func.lower(Event.name) == clean.lower())).scalars().first()
    created = event is None
    if event is None:
        event = Event(name=clean, date=day, place=place, kind=kind)
        session.add(event)
        session.flush()
        return event, True
    if day is not None and event.date is None:
        event.date = day
    if place and not event.place:
        event.place = place
    if kind and not event.kind:
        event.kind = kind
    return event, created


def find_candidates(session: Session, *, email: str | None = None, phone: str | None = None) -> list[Candidate]:
    """Prospects with this e-mail (case-insensitive) or this E.164 phone, e-mail matches first.

    E-mails are stored in lower case (``validate_prospect`` lowers them), so the lookup uses the index.
    """
    found: list[Candidate] = []
    if email:
        found += session.execute(
            select(Candidate).where(Candidate.email == email.strip().lower()).order_by(Candidate.id)
        ).scalars().all()
    if phone:
        for candidate in session.execute(
            select(Candidate).where(Candidate.phone == phone).order_by(Candidate.id)
        ).scalars():
            if candidate not in found:
                found.append(candidate)
    return found


@dataclass
class UpsertResult:
    """What ``upsert_candidate`` did: ``outcome`` is ``imported``, ``updated`` or ``unchanged``."""

    candidate: Candidate
    outcome: str
    changed: list[str] = field(default_factory=list)
    # another known prospect also matched (same phone, different e-mail…): staff should look
    conflicts: list[int] = field(default_factory=list)
    # prospects sharing the phone but not the name or e-mail: proposed to staff as the same household
    housemates: list[int] = field(default_factory=list)


def _merge_notes(old: str | None, new: str | None) -> str | None:
    if not new:
        return old
    if not old:
        return new
    if new.strip() in old:
        return old
    return f"{old.rstrip()}\n{new.strip()}"


def _record_consent(
    candidate: Candidate, purpose: str, given: bool | None, at: datetime, channel: str, changed: list[str]
) -> None:
    """Record consent for ``purpose`` (``contact`` or ``share``): a yes sets it, an explicit no withdraws it."""
    if given is None:
        return
    current = getattr(candidate, f"consent_{purpose}")
    if bool(current) == given and getattr(candidate, f"consent_{purpose}_at") is not None:
        return
    if not given and not current:
        return
    setattr(candidate, f"consent_{purpose}", given)
    setattr(candidate, f"consent_{purpose}_at", at)
    setattr(candidate, f"consent_{purpose}_channel", channel[:80])
    changed.append(f"consent_{purpose}")


def record_consent(
    session: Session,
    candidate: Candidate,
    purpose: str,
    given: bool,
    *,
    channel: str,
    staff: str | None,
    at: datetime | None = None,
) -> bool:
    """Record that ``candidate`` gave or withdrew consent for ``purpose`` (``contact`` or ``share``), audited.

    Returns False when nothing changed. Withdrawing consent to be contacted also withdraws sharing (a profile
    is only shared to contact the person).
    """
    if purpose not in ("contact", "share"):
        raise ValueError(f"unknown consent purpose {purpose!r}")
    at = at or utcnow()
    changed: list[str] = []
    _record_consent(candidate, purpose, given, at, channel, changed)
    if purpose == "contact" and not given:
        _record_consent(candidate, "share", False, at, channel, changed)
        if changed:
            candidate.unsubscribed_at = at
    if purpose == "contact" and given:
        candidate.unsubscribed_at = None
    if changed:
        session.flush()
        audit(session, staff, "candidates.consent", "candidate", candidate.id,
              {"changed": changed, "given": given, "channel": channel[:80]}, at=at)
    return bool(changed)


def upsert_candidate(
    session: Session,
    values: dict[str, Any],
    *,
    met_at: datetime,
    channel: str,
    now: datetime | None = None,
    fill_only_ids: Collection[int] = (),
    known: Candidate | None = None,
) -> UpsertResult:
    """Create or update the prospect described by ``values`` (the output of ``validate_prospect``).

    A known prospect (same e-mail or phone) gets every non-empty value; empty values never blank what is
    known; notes are appended. Older information (``met_at`` before the last contact) and repeated rows of
    one file (prospects in ``fill_only_ids``) only fill what is missing, so re-importing an old file never
    undoes a newer one. Consent is stamped with ``met_at`` and ``channel``. ``known`` is the prospect this very
    row went to before (``store.prospect_sources.known_prospect``): it is the one updated, whoever else matches.
    """
    now = now or utcnow()
    found = [known] if known is not None else find_candidates(
        session, email=values.get("email"), phone=values.get("phone"))
    # A shared phone alone never makes two people one: a phone-only match whose name or e-mail differs is
    # another person of the household (a shared landline), proposed to staff as such.
    email = (values.get("email") or "").strip().lower()
    by_email = [c for c in found if (email and c.email == email) or c is known]
    others = [c for c in found if c not in by_email and same_person(c, values)]
    housemates = [c for c in found if c not in by_email and c not in others]
    matches = by_email + others
    fill_only = False
    if matches:
        candidate = matches[0]
        outcome = "updated"
        last_contact = aware(candidate.last_contact_at)
        fill_only = candidate.id in fill_only_ids or (last_contact is not None and met_at < last_contact)
    else:
        candidate = Candidate(
            status="met", created_at=now, last_contact_at=met_at, rome_codes=[], target_area={}, contract_types=[],
            # the first step of the path, set before the flush (appending later would load the collection)
            path=[CandidateStatus(status="met", changed_at=met_at, staff=None, note=None)],
        )
        session.add(candidate)
        outcome = "imported"
    # The phone belongs to another known prospect than the e-mail: keep it there, staff are warned.
    conflicting = {"phone"} if len(found) > 1 else set()
    changed = _apply_values(candidate, values, skip=conflicting, fill_only=fill_only, met_at=met_at, channel=channel)
    last = aware(candidate.last_contact_at)
    if last is None or met_at > last:
        candidate.last_contact_at = met_at
        if outcome == "updated":
            changed.append("last_contact_at")
    if outcome == "updated":
        if changed:
            candidate.updated_at = now
            candidate.purge_notice_at = None  # a new contact restarts the retention period
        else:
            outcome = "unchanged"
    session.flush()
    proposed = [mate.id for mate in housemates[:MAX_HOUSEHOLD_PROPOSALS]
                if propose_household(session, candidate, mate, "même téléphone, autre nom ou autre courriel")]
    conflicts = [c.id for c in matches[1:]] + ([c.id for c in housemates] if by_email else [])
    return UpsertResult(candidate, outcome, changed, conflicts, proposed)


def _apply_values(
    candidate: Candidate, values: dict[str, Any], *, skip: set[str], fill_only: bool, met_at: datetime, channel: str
) -> list[str]:
    """Write the non-empty ``values`` on ``candidate`` (only where empty when ``fill_only``): the fields changed."""
    changed: list[str] = []
    for name in PROFILE_FIELDS:
        if name in skip:
            continue
        value = values.get(name)
        if value is None or value == "" or value == [] or value == {}:
            continue
        current = getattr(candidate, name)
        if fill_only and current not in (None, "", [], {}):
            continue
        if current != value:
            setattr(candidate, name, value)
            changed.append(name)
    notes = _merge_notes(candidate.notes, values.get("notes"))
    if notes != candidate.notes:
        candidate.notes = notes
        changed.append("notes")
    partner = values.get("partner")
    if partner and candidate.household_id is None and candidate.partner_hint != partner:
        candidate.partner_hint = partner
        changed.append("partner_hint")
    for purpose in ("contact", "share"):
        given = values.get(f"consent_{purpose}")
        if fill_only and given is False:
            given = None  # an older "no" does not withdraw a newer "yes"
        _record_consent(candidate, purpose, given, met_at, channel, changed)
    return changed


#: a phone shared by more people than this is a switchboard, not a household: only the first are proposed
MAX_HOUSEHOLD_PROPOSALS = 5


def same_person(candidate: Candidate, values: dict[str, Any]) -> bool:
    """Whether a prospect found by phone alone may be the person ``values`` describe: no different e-mail,
    no different first or last name (accents, case and punctuation ignored)."""
    email = (values.get("email") or "").strip().lower()
    if email and candidate.email and candidate.email.lower() != email:
        return False
    for name in ("first_name", "last_name"):
        given, known = values.get(name), getattr(candidate, name)
        if given and known and _name_key(fold(given)) != _name_key(fold(known)):
            return False
    return True


def _name_key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def propose_household(session: Session, a: Candidate, b: Candidate, reason: str) -> bool:
    """Propose ``a`` and ``b`` to staff as a probable household; False when already proposed or together."""
    if a.id == b.id or (a.household_id is not None and a.household_id == b.household_id):
        return False
    first, second = sorted((a.id, b.id))
    exists = session.scalar(select(HouseholdLink.id).where(
        HouseholdLink.candidate_a_id == first, HouseholdLink.candidate_b_id == second))
    if exists is not None:
        return False
    session.add(HouseholdLink(candidate_a_id=first, candidate_b_id=second, reason=reason[:200]))
    session.flush()
    return True


def decide_household(session: Session, link_id: int, *, confirm: bool, staff: str | None, now: datetime | None = None
                     ) -> HouseholdLink:
    """Staff's decision on a proposed household: confirmed (the household is formed) or rejected."""
    link = session.get(HouseholdLink, link_id)
    if link is None:
        raise LookupError(f"proposition de foyer n° {link_id} introuvable")
    link.status = "confirmed" if confirm else "rejected"
    link.decided_at = now or utcnow()
    link.decided_by = staff
    if confirm:
        a, b = session.get(Candidate, link.candidate_a_id), session.get(Candidate, link.candidate_b_id)
        if a is not None and b is not None:
            form_household(session, a, b)
    audit(session, staff, f"households.{link.status}", "household_link", link.id,
          {"candidates": [link.candidate_a_id, link.candidate_b_id]}, at=link.decided_at)
    session.flush()
    return link


def link_event(session: Session, candidate: Candidate, event: Event, met_at: datetime) -> bool:
    """Record that ``candidate`` was met at ``event``; False when already recorded."""
    existing = session.get(CandidateEvent, (candidate.id, event.id))
    if existing is not None:
        return False
    session.add(CandidateEvent(candidate_id=candidate.id, event_id=event.id, met_at=met_at))
    session.flush()
    return True


def form_household(session: Session, a: Candidate, b: Candidate) -> Household:
    """Put ``a`` and ``b`` in one household (created, or merged when both had one)."""
    if a.household_id is not None and a.household_id == b.household_id:
        household = session.get(Household, a.household_id)
        assert household is not None
        return household
    keep_id = a.household_id or b.household_id
    household = session.get(Household, keep_id) if keep_id else None
    if household is None:
        household = Household()
        session.add(household)
        session.flush()
    for person in (a, b):
        old_id = person.household_id
        if old_id is not None and old_id != household.id:
            for member in session.execute(select(Candidate).where(Candidate.household_id == old_id)).scalars():
                member.household_id = household.id
            session.flush()
            old = session.get(Household, old_id)
            if old is not None:
                session.delete(old)
        person.household_id = household.id
        person.partner_hint = None
    session.flush()
    return household


def _name_words(text: str | None) -> frozenset[str]:
    return frozenset(w for w in "".join(ch if ch.isalnum() else " " for ch in fold(text)).split() if w)


def find_partner(session: Session, candidate: Candidate, hint: str) -> Candidate | None:
    """The prospect ``hint`` names (an e-mail, a phone number or a full name), if exactly one matches."""
    hint = hint.strip()
    if not hint:
        return None
    if "@" in hint:
        found = [c for c in find_candidates(session, email=hint) if c.id != candidate.id]
        return found[0] if found else None
    phone = normalize_phone(hint)
    if phone:
        found = [c for c in find_candidates(session, phone=phone) if c.id != candidate.id]
        return found[0] if found else None
    wanted = _name_words(hint)
    if len(wanted) < 2:
        return None

    keys = {w.lower() for w in hint.split()} | {fold(w) for w in hint.split()} | {hint.lower(), fold(hint)}
    pool = session.execute(
        select(Candidate).where(
            or_(func.lower(Candidate.last_name).in_(keys), func.lower(Candidate.first_name).in_(keys))
        )
    ).scalars()
    found = [
        c for c in pool if c.id != candidate.id and _name_words(f"{c.first_name or ''} {c.last_name or ''}") == wanted
    ]
    return found[0] if len(found) == 1 else None


def link_pending_partners(session: Session, candidates: Iterable[Candidate] | None = None) -> list[tuple[int, int]]:
    """Form the households whose partner is now known; returns the (candidate id, partner id) pairs linked."""
    query = select(Candidate).where(Candidate.partner_hint.is_not(None))
    pending = list(candidates) if candidates is not None else list(session.execute(query).scalars())
    linked: list[tuple[int, int]] = []
    for candidate in pending:
        if not candidate.partner_hint:
            continue
        partner = find_partner(session, candidate, candidate.partner_hint)
        if partner is None:
            continue
        form_household(session, candidate, partner)
        linked.append((candidate.id, partner.id))
    return linked


def normalize_phone(text: object, region: str = "FR") -> str | None:
    """A phone number in E.164 (``+33612345678``) when ``text`` is a valid number, else None.

    Spreadsheets store numbers as numbers: ``612345678`` (the leading 0 lost) is read as a French number.
    """
    if text is None:
        return None
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    raw = str(text).strip()
    if not raw or sum(ch.isdigit() for ch in raw) < 6:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_status(text: str) -> str | None:
    """A status code from its code or French name (``accompagné`` → ``accompanied``), else None."""
    key = fold(text).strip().replace("-", "_")
    if key in STATUSES:
        return key
    key = key.replace("_", " ")
    if key in STATUS_ALIASES:
        return STATUS_ALIASES[key]
    for code, label in STATUS_LABELS.items():
        if fold(label) == key:
            return code
    return None


def set_status(
    session: Session,
    candidate: Candidate,
    status: str,
    *,
    staff: str | None,
    note: str | None = None,
    sector: str | None = None,
    at: datetime | None = None,
) -> CandidateStatus:
    """Append a step to the prospect's path, make it their current status, and audit it."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    at = at or utcnow()
    step = CandidateStatus(status=status, changed_at=at, staff=staff, note=note, sector=sector)
    candidate.path.append(step)
    candidate.status = status
    last = aware(candidate.last_contact_at)
    if last is None or at > last:
        candidate.last_contact_at = at
        candidate.purge_notice_at = None
    session.flush()
    audit(
        session,
        staff,
        "candidates.status",
        "candidate",
        candidate.id,
        {"status": status, "sector": sector, "step": step.id},
        at=at,
    )
    return step


def household_members(session: Session, candidate: Candidate) -> list[Candidate]:
    """The prospects of ``candidate``'s household (just the prospect when they have none)."""
    if candidate.household_id is None:
        return [candidate]
    return list(
        session.execute(
            select(Candidate).where(Candidate.household_id == candidate.household_id).order_by(Candidate.id)
        ).scalars()
    )


def assign_referent(session: Session, candidate: Candidate, epcis: Sequence[str]) -> User | None:
    """Assign the active référent whose territory holds the first of ``epcis`` (target EPCIs first).

    A prospect who already has a référent keeps them. Returns the référent assigned (or kept), or None.
    """
    if candidate.referent_id is not None:
        return session.get(User, candidate.referent_id)
    if not epcis:
        return None
    referents = session.execute(
        select(User).where(User.role == "referent", User.active.is_(True)).order_by(User.id)
    ).scalars().all()
    for siren in epcis:
        for user in referents:
            if siren in (user.territory or []):
                candidate.referent_id = user.id
                return user
    return None


def list_candidates(
    session: Session,
    *,
    event: str | None = None,
    status: str | None = None,
    referent: str | None = None,
    search: str | None = None,
    rome: str | None = None,
    consent_share: bool | None = None,
    limit: int | None = 200,
) -> list[Candidate]:
    """Prospects (anonymised ones left out) filtered by event name, status, référent e-mail, text, ROME prefix."""
    query = select(Candidate).where(Candidate.anonymized_at.is_(None))
    if event:
        query = query.join(CandidateEvent, CandidateEvent.candidate_id == Candidate.id).join(
            Event, Event.id == CandidateEvent.event_id
        ).where(func.lower(Event.name) == event.strip().lower())
    if status:
        query = query.where(Candidate.status == status)
    if referent:
        query = query.join(User, User.id == Candidate.referent_id).where(func.lower(User.email) == referent.lower())
    if consent_share is not None:
        query = query.where(Candidate.consent_share.is_(consent_share))
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Candidate.last_name).like(like),
                func.lower(Candidate.first_name).like(like),
                func.lower(Candidate.email).like(like),
                func.lower(Candidate.desired_jobs).like(like),
                func.lower(Candidate.current_place).like(like),
            )
        )
    query = query.order_by(Candidate.last_name, Candidate.first_name, Candidate.id)
    rows = list(session.execute(query).scalars().unique())
    if rome:
        rows = [c for c in rows if any(str(code).startswith(rome.upper()) for code in (c.rome_codes or []))]
    return rows[:limit] if limit else rows


def candidate_events(session: Session, candidate_id: int) -> list[tuple[Event, datetime]]:
    """The events where the prospect was met, oldest first, with the meeting time."""
    rows = session.execute(
        select(Event, CandidateEvent.met_at)
        .join(CandidateEvent, CandidateEvent.event_id == Event.id)
        .where(CandidateEvent.candidate_id == candidate_id)
        .order_by(CandidateEvent.met_at)
    ).all()
    return [(event, aware(met_at) or met_at) for event, met_at in rows]


def list_events(session: Session, year: int | None = None) -> list[tuple[Event, int]]:
    """Events with the number of prospects met there, most recent first (optionally of one year)."""
    query = (
        select(Event, func.count(CandidateEvent.candidate_id))
        .outerjoin(CandidateEvent, CandidateEvent.event_id == Event.id)
        .group_by(Event.id)
        .order_by(Event.date.desc().nulls_last(), Event.id.desc())
    )
    rows = [(event, count) for event, count in session.execute(query).all()]
    if year is not None:
        rows = [(e, n) for e, n in rows if (e.date.year if e.date else aware(e.created_at).year) == year]
    return rows
