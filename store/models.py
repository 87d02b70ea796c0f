"""SQLAlchemy models of the domain.

Words (see DESIGN.md): a *posting* is one appearance of an offer on one source; an *offer* is one real
vacancy, a group of postings; a *candidate* (prospect) is a person met by the programme; a *match* is a
candidate × offer pair with a score and reasons; a *shortlist* is a set of candidates proposed to one
employer for one offer.

Personal data (RELIABILITY.md P1): the candidate model holds only data with a direct link to the job
search. There is deliberately no column for social security number, health, disability, origin, religion,
opinions, union membership, photo, or date / place of birth; ``tests/test_store_models.py`` checks it.

Every model change comes with an Alembic migration in ``store/migrations/versions``; a test fails when the
models and the migrations disagree.

Size (issue 20): this module is over 600 lines on purpose: it is the one declarative schema, read as a whole
next to the migrations; splitting it would scatter the relationships between tables across files.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime: SQLite gives naive datetimes back (they are stored as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migrations on every database)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


# --------------------------------------------------------------------------------------------------
# Sources and crawls
# --------------------------------------------------------------------------------------------------


class Source(Base):
    """One configured feed or site of one partner (mirrors an entry of the registry)."""

    __tablename__ = "source"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str | None] = mapped_column(Text)
    employer_name: Mapped[str | None] = mapped_column(String(300))
    trust: Mapped[float] = mapped_column(Float, default=0.5)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    runs: Mapped[list[CrawlRun]] = relationship(back_populates="source")


class ManagedSource(Base):
    """A source added by staff from the web app (beside ``crawlers/sources.toml``, which stays IT's).

    ``declaration`` is the registry table (``platform``, ``name``, ``url``, ``employer``, ``schedule``,
    ``trust``, ``args``, ``format``), checked like the file's entries; ``sample_path`` is the uploaded file the
    source reads when the partner has no address (under the data directory). Removing the source deletes this
    row only: its ``source`` row, postings, offers and runs stay (``crawlers/managed.py``)."""

    __tablename__ = "managed_source"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    declaration: Mapped[dict[str, Any]] = mapped_column(default=dict)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    sample_name: Mapped[str | None] = mapped_column(String(300))
    sample_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(320))


class CrawlRun(Base):
    """One crawl of one source, with its statistics (RELIABILITY.md C7)."""

    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("source.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    # running | success | partial | failed | interrupted (its process stopped giving signs of life)
    status: Mapped[str] = mapped_column(String(20), default="running")
    finish_reason: Mapped[str | None] = mapped_column(String(80))
    items_scraped: Mapped[int] = mapped_column(Integer, default=0)
    items_dropped: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_updated: Mapped[int] = mapped_column(Integer, default=0)
    items_closed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    drops: Mapped[dict[str, Any]] = mapped_column(default=dict)
    field_coverage: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the last sign of life of the processes doing the run (store/leases.py)
    heartbeat_at: Mapped[datetime | None] = mapped_column()

    source: Mapped[Source] = relationship(back_populates="runs")


class CrawlLease(Base):
    """The one crawl of a source allowed at a time (store/leases.py): a row per source being crawled."""

    __tablename__ = "crawl_lease"

    source_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    # who may use the lease: a random token, or the run key shared by the workers of a distributed crawl
    key: Mapped[str] = mapped_column(String(120))
    # who holds it, for people: "ohmylot crawl (hôte, pid 1234)"
    holder: Mapped[str] = mapped_column(String(300))
    run_id: Mapped[int | None] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------------
# Employers, postings, offers
# --------------------------------------------------------------------------------------------------


class Employer(Base):
    """An employer, identified by SIRET when known, else by its normalised name."""

    __tablename__ = "employer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    normalized_name: Mapped[str] = mapped_column(String(300), index=True)
    siret: Mapped[str | None] = mapped_column(String(14), index=True)
    naf_code: Mapped[str | None] = mapped_column(String(10))
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    is_member: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class _OfferFields:
    """Normalised fields shared by a posting and the offer it belongs to."""

    title: Mapped[str] = mapped_column(Text)
    title_clean: Mapped[str | None] = mapped_column(Text)
    employer_name: Mapped[str | None] = mapped_column(String(300))
    employer_siret: Mapped[str | None] = mapped_column(String(14))
    description_html: Mapped[str | None] = mapped_column(Text)
    description_text: Mapped[str | None] = mapped_column(Text)
    contract_type: Mapped[str | None] = mapped_column(String(40))
    contract_duration_months: Mapped[float | None] = mapped_column(Float)
    working_time: Mapped[str | None] = mapped_column(String(20))
    hours_per_week: Mapped[float | None] = mapped_column(Float)
    salary_min: Mapped[float | None] = mapped_column(Float)
    salary_max: Mapped[float | None] = mapped_column(Float)
    salary_period: Mapped[str | None] = mapped_column(String(10))
    salary_text: Mapped[str | None] = mapped_column(Text)
    experience: Mapped[str | None] = mapped_column(String(80))
    rome_code: Mapped[str | None] = mapped_column(String(5), index=True)
    rome_label: Mapped[str | None] = mapped_column(String(300))
    location_label: Mapped[str | None] = mapped_column(String(300))
    commune_insee: Mapped[str | None] = mapped_column(String(5), index=True)
    commune_name: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    departement: Mapped[str | None] = mapped_column(String(3))
    epci: Mapped[str | None] = mapped_column(String(9))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_level: Mapped[str | None] = mapped_column(String(20))
    remote: Mapped[str | None] = mapped_column(String(20))
    positions: Mapped[int | None] = mapped_column(Integer)
    apply_url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    flags: Mapped[list[Any]] = mapped_column(default=list)


class Offer(_OfferFields, Base):
    """One real vacancy: a group of postings; its fields come from its best posting."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"), index=True)
    best_posting_id: Mapped[int | None] = mapped_column(Integer)
    # open | closed
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    closed_at: Mapped[datetime | None] = mapped_column()
    # staff review before publication on the public board (offers typed in by employers)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    postings: Mapped[list[Posting]] = relationship(back_populates="offer", foreign_keys="Posting.offer_id")
    employer: Mapped[Employer | None] = relationship()


#: A posting in an offer whose content changed since the deduplication decided it (``dedup_hash``).
POSTING_STALE_SQL = (
    "offer_id IS NOT NULL AND content_hash IS NOT NULL AND (dedup_hash IS NULL OR dedup_hash <> content_hash)"
)


class Posting(_OfferFields, Base):
    """One appearance of an offer on one source, identified by the source and the source's own id."""

    __tablename__ = "posting"
    __table_args__ = (
        UniqueConstraint("source_id", "source_ref", name="uq_posting_source_ref"),
        # partial: only the postings whose content changed since their offer was decided (few), so the
        # incremental deduplication finds them without reading every posting
        Index(
            "ix_posting_dedup_stale",
            "id",
            sqlite_where=text(POSTING_STALE_SQL),
            postgresql_where=text(POSTING_STALE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("source.id"), index=True)
    # the source's own id, or the canonical URL when it has none
    source_ref: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(Text)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id"), index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # the content_hash the deduplication last decided this posting's offer on: when a crawl changes the
    # content (content_hash differs), the next incremental ``ohmylot dedupe`` re-decides the posting
    dedup_hash: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    missed_runs: Mapped[int] = mapped_column(Integer, default=0)
    # open | closed
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    partners: Mapped[list[Any]] = mapped_column(default=list)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)

    offer: Mapped[Offer | None] = relationship(back_populates="postings", foreign_keys=[offer_id])
    source: Mapped[Source] = relationship()
    changes: Mapped[list[PostingChange]] = relationship(back_populates="posting", cascade="all, delete-orphan")


class PostingChange(Base):
    """History of a posting's content: which fields changed at which crawl."""

    __tablename__ = "posting_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("posting.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)

    posting: Mapped[Posting] = relationship(back_populates="changes")


class DedupCorrection(Base):
    """A staff correction of deduplication (merge two postings' offers, or split a posting out).

    Corrections are replayed after every automatic run, so they survive rebuilds.
    """

    __tablename__ = "dedup_correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # merge | split
    kind: Mapped[str] = mapped_column(String(10))
    posting_a_id: Mapped[int] = mapped_column(ForeignKey("posting.id"))
    posting_b_id: Mapped[int] = mapped_column(ForeignKey("posting.id"))
    staff: Mapped[str | None] = mapped_column(String(320))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DedupBlock(Base):
    """The blocking index of deduplication: one row per (blocking key digest, posting).

    A new posting is compared only with the postings that share one of its keys (``matching/dedup.py``),
    found through this index, so incremental deduplication does not read the whole table.
    """

    __tablename__ = "dedup_block"
    __table_args__ = (Index("ix_dedup_block_key", "key", "posting_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(16))
    posting_id: Mapped[int] = mapped_column(ForeignKey("posting.id", ondelete="CASCADE"), index=True)


# --------------------------------------------------------------------------------------------------
# Candidates, households, events
# --------------------------------------------------------------------------------------------------


class Household(Base):
    """A household: a prospect and their partner (both may be job seekers)."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[Candidate]] = relationship(back_populates="household")


class Event(Base):
    """A job fair, congress, forum or welcome evening where prospects are met."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    date: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CandidateEvent(Base):
    """A candidate met at an event."""

    __tablename__ = "candidate_event"

    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    met_at: Mapped[datetime] = mapped_column(default=utcnow)


class Candidate(Base):
    """A prospect met by the programme (personal data: see the module docstring)."""

    __tablename__ = "candidate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    desired_jobs: Mapped[str | None] = mapped_column(Text)
    rome_codes: Mapped[list[Any]] = mapped_column(default=list)
    skills: Mapped[str | None] = mapped_column(Text)
    experience_years: Mapped[float | None] = mapped_column(Float)
    experience_level: Mapped[str | None] = mapped_column(String(40))
    diplomas: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[str | None] = mapped_column(Text)
    driving_licence: Mapped[bool | None] = mapped_column(Boolean)
    contract_types: Mapped[list[Any]] = mapped_column(default=list)
    contract_required: Mapped[bool] = mapped_column(Boolean, default=False)
    working_time: Mapped[str | None] = mapped_column(String(20))
    working_time_required: Mapped[bool] = mapped_column(Boolean, default=False)
    available_from: Mapped[date | None] = mapped_column(Date)
    current_place: Mapped[str | None] = mapped_column(String(300))
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # target area: {"communes": [...insee], "epcis": [...siren], "departements": [...]}
    target_area: Mapped[dict[str, Any]] = mapped_column(default=dict)
    radius_km: Mapped[float | None] = mapped_column(Float)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    referent_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    # The partner as the import gave it (e-mail, phone or full name) until the partner is found and the
    # household formed; cleared then (personal data of another person: kept no longer than needed).
    partner_hint: Mapped[str | None] = mapped_column(String(320))
    # Consent (RELIABILITY.md P2): when, how and for what.
    consent_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_contact_at: Mapped[datetime | None] = mapped_column()
    consent_contact_channel: Mapped[str | None] = mapped_column(String(80))
    consent_share: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_share_at: Mapped[datetime | None] = mapped_column()
    consent_share_channel: Mapped[str | None] = mapped_column(String(80))
    unsubscribed_at: Mapped[datetime | None] = mapped_column()
    # met | accompanied | interviewing | hired | settled | gave_up
    status: Mapped[str] = mapped_column(String(20), default="met")
    last_contact_at: Mapped[datetime] = mapped_column(default=utcnow)
    anonymized_at: Mapped[datetime | None] = mapped_column()
    # When the retention purge first announced this prospect (30 days before the 2-year limit, P3).
    purge_notice_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    household: Mapped[Household | None] = relationship(back_populates="members")
    path: Mapped[list[CandidateStatus]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", order_by="CandidateStatus.changed_at"
    )


class HouseholdLink(Base):
    """Two prospects who are probably one household (they share a phone but not a name or an e-mail): never
    merged into one person, proposed to staff, who confirm (a household is formed) or reject."""

    __tablename__ = "household_link"
    __table_args__ = (UniqueConstraint("candidate_a_id", "candidate_b_id", name="uq_household_link_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_a_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    candidate_b_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    # proposed | confirmed | rejected
    status: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(320))


class CandidateSource(Base):
    """What one import row or booth-form entry said about a prospect (issue 18: reversible merges).

    A prospect merged from several sources keeps each one: staff see them and can split a wrongly merged
    source back into its own prospect. Personal data: exported, erased and purged with the prospect."""

    __tablename__ = "candidate_source"
    __table_args__ = (Index("ix_candidate_source_batch_candidate", "batch", "candidate_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))
    # how it came: "import salon.csv", "formulaire stand"
    channel: Mapped[str] = mapped_column(String(80))
    file_name: Mapped[str | None] = mapped_column(String(300))
    line: Mapped[int | None] = mapped_column(Integer)
    # the checked fields as this source gave them (``validate_prospect`` values, JSON-ready)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # sha256 of ``fields``: the same row imported again is the same source, not a new one
    digest: Mapped[str] = mapped_column(String(64), index=True)
    # imported (a new prospect) | updated / unchanged (merged into a known prospect), when first given
    outcome: Mapped[str] = mapped_column(String(20))
    # the import (one per file imported, one per form entry) that last gave it
    batch: Mapped[str] = mapped_column(String(32))
    met_at: Mapped[datetime] = mapped_column(default=utcnow)
    given_at: Mapped[datetime] = mapped_column(default=utcnow)


class CandidateStatus(Base):
    """One step of a prospect's path (met → accompanied → … → settled / gave up)."""

    __tablename__ = "candidate_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    staff: Mapped[str | None] = mapped_column(String(320))
    note: Mapped[str | None] = mapped_column(Text)
    sector: Mapped[str | None] = mapped_column(String(200))

    candidate: Mapped[Candidate] = relationship(back_populates="path")


# --------------------------------------------------------------------------------------------------
# Matches, feedback, shortlists
# --------------------------------------------------------------------------------------------------


class Match(Base):
    """A candidate × offer pair proposed by the ranker, with its score and reasons."""

    __tablename__ = "match"
    __table_args__ = (UniqueConstraint("candidate_id", "offer_id", name="uq_match_candidate_offer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column()


class MatchFeedback(Base):
    """A staff judgement on a proposed match; kept apart from ``Match`` so re-ranking never loses it."""

    __tablename__ = "match_feedback"
    __table_args__ = (UniqueConstraint("candidate_id", "offer_id", name="uq_match_feedback_candidate_offer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    relevant: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    staff: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Shortlist(Base):
    """Candidates proposed to one employer for one offer; leaves only after a named staff approval (P5)."""

    __tablename__ = "shortlist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), index=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"))
    recipient_email: Mapped[str | None] = mapped_column(String(320))
    created_by: Mapped[str | None] = mapped_column(String(320))
    approved_by: Mapped[str | None] = mapped_column(String(320))
    approved_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    # draft | approved | sent
    status: Mapped[str] = mapped_column(String(20), default="draft")
    link_nonce: Mapped[str | None] = mapped_column(String(64))
    link_expires_at: Mapped[datetime | None] = mapped_column()
    link_revoked_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entries: Mapped[list[ShortlistEntry]] = relationship(back_populates="shortlist", cascade="all, delete-orphan")


class ShortlistEntry(Base):
    """One candidate in a shortlist, with the employer's answer."""

    __tablename__ = "shortlist_entry"
    __table_args__ = (UniqueConstraint("shortlist_id", "candidate_id", name="uq_shortlist_entry_candidate"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shortlist_id: Mapped[int] = mapped_column(ForeignKey("shortlist.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"))
    # interested | not_interested | None (no answer yet)
    answer: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column()
    # When a staff member or the prospect's référent saw the answer (None: still "new" on the to-do page).
    answer_seen_at: Mapped[datetime | None] = mapped_column()

    shortlist: Mapped[Shortlist] = relationship(back_populates="entries")


class ProspectNote(Base):
    """A note or a dated task on a prospect's follow-up ("rappeler le 12"), written by staff or a référent.

    ``kind``: ``note`` or ``task``; a task has ``due_on`` and is done when ``done_at`` is set.
    """

    __tablename__ = "prospect_note"
    __table_args__ = (Index("ix_prospect_note_due", "kind", "done_at", "due_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="note")
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column()
    done_by: Mapped[str | None] = mapped_column(String(320))


# --------------------------------------------------------------------------------------------------
# Accounts, audit, scheduled work
# --------------------------------------------------------------------------------------------------


class User(Base):
    """A staff, référent or admin account (employer accounts carry ``employer_id``)."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # admin | staff | referent | employer
    role: Mapped[str] = mapped_column(String(20))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"))
    # territory of a référent: list of EPCI SIRENs
    territory: Mapped[list[Any]] = mapped_column(default=list)
    # shown in the signature of the e-mails sent in this person's name
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """Who saw or changed what (personal data, shortlists, employer link accesses)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class JobRun(Base):
    """The run ledger of scheduled work: at most one run per job and slot (RELIABILITY.md J1)."""

    __tablename__ = "job_run"
    __table_args__ = (
        UniqueConstraint("job_id", "slot", name="uq_job_run_job_slot"),
        Index("ix_job_run_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(120))
    slot: Mapped[str] = mapped_column(String(40))
    # running | success | failed | skipped
    status: Mapped[str] = mapped_column(String(20), default="running")
    trigger: Mapped[str | None] = mapped_column(String(20))
    host: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProcessHeartbeat(Base):
    """The last sign of life of a long-running process (the scheduler), read by ``/readyz``."""

    __tablename__ = "process_heartbeat"

    # e.g. "scheduler@host:1234": one row per process, overwritten every minute
    id: Mapped[str] = mapped_column(String(240), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------------
# Web app: server-side sessions, login throttling, list indexes (area web)
# --------------------------------------------------------------------------------------------------


class WebSession(Base):
    """A signed-in browser session (RELIABILITY.md W3).

    The cookie holds a random token; only its SHA-256 is stored, so a database dump cannot be replayed.
    A session dies at logout (row deleted), at expiry, or when the user's ``session_version`` moves on
    (account disabled, password changed).
    """

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # shown on every page of the session: failed logins on the account since its previous sign-in (W3)
    notice: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(String(300))


class FormEvent(Base):
    """One submission of a public form, accepted or refused (services/abuse.py): the rate limits count these
    rows and staff see the refusals. The e-mail is kept as a keyed hash only."""

    __tablename__ = "form_event"
    __table_args__ = (Index("ix_form_event_form_at", "form", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form: Mapped[str] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(64), index=True)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # None: accepted; else why it was refused (rate_ip, rate_email, honeypot, too_fast, no_stamp)
    refused: Mapped[str | None] = mapped_column(String(20))


class LoginAttempt(Base):
    """One attempt to sign in, kept a short while for throttling (W3)."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    ip: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean, default=False)


# Indexes behind the staff and public lists (sorted by publication date within a status).
Index("ix_offer_status_published_at", Offer.status, Offer.published_at, Offer.id)
Index("ix_offer_epci", Offer.epci)
Index("ix_offer_contract_type", Offer.contract_type)
Index("ix_candidate_last_contact_at", Candidate.last_contact_at)
Index("ix_candidate_commune_insee", Candidate.commune_insee)
# The public board counts open, published, unexpired offers: answered from this index alone.
Index("ix_offer_status_published_expires", Offer.status, Offer.published, Offer.expires_at)
# Text search of the offer lists: every searched column in one narrow index, scanned instead of the table
# (whose rows carry long descriptions before the commune and ROME label columns).
Index(
    "ix_offer_search",
    Offer.status, Offer.published, Offer.expires_at, Offer.title, Offer.employer_name, Offer.commune_name,
    Offer.rome_label,
)
# Radius searches: a latitude range on this covering index, never the wide table.
Index("ix_offer_geo", Offer.lat, Offer.lon, Offer.status, Offer.published, Offer.expires_at)


# --------------------------------------------------------------------------------------------------
# Employers' network and outreach (area network, issue 10)
# --------------------------------------------------------------------------------------------------


class NetworkMember(Base):
    """A request to join the "réseau des employeurs", then the membership once staff validate it.

    ``status``: ``pending`` (form received) → ``member`` (validated: an employer account exists) or
    ``refused``. The contact person is the employer's representative (professional data, not a prospect).
    ``login_nonce`` is the nonce of the one sign-in link currently valid (cleared when used).
    """

    __tablename__ = "network_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    naf_code: Mapped[str | None] = mapped_column(String(10))
    sector: Mapped[str | None] = mapped_column(String(1), index=True)
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    commune_name: Mapped[str | None] = mapped_column(String(200))
    departement: Mapped[str | None] = mapped_column(String(3), index=True)
    epci: Mapped[str | None] = mapped_column(String(9))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_role: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    digests: Mapped[bool] = mapped_column(Boolean, default=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decision_note: Mapped[str | None] = mapped_column(Text)
    login_nonce: Mapped[str | None] = mapped_column(String(64))

    employer: Mapped[Employer] = relationship()


class MemberOffer(Base):
    """An offer typed in by a member: its posting (source ``reseau-<employer id>``) and staff review.

    ``review``: ``pending`` → ``approved`` (the offer may be published) or ``rejected``.
    """

    __tablename__ = "member_offer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("posting.id", ondelete="CASCADE"), unique=True)
    review: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    form: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by: Mapped[str | None] = mapped_column(String(320))
    review_note: Mapped[str | None] = mapped_column(Text)


class KitFile(Base):
    """A file of the communication kit (logo, presentation, photo), stored in the data directory."""

    __tablename__ = "kit_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(300))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str | None] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TalentInterest(Base):
    """A member's "ce profil m'intéresse" answer to a talent digest; staff connect the two sides."""

    __tablename__ = "talent_interest"
    __table_args__ = (UniqueConstraint("employer_id", "candidate_id", name="uq_talent_interest_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    digest_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20), default="link")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column()
    handled_by: Mapped[str | None] = mapped_column(String(320))


class TalentDigest(Base):
    """One sending of the talent digest: who it targeted and which profiles it presented (ids only)."""

    __tablename__ = "talent_digest"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_by: Mapped[str | None] = mapped_column(String(320))
    sector: Mapped[str | None] = mapped_column(String(10))
    territory: Mapped[str | None] = mapped_column(String(40))
    member_ids: Mapped[list[Any]] = mapped_column(default=list)
    candidate_ids: Mapped[list[Any]] = mapped_column(default=list)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class OfferSelection(Base):
    """Offers staff picked from a prospect's match list and sent to them by e-mail."""

    __tablename__ = "offer_selection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    offer_ids: Mapped[list[Any]] = mapped_column(default=list)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_by: Mapped[str | None] = mapped_column(String(320))
    note: Mapped[str | None] = mapped_column(Text)


# --------------------------------------------------------------------------------------------------
# The welcome of households: local directory, ambassadors, introductions, settling steps (issue 21)
# --------------------------------------------------------------------------------------------------


class DirectoryEntry(Base):
    """A structure a référent accueil recommends in their territory (crèche, GP, housing contact…).

    ``key`` (folded name + commune) makes a re-import update the entry instead of adding a copy. The contact
    is a structure's public or professional contact; erasure requests still reach it (``store.privacy``).
    """

    __tablename__ = "directory_entry"
    __table_args__ = (UniqueConstraint("epci", "key", name="uq_directory_entry_epci_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epci: Mapped[str] = mapped_column(String(9), index=True)
    key: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    commune_name: Mapped[str | None] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    website: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    last_checked: Mapped[date | None] = mapped_column(Date)
    updated_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ambassador(Base):
    """A volunteer resident who agreed (``consent_at``) to meet newcomers; ``withdrawn_at`` ends it for good.

    A withdrawn ambassador's personal fields are emptied and they are never proposed again.
    """

    __tablename__ = "ambassador"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    epci: Mapped[str | None] = mapped_column(String(9), index=True)
    trade: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(1))
    family_situation: Mapped[str | None] = mapped_column(String(40))
    languages: Mapped[str | None] = mapped_column(String(200))
    interests: Mapped[str | None] = mapped_column(Text)
    # how many households a year they are willing to meet
    availability: Mapped[int] = mapped_column(Integer, default=2)
    consent_at: Mapped[datetime | None] = mapped_column()
    consent_text: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Introduction(Base):
    """Staff put a household in touch with an ambassador: contact details leave only when both said yes.

    Each side answers through its own signed link (``*_nonce``: the one valid link, cleared once used).
    ``status``: ``sent`` → ``accepted`` (both yes) or ``declined`` (either no).
    """

    __tablename__ = "introduction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassador.id", ondelete="CASCADE"), index=True)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="sent")
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    household_nonce: Mapped[str | None] = mapped_column(String(64))
    household_answer: Mapped[bool | None] = mapped_column(Boolean)
    household_answered_at: Mapped[datetime | None] = mapped_column()
    ambassador_nonce: Mapped[str | None] = mapped_column(String(64))
    ambassador_answer: Mapped[bool | None] = mapped_column(Boolean)
    ambassador_answered_at: Mapped[datetime | None] = mapped_column()
    introduced_at: Mapped[datetime | None] = mapped_column()

    ambassador: Mapped[Ambassador] = relationship()


class SettlingStep(Base):
    """A dated, attributed step of a household's settling (first visit, housing found, … moved in)."""

    __tablename__ = "settling_step"
    __table_args__ = (UniqueConstraint("candidate_id", "step", name="uq_settling_step_candidate_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(30))
    done_on: Mapped[date] = mapped_column(Date)
    staff: Mapped[str | None] = mapped_column(String(320))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class WelcomePlan(Base):
    """What the welcome pack of a household holds: its chosen commune and the directory entries picked."""

    __tablename__ = "welcome_plan"

    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), primary_key=True)
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    entry_ids: Mapped[list[Any]] = mapped_column(default=list)
    updated_by: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
