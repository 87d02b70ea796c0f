"""Personal data rights and retention (RELIABILITY.md P3, P4).

- ``purge``: a prospect whose last contact is 2 years old or more (``RETENTION``) is anonymised; those whose
  turn comes within 30 days (``NOTICE``) are announced so staff can renew the contact. Nothing is written
  unless ``wet_run`` (the les-emplois convention); a wet run also stamps ``purge_notice_at`` on the
  announced prospects and writes one audit row.
- ``anonymise_candidate``: clears every field that identifies or describes the person (names, contacts,
  free text, precise place, partner) and deletes their matches, match feedback and shortlist entries, but keeps
  what the yearly statistics need: events met, path steps (status, date, sector), ROME codes, target EPCIs /
  départements, household link.
- ``export_person``: everything held on one person (profile, consent, events, path, household, matches,
  feedback, shortlists, audit rows about them, the sources: what each import row or form entry said) as a
  JSON-ready dictionary.
- The sources of a prospect (``CandidateSource``, reversible merges) are deleted by anonymisation (erasure and
  purge); a wet purge also deletes every source last given 2 years ago or more.
- The welcome loop (issue 21): export and erasure also cover the household's settling steps, welcome plan and
  introductions, the ambassadors registered with the identifier (their personal fields emptied, pending
  introductions declined) and the directory entries whose contact it is (contact name and e-mail removed).
- ``erase_person``: anonymises the person, detaches them from their household, and scrubs their name, e-mail
  and phone from every text or JSON column of the other tables (audit details, notes, feedback reasons, any
  table another area adds), offers and crawl tables excepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import JSON, String, Text, delete, func, or_, select, update
from sqlalchemy.orm import Session

from store.audit import audit
from store.candidates import aware, find_candidates, normalize_phone
from store.models import (
    Ambassador,
    AuditLog,
    Base,
    Candidate,
    CandidateEvent,
    CandidateSource,
    CandidateStatus,
    DirectoryEntry,
    Event,
    Household,
    Introduction,
    Match,
    MatchFeedback,
    Offer,
    SettlingStep,
    Shortlist,
    ShortlistEntry,
    WelcomePlan,
    utcnow,
)
from store.search import PROSPECTS, forget_deleted_terms

RETENTION = relativedelta(years=2)
NOTICE = timedelta(days=30)
ERASED = "[effacé]"
# Offers, postings and crawl statistics hold no prospect data and can be huge: the scrub skips them.
SCRUB_SKIP = {"offer", "posting", "posting_change", "crawl_run", "source", "employer", "alembic_version", "app_user"}
# Columns of ``Candidate`` cleared by anonymisation.
PERSONAL_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "desired_jobs",
    "skills",
    "diplomas",
    "languages",
    "notes",
    "current_place",
    "commune_insee",
    "lat",
    "lon",
    "partner_hint",
    "available_from",
    "driving_licence",
    "experience_years",
    "experience_level",
)


@dataclass
class PurgeReport:
    """What a purge did (or would do): ids anonymised and ids announced, with their dates.

    The fields hold no names (the scheduler stores them in its run ledger); ``name_of`` gives the names
    known when the purge ran, for the staff listing.
    """

    now: datetime
    wet_run: bool
    due: list[dict[str, Any]] = field(default_factory=list)
    announced: list[dict[str, Any]] = field(default_factory=list)
    # sources of prospects (what an import row said) last given 2 years ago or more: deleted by a wet run
    old_sources: int = 0

    def __post_init__(self) -> None:
        self._names: dict[int, str] = {}  # not a field: ``asdict`` and the run ledger never see it

    @property
    def anonymised(self) -> int:
        return len(self.due) if self.wet_run else 0

    def name_of(self, candidate_id: int) -> str:
        """The prospect's name as it was before the purge ("" when unknown)."""
        return self._names.get(candidate_id, "")


def retention_limit(last_contact: datetime) -> datetime:
    """When a prospect last contacted at ``last_contact`` must be purged (2 years later)."""
    return aware(last_contact) + RETENTION


def anonymise_candidate(session: Session, candidate: Candidate, *, now: datetime | None = None) -> None:
    """Remove everything personal from ``candidate``, keeping the anonymous aggregates (see module docstring)."""
    now = now or utcnow()
    for name in PERSONAL_FIELDS:
        setattr(candidate, name, None)
    area = candidate.target_area or {}
    candidate.target_area = {k: list(area.get(k) or []) for k in ("epcis", "departements")}
    for purpose in ("contact", "share"):
        setattr(candidate, f"consent_{purpose}", False)
        setattr(candidate, f"consent_{purpose}_channel", None)
    candidate.unsubscribed_at = now
    candidate.anonymized_at = now
    candidate.purge_notice_at = None
    for step in candidate.path:
        step.note = None
    session.execute(delete(Match).where(Match.candidate_id == candidate.id))
    session.execute(delete(MatchFeedback).where(MatchFeedback.candidate_id == candidate.id))
    session.execute(delete(ShortlistEntry).where(ShortlistEntry.candidate_id == candidate.id))
    # what each import row said about the person (issue 18): personal data, gone with the person
    session.execute(delete(CandidateSource).where(CandidateSource.candidate_id == candidate.id))
    session.flush()


def _aware_column_cutoff(session: Session, cutoff: datetime) -> list[Candidate]:
    rows = session.execute(
        select(Candidate).where(Candidate.anonymized_at.is_(None)).order_by(Candidate.last_contact_at, Candidate.id)
    ).scalars()
    return [c for c in rows if aware(c.last_contact_at) <= cutoff]


def purge(
    session: Session, *, now: datetime | None = None, wet_run: bool = False, actor: str | None = None
) -> PurgeReport:
    """Anonymise prospects 2 years after their last contact; announce those due within 30 days."""
    now = aware(now) if now else utcnow()
    report = PurgeReport(now=now, wet_run=wet_run)
    for candidate in _aware_column_cutoff(session, now - RETENTION + NOTICE):
        limit = retention_limit(candidate.last_contact_at)
        report._names[candidate.id] = " ".join(filter(None, [candidate.first_name, candidate.last_name]))
        item = {
            "id": candidate.id,
            "last_contact_at": aware(candidate.last_contact_at).isoformat(),
            "purge_at": limit.isoformat(),
        }
        if limit <= now:
            report.due.append(item)
            if wet_run:
                anonymise_candidate(session, candidate, now=now)
        else:
            report.announced.append(item)
            if wet_run and candidate.purge_notice_at is None:
                candidate.purge_notice_at = now
    too_old = CandidateSource.given_at < now - RETENTION
    report.old_sources = session.scalar(select(func.count()).select_from(CandidateSource).where(too_old)) or 0
    if wet_run:
        # a source last given 2 years ago is past its retention even when the person came back since
        session.execute(delete(CandidateSource).where(too_old))
        audit(
            session,
            actor,
            "privacy.purge",
            None,
            None,
            {"anonymised": [d["id"] for d in report.due], "announced": [d["id"] for d in report.announced],
             "old_sources": report.old_sources},
            at=now,
        )
        if report.due:
            forget_deleted_terms(session, PROSPECTS)
        session.flush()
    return report


def find_person(session: Session, identifier: str) -> list[Candidate]:
    """The prospects an e-mail (case-insensitive) or phone number designates (anonymised ones excluded)."""
    identifier = identifier.strip()
    if "@" in identifier:
        found = find_candidates(session, email=identifier)
    else:
        found = find_candidates(session, phone=normalize_phone(identifier) or identifier)
    return [c for c in found if c.anonymized_at is None]


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return aware(value).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: _iso(getattr(row, column.key)) for column in row.__table__.columns}


AMBASSADOR_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "trade",
    "family_situation",
    "languages",
    "interests",
    "consent_text",
)


def anonymise_ambassador(session: Session, ambassador: Ambassador, *, now: datetime | None = None) -> None:
    """Empty the ambassador's personal fields for good and decline their pending introductions."""
    for name in AMBASSADOR_FIELDS:
        setattr(ambassador, name, None)
    ambassador.withdrawn_at = ambassador.withdrawn_at or now or utcnow()
    session.execute(
        update(Introduction)
        .where(Introduction.ambassador_id == ambassador.id, Introduction.status == "sent")
        .values(status="declined", household_nonce=None, ambassador_nonce=None)
    )


def find_ambassadors(session: Session, identifier: str) -> list[Ambassador]:
    """Ambassadors registered with this e-mail or phone (withdrawn ones hold neither any more)."""
    key = identifier.strip().lower()
    return list(
        session.scalars(
            select(Ambassador).where(or_(func.lower(Ambassador.email) == key, Ambassador.phone == identifier.strip()))
        )
    )


def find_directory_contacts(session: Session, identifier: str) -> list[DirectoryEntry]:
    """Directory entries whose contact e-mail or phone this is."""
    key = identifier.strip().lower()
    return list(
        session.scalars(
            select(DirectoryEntry).where(
                or_(func.lower(DirectoryEntry.email) == key, DirectoryEntry.phone == identifier.strip())
            )
        )
    )


def _welcome_of(session: Session, candidate_id: int) -> dict[str, Any]:
    plan = session.get(WelcomePlan, candidate_id)
    return {
        "settling_steps": [
            _columns(s) for s in session.scalars(select(SettlingStep).where(SettlingStep.candidate_id == candidate_id))
        ],
        "welcome_plan": _columns(plan) if plan else None,
        "introductions": [
            {k: v for k, v in _columns(i).items() if not k.endswith("_nonce")}
            for i in session.scalars(select(Introduction).where(Introduction.candidate_id == candidate_id))
        ],
    }


def export_person(session: Session, identifier: str, *, actor: str | None = None) -> dict[str, Any]:
    """Everything held on the person(s) ``identifier`` designates, as a JSON-ready dictionary (GDPR art. 15)."""
    people = find_person(session, identifier)
    exported = []
    for c in people:
        exported.append(_candidate_export(session, c))
        audit(session, actor, "privacy.export", "candidate", c.id)
    ambassadors = find_ambassadors(session, identifier)
    for a in ambassadors:
        audit(session, actor, "privacy.export", "ambassador", a.id)
    contacts = find_directory_contacts(session, identifier)
    session.flush()
    return {
        "exported_at": utcnow().isoformat(),
        "people": exported,
        "ambassadors": [_ambassador_export(session, a) for a in ambassadors],
        "directory_contacts": [_columns(e) for e in contacts],
    }


def _candidate_export(session: Session, c: Candidate) -> dict[str, Any]:
    """One candidate's profile, consents, events and path, then what the programme recorded about them."""
    data: dict[str, Any] = {"profile": _columns(c)}
    data["consents"] = [
        {
            "purpose": purpose,
            "given": getattr(c, f"consent_{key}"),
            "at": _iso(getattr(c, f"consent_{key}_at")),
            "channel": getattr(c, f"consent_{key}_channel"),
        }
        for key, purpose in (
            ("contact", "être contacté(e) par le programme"),
            ("share", "partage du profil avec des employeurs"),
        )
    ]
    data["events"] = [
        {"event": e.name, "date": _iso(e.date), "place": e.place, "met_at": _iso(met_at)}
        for e, met_at in session.execute(
            select(Event, CandidateEvent.met_at).join(CandidateEvent).where(CandidateEvent.candidate_id == c.id)
        ).all()
    ]
    data["path"] = [_columns(step) for step in c.path]
    data.update(_candidate_records(session, c))
    return data


def _candidate_records(session: Session, c: Candidate) -> dict[str, Any]:
    """Household, matches, feedback, shortlists, audit trail, sources and welcome records of one candidate."""
    data: dict[str, Any] = {}
    data["household"] = None
    if c.household_id:
        members = (
            session.execute(
                select(Candidate.id).where(Candidate.household_id == c.household_id, Candidate.id != c.id)
            )
            .scalars()
            .all()
        )
        data["household"] = {"id": c.household_id, "other_member_ids": members}
    data["matches"] = [
        {**_columns(m), "offer_title": title}
        for m, title in session.execute(
            select(Match, Offer.title).join(Offer, Offer.id == Match.offer_id).where(Match.candidate_id == c.id)
        ).all()
    ]
    data["match_feedback"] = [
        _columns(f)
        for f in session.execute(select(MatchFeedback).where(MatchFeedback.candidate_id == c.id)).scalars()
    ]
    data["shortlists"] = [
        {
            **_columns(entry),
            "offer_id": shortlist.offer_id,
            "recipient": shortlist.recipient_email,
            "sent_at": _iso(shortlist.sent_at),
        }
        for entry, shortlist in session.execute(
            select(ShortlistEntry, Shortlist).join(Shortlist).where(ShortlistEntry.candidate_id == c.id)
        ).all()
    ]
    data["audit"] = [
        {"at": _iso(a.at), "actor": a.actor, "action": a.action}
        for a in session.execute(
            select(AuditLog)
            .where(AuditLog.object_type == "candidate", AuditLog.object_id == str(c.id))
            .order_by(AuditLog.at)
        ).scalars()
    ]
    data["sources"] = [
        {"event": name, "channel": src.channel, "file": src.file_name, "line": src.line, "fields": src.fields,
         "met_at": _iso(src.met_at), "given_at": _iso(src.given_at)}
        for src, name in session.execute(
            select(CandidateSource, Event.name).outerjoin(Event, Event.id == CandidateSource.event_id)
            .where(CandidateSource.candidate_id == c.id).order_by(CandidateSource.met_at, CandidateSource.id)
        ).all()
    ]
    data.update(_welcome_of(session, c.id))
    return data


def _ambassador_export(session: Session, a: Ambassador) -> dict[str, Any]:
    """One ambassador's columns and their introductions (without the candidate or the nonces)."""
    return {
        **_columns(a),
        "introductions": [
            {k: v for k, v in _columns(i).items() if not k.endswith("_nonce") and k != "candidate_id"}
            for i in session.scalars(select(Introduction).where(Introduction.ambassador_id == a.id))
        ],
    }


@dataclass
class ErasureReport:
    """What an erasure did."""

    candidate_ids: list[int]
    scrubbed: dict[str, int] = field(default_factory=dict)  # "table.column" → rows changed
    ambassador_ids: list[int] = field(default_factory=list)
    directory_ids: list[int] = field(default_factory=list)


def _identifying_terms(c: Candidate) -> list[str]:
    """Strings that identify the person: e-mail, phone in every usual form, full name both ways."""
    terms: list[str] = []
    if c.email:
        terms.append(c.email)
    if c.phone:
        terms.append(c.phone)
        if c.phone.startswith("+33") and len(c.phone) == 12:
            national = "0" + c.phone[3:]
            terms += [
                national,
                " ".join(national[i : i + 2] for i in range(0, 10, 2)),
                ".".join(national[i : i + 2] for i in range(0, 10, 2)),
            ]
        if c.phone.startswith("+33") and len(c.phone) == 12:
            digits = c.phone[4:]
            terms.append("+33 " + c.phone[3] + " " + " ".join(digits[i : i + 2] for i in range(0, 8, 2)))
    if c.first_name and c.last_name:
        # full names only: a lone "Martin" would also erase every other Martin
        terms += [f"{c.first_name} {c.last_name}", f"{c.last_name} {c.first_name}"]
    return [t for t in dict.fromkeys(terms) if len(t) >= 5]


def _scrub_value(value: Any, pattern: re.Pattern[str]) -> tuple[Any, bool]:
    if isinstance(value, str):
        new = pattern.sub(ERASED, value)
        return new, new != value
    if isinstance(value, list):
        changed = False
        items = []
        for item in value:
            new, hit = _scrub_value(item, pattern)
            items.append(new)
            changed |= hit
        return items, changed
    if isinstance(value, dict):
        changed = False
        out = {}
        for key, item in value.items():
            new, hit = _scrub_value(item, pattern)
            out[key] = new
            changed |= hit
        return out, changed
    return value, False


def _text_columns() -> Iterator[tuple[Any, Any]]:
    for table in Base.metadata.sorted_tables:
        if table.name in SCRUB_SKIP:
            continue
        for column in table.columns:
            if isinstance(column.type, (String, Text, JSON)) and not column.foreign_keys:
                yield table, column


def scrub_everywhere(session: Session, terms: list[str]) -> dict[str, int]:
    """Replace ``terms`` (case-insensitive) by ``[effacé]`` in every text and JSON column outside ``SCRUB_SKIP``."""
    if not terms:
        return {}
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    counts: dict[str, int] = {}
    for table, column in _text_columns():
        primary = list(table.primary_key.columns)
        if isinstance(column.type, JSON):
            rows = session.execute(select(*primary, column).where(column.is_not(None))).all()
        else:
            rows = session.execute(
                select(*primary, column).where(
                    or_(*[column.contains(t) for t in terms], *[func.lower(column).contains(t.lower()) for t in terms])
                )
            ).all()
        for row in rows:
            value = row[-1]
            new, changed = _scrub_value(value, pattern)
            if not changed:
                continue
            key = {col.name: row[i] for i, col in enumerate(primary)}
            session.execute(update(table).where(*[col == key[col.name] for col in primary]).values({column.name: new}))
            counts[f"{table.name}.{column.name}"] = counts.get(f"{table.name}.{column.name}", 0) + 1
    return counts


def erase_person(
    session: Session, identifier: str, *, actor: str | None = None, now: datetime | None = None
) -> ErasureReport:
    """Erase the person(s) ``identifier`` designates everywhere (GDPR art. 17); see the module docstring."""
    now = now or datetime.now(UTC)
    people = find_person(session, identifier)
    report = ErasureReport([c.id for c in people])
    terms: list[str] = []
    for c in people:
        terms += _identifying_terms(c)
        household_id = c.household_id
        anonymise_candidate(session, c, now=now)
        c.household_id = None
        c.target_area = {}
        session.flush()
        if household_id is not None:
            left = session.execute(
                select(func.count()).select_from(Candidate).where(Candidate.household_id == household_id)
            ).scalar_one()
            if left == 0:
                session.execute(delete(Household).where(Household.id == household_id))
            else:
                session.execute(update(Household).where(Household.id == household_id).values(label=None))
        for step in session.execute(select(CandidateStatus).where(CandidateStatus.candidate_id == c.id)).scalars():
            step.note = None
        _erase_welcome(session, c.id)
    for ambassador in find_ambassadors(session, identifier):
        terms += [t for t in (ambassador.email, ambassador.phone) if t]
        if ambassador.first_name and ambassador.last_name:
            terms += [
                f"{ambassador.first_name} {ambassador.last_name}",
                f"{ambassador.last_name} {ambassador.first_name}",
            ]
        anonymise_ambassador(session, ambassador, now=now)
        report.ambassador_ids.append(ambassador.id)
    for entry in find_directory_contacts(session, identifier):
        if entry.contact_name and len(entry.contact_name) >= 5:
            terms.append(entry.contact_name)
        entry.contact_name = entry.email = None
        report.directory_ids.append(entry.id)
    session.flush()
    report.scrubbed = scrub_everywhere(session, [t for t in dict.fromkeys(terms) if len(t) >= 5])
    forget_deleted_terms(session)
    for c in people:
        audit(session, actor, "privacy.erase", "candidate", c.id, {"scrubbed": report.scrubbed}, at=now)
    for ambassador_id in report.ambassador_ids:
        audit(session, actor, "privacy.erase", "ambassador", ambassador_id, at=now)
    session.flush()
    return report


def _erase_welcome(session: Session, candidate_id: int) -> None:
    """The household's welcome data: plan deleted, step notes and introduction reasons cleared (counts stay)."""
    session.execute(delete(WelcomePlan).where(WelcomePlan.candidate_id == candidate_id))
    session.execute(update(SettlingStep).where(SettlingStep.candidate_id == candidate_id).values(note=None))
    session.execute(
        update(Introduction)
        .where(Introduction.candidate_id == candidate_id)
        .values(reasons=[], household_nonce=None, ambassador_nonce=None)
    )
    session.execute(
        update(Introduction)
        .where(Introduction.candidate_id == candidate_id, Introduction.status == "sent")
        .values(status="declined")
    )
