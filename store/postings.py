"""Postings: batched upsert from crawls, and their lifecycle (open → closed → reopened).

A posting is identified by ``(source_id, source_ref)``: the source's own id, or its canonical URL when it has
none. ``upsert_postings`` inserts new postings and updates known ones in place (``last_seen_at``,
``content_hash``, a ``PostingChange`` row listing the fields that changed); it never touches what staff or
deduplication decided (``offer_id``, the offer, corrections).

Lifecycle (RELIABILITY.md C5):
- ``close_missing`` runs only after a *successful* run of a source: every open posting of that source the run
  did not see has its ``missed_runs`` counter raised, and is closed (``closed_reason="missing"``) after
  ``misses`` consecutive misses. A failed or partial run closes nothing (the caller does not call it).
- ``close_expired`` closes open postings whose ``expires_at`` is in the past (``closed_reason="expired"``).
- A closed posting listed again (and not expired) is reopened.
- ``mark_seen`` keeps postings alive that the run met but could not parse (a page with broken JSON-LD, a
  posting without title): a bad page never closes a posting.

Batches: one SELECT per 500 refs, bulk INSERT of new rows, bulk UPDATE by primary key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.types import NormalizedPosting, RawPosting
from store.models import Posting, PostingChange, Source, utcnow
from store.models import as_utc as _aware

#: SELECT ... IN (...) chunk size (SQLite's variable limit is far above; PostgreSQL likes it small)
CHUNK = 500
#: longest source_ref stored as is; longer ones (URLs) are shortened with a hash suffix
MAX_REF = 500
#: fields compared between crawls (content_hash and PostingChange)
TRACKED_FIELDS = (
    "url",
    "title",
    "title_clean",
    "employer_name",
    "employer_siret",
    "description_html",
    "description_text",
    "contract_type",
    "contract_duration_months",
    "working_time",
    "hours_per_week",
    "salary_min",
    "salary_max",
    "salary_period",
    "salary_text",
    "experience",
    "rome_code",
    "rome_label",
    "location_label",
    "commune_insee",
    "commune_name",
    "postal_code",
    "departement",
    "epci",
    "lat",
    "lon",
    "location_level",
    "remote",
    "positions",
    "apply_url",
    "published_at",
    "expires_at",
    "flags",
    "partners",
)
_HISTORY_TEXT_MAX = 300


@dataclass
class UpsertStats:
    """What one batch did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    reopened: int = 0
    closed_expired: int = 0

    def add(self, other: UpsertStats) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.reopened += other.reopened
        self.closed_expired += other.closed_expired


@dataclass
class PostingInput:
    """One normalised posting to store, with the raw item it came from (kept in ``Posting.raw``)."""

    posting: NormalizedPosting
    raw: RawPosting | None = None
    extra_raw: dict[str, Any] = field(default_factory=dict)


def make_source_ref(posting: NormalizedPosting) -> str:
    """The identity of a posting within its source: its own id, else its URL (shortened when too long)."""
    ref = (posting.source_id or posting.url or "").strip()
    if len(ref) > MAX_REF:
        digest = hashlib.sha256(ref.encode("utf-8")).hexdigest()[:16]
        ref = ref[: MAX_REF - 17] + "#" + digest
    return ref


def _column_lengths() -> dict[str, int]:
    lengths = {}
    for column in Posting.__table__.columns:
        if isinstance(column.type, String) and column.type.length:
            lengths[column.name] = column.type.length
    return lengths


_LENGTHS = _column_lengths()


def _fit(name: str, value: Any) -> Any:
    """Cut a string to its column's length (PostgreSQL refuses longer values; SQLite would keep them)."""
    limit = _LENGTHS.get(name)
    if limit and isinstance(value, str) and len(value) > limit:
        return value[:limit]
    return value


def posting_fields(posting: NormalizedPosting) -> dict[str, Any]:
    """The ``Posting`` column values of a normalised posting (the tracked fields)."""
    place = posting.place
    values: dict[str, Any] = {
        "url": posting.url,
        "title": posting.title,
        "title_clean": posting.title_clean,
        "employer_name": posting.employer,
        "employer_siret": posting.employer_siret,
        "description_html": posting.description_html,
        "description_text": posting.description_text,
        "contract_type": posting.contract_type,
        "contract_duration_months": posting.contract_duration_months,
        "working_time": posting.working_time,
        "hours_per_week": posting.hours_per_week,
        "salary_min": posting.salary_min,
        "salary_max": posting.salary_max,
        "salary_period": posting.salary_period,
        "salary_text": posting.salary_text,
        "experience": posting.experience,
        "rome_code": posting.rome_code,
        "rome_label": posting.rome_label,
        "location_label": posting.location_label,
        "commune_insee": place.insee if place else None,
        "commune_name": place.name if place else None,
        "postal_code": place.postal_code if place else None,
        "departement": place.departement if place else None,
        "epci": place.epci if place else None,
        "lat": place.lat if place else None,
        "lon": place.lon if place else None,
        "location_level": place.level if place else None,
        "remote": posting.remote,
        "positions": posting.positions,
        "apply_url": posting.apply_url,
        "published_at": _aware(posting.published_at),
        "expires_at": _aware(posting.expires_at),
        "flags": list(posting.flags or []),
        "partners": list(posting.partners or []),
    }
    return {name: _fit(name, value) for name, value in values.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return _aware(value).isoformat()  # type: ignore[union-attr]
    return value


def content_hash(fields: dict[str, Any]) -> str:
    """A stable hash of the tracked fields (what a re-crawl compares)."""
    canonical = json.dumps({k: _jsonable(fields.get(k)) for k in TRACKED_FIELDS}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _history_value(value: Any) -> Any:
    value = _jsonable(value)
    if isinstance(value, str) and len(value) > _HISTORY_TEXT_MAX:
        return value[:_HISTORY_TEXT_MAX] + "…"
    return value


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, datetime) and isinstance(new, datetime):
        return _aware(old) == _aware(new)
    return old == new


def _is_expired(fields: dict[str, Any], now: datetime) -> bool:
    expires = fields.get("expires_at")
    return expires is not None and _aware(expires) < now


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ensure_source(session: Session, source_id: str, *, platform: str, name: str | None = None) -> Source:
    """The ``Source`` row of ``source_id``, created minimal when the registry does not know it."""
    source = session.get(Source, source_id)
    if source is None:
        try:  # another process may create the same source at the same moment
            with session.begin_nested():
                source = Source(id=source_id, platform=platform, name=name or source_id, active=True)
                session.add(source)
        except IntegrityError:
            source = session.get(Source, source_id, populate_existing=True)
            if source is None:
                raise
    return source


def upsert_postings(
    session: Session,
    source_id: str,
    items: Sequence[PostingInput],
    *,
    run_id: int | None = None,
    now: datetime | None = None,
) -> UpsertStats:
    """Insert or update a batch of postings of one source; returns what changed. Does not commit."""
    now = _aware(now) or utcnow()
    # The last occurrence of a ref in the batch wins (a listing may show a posting twice).
    by_ref: dict[str, PostingInput] = {}
    for item in items:
        ref = make_source_ref(item.posting)
        if ref:
            by_ref[ref] = item
    existing = _existing_rows(session, source_id, list(by_ref))
    plan = _Plan(source_id=source_id, run_id=run_id, now=now)
    for ref, item in by_ref.items():
        plan.add(ref, item, existing.get(ref))
    _diff_changed(session, plan)
    _write(session, plan)
    return plan.stats


def _existing_rows(session: Session, source_id: str, refs: list[str]) -> dict[str, Any]:
    """Only what decides insert / touch / update, per ref; the old values of changed postings come later."""
    existing: dict[str, Any] = {}
    light = (Posting.id, Posting.source_ref, Posting.content_hash, Posting.status, Posting.closed_reason)
    for chunk in _chunks(refs):
        rows = session.execute(select(*light).where(Posting.source_id == source_id, Posting.source_ref.in_(chunk)))
        existing.update({row.source_ref: row for row in rows})
    return existing


@dataclass
class _Plan:
    """The writes of one batch: rows to insert, ids to touch, rows to update, change records."""

    source_id: str
    run_id: int | None
    now: datetime
    stats: UpsertStats = field(default_factory=UpsertStats)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    touches: list[int] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    #: (existing row, update values, status change, new fields, item, content hash) of changed postings
    changed: list[tuple[Any, dict[str, Any], dict[str, Any], dict[str, Any], PostingInput, str]] = field(
        default_factory=list
    )

    def add(self, ref: str, item: PostingInput, row: Any) -> None:
        """Plan one posting: insert when new, else touch, reopen/close or update."""
        fields = posting_fields(item.posting)
        digest = content_hash(fields)
        expired = _is_expired(fields, self.now)
        if row is None:
            self._insert(ref, item, fields, digest, expired)
            return
        now, run_id = self.now, self.run_id
        status_change: dict[str, Any] = {}
        values: dict[str, Any] = {"id": row.id, "last_seen_at": now, "last_run_id": run_id, "missed_runs": 0}
        if row.status == "closed" and not expired:
            values.update(status="open", closed_at=None, closed_reason=None)
            status_change = {"status": ["closed", "open"], "closed_reason": [row.closed_reason, None]}
            self.stats.reopened += 1
        elif row.status == "open" and expired:
            values.update(status="closed", closed_at=now, closed_reason="expired")
            status_change = {"status": ["open", "closed"], "closed_reason": [None, "expired"]}
            self.stats.closed_expired += 1
        if row.content_hash != digest:
            self.changed.append((row, values, status_change, fields, item, digest))
            self.stats.updated += 1
            return
        if status_change:
            self.updates.append(values)
            self.changes.append({"posting_id": row.id, "run_id": run_id, "changed_at": now, "changes": status_change})
        else:
            self.touches.append(row.id)
        self.stats.unchanged += 1

    def _insert(self, ref: str, item: PostingInput, fields: dict[str, Any], digest: str, expired: bool) -> None:
        now = self.now
        self.inserts.append(
            {
                **fields,
                "source_id": self.source_id,
                "source_ref": _fit("source_ref", ref),
                "content_hash": digest,
                "first_seen_at": now,
                "last_seen_at": now,
                "last_run_id": self.run_id,
                "missed_runs": 0,
                "status": "closed" if expired else "open",
                "closed_at": now if expired else None,
                "closed_reason": "expired" if expired else None,
                "raw": _raw_json(item),
            }
        )
        self.stats.new += 1
        self.stats.closed_expired += int(expired)


def _diff_changed(session: Session, plan: _Plan) -> None:
    """Read the old values of the changed postings; plan their update and the ``PostingChange`` of each."""
    old_values: dict[int, Any] = {}
    tracked = [getattr(Posting, name) for name in TRACKED_FIELDS]
    for chunk in _chunks([entry[0].id for entry in plan.changed]):
        old_values.update(
            {row.id: row for row in session.execute(select(Posting.id, *tracked).where(Posting.id.in_(chunk)))}
        )
    for row, values, status_change, fields, item, digest in plan.changed:
        old = old_values[row.id]
        diff = {
            name: [_history_value(getattr(old, name)), _history_value(value)]
            for name, value in fields.items()
            if not _same(getattr(old, name), value)
        }
        values.update(fields)
        values.update(content_hash=digest, raw=_raw_json(item))
        plan.updates.append(values)
        plan.changes.append(
            {"posting_id": row.id, "run_id": plan.run_id, "changed_at": plan.now, "changes": {**diff, **status_change}}
        )


def _write(session: Session, plan: _Plan) -> None:
    """Bulk INSERT, bulk UPDATE by primary key, UPDATE … IN for touched postings, then the change records."""
    if plan.inserts:
        session.execute(insert(Posting), plan.inserts)
    if plan.updates:
        session.execute(update(Posting), plan.updates)
    for chunk in _chunks(plan.touches):
        session.execute(
            update(Posting)
            .where(Posting.id.in_(chunk))
            .values(last_seen_at=plan.now, last_run_id=plan.run_id, missed_runs=0)
            .execution_options(synchronize_session=False)
        )
    if plan.changes:
        session.execute(insert(PostingChange), plan.changes)


_RAW_FIELDS = tuple(f.name for f in dataclass_fields(RawPosting))


def _raw_json(item: PostingInput) -> dict[str, Any]:
    """The raw item as stored in ``Posting.raw`` (shallow copy: ``dataclasses.asdict`` deep-copies, slowly)."""
    raw = item.raw
    data = {name: getattr(raw, name) for name in _RAW_FIELDS} if raw is not None else {}
    data.update(item.extra_raw)
    return _json_safe(data)


def _json_safe(value: Any) -> Any:
    """``value`` made JSON-serialisable (datetimes as ISO strings, unknown objects as strings)."""
    return json.loads(json.dumps(value, default=str))


def mark_seen(
    session: Session, source_id: str, refs: Iterable[str], *, run_id: int | None, now: datetime | None = None
) -> int:
    """Keep alive the postings the run met but could not parse (by ``source_ref`` or URL); returns how many."""
    now = _aware(now) or utcnow()
    wanted = sorted({ref for ref in refs if ref})
    count = 0
    for chunk in _chunks(wanted):
        result = session.execute(
            update(Posting)
            .where(
                Posting.source_id == source_id,
                Posting.status == "open",
                or_(Posting.source_ref.in_(chunk), Posting.url.in_(chunk)),
                or_(Posting.last_run_id.is_(None), Posting.last_run_id != (run_id if run_id is not None else -1)),
            )
            .values(last_run_id=run_id, missed_runs=0)
            .execution_options(synchronize_session=False)
        )
        count += result.rowcount or 0
    return count


def _close(session: Session, rows: Sequence[tuple[int, str]], reason: str, run_id: int | None, now: datetime) -> None:
    for chunk in _chunks(list(rows)):
        ids = [row_id for row_id, _ in chunk]
        session.execute(
            update(Posting)
            .where(Posting.id.in_(ids))
            .values(status="closed", closed_at=now, closed_reason=reason)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            insert(PostingChange),
            [
                {
                    "posting_id": row_id,
                    "run_id": run_id,
                    "changed_at": now,
                    "changes": {"status": ["open", "closed"], "closed_reason": [None, reason]},
                }
                for row_id in ids
            ],
        )


def close_missing(
    session: Session, source_id: str, run_id: int, *, misses: int = 2, now: datetime | None = None
) -> int:
    """After a *successful* run: count a miss for each open posting the run did not see; close those that
    reached ``misses`` consecutive misses. Returns the number closed."""
    now = _aware(now) or utcnow()
    unseen = and_(
        Posting.source_id == source_id,
        Posting.status == "open",
        or_(Posting.last_run_id.is_(None), Posting.last_run_id != run_id),
    )
    session.execute(
        update(Posting)
        .where(unseen)
        .values(missed_runs=Posting.missed_runs + 1)
        .execution_options(synchronize_session=False)
    )
    to_close = session.execute(
        select(Posting.id, Posting.source_ref).where(unseen, Posting.missed_runs >= max(1, misses))
    ).all()
    _close(session, [(row.id, row.source_ref) for row in to_close], "missing", run_id, now)
    return len(to_close)


def close_expired(
    session: Session, source_id: str | None = None, *, run_id: int | None = None, now: datetime | None = None
) -> int:
    """Close open postings (of one source, or all) whose ``expires_at`` is past. Returns the number closed."""
    now = _aware(now) or utcnow()
    query = select(Posting.id, Posting.source_ref).where(
        Posting.status == "open", Posting.expires_at.is_not(None), Posting.expires_at < now
    )
    if source_id is not None:
        query = query.where(Posting.source_id == source_id)
    rows = session.execute(query).all()
    _close(session, [(row.id, row.source_ref) for row in rows], "expired", run_id, now)
    return len(rows)


def open_posting_count(session: Session, source_id: str) -> int:
    """How many postings of ``source_id`` are open."""
    return (
        session.scalar(
            select(func.count()).select_from(Posting).where(Posting.source_id == source_id, Posting.status == "open")
        )
        or 0
    )
