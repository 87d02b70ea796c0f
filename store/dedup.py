"""Persistence of deduplication: postings → offers, staff corrections, the blocking index.

- ``dedupe_database(session, full=False)``: groups the postings not yet in an offer (``offer_id`` NULL) with
  the existing postings they share a blocking key with (through the ``dedup_block`` index), or regroups
  every posting when ``full``. Existing offer ids are kept where a group keeps most of an offer's postings
  (matches and shortlists point at offers). Each offer's fields are copied from its best posting (source
  trust, completeness, freshness; open postings first); offers whose postings are all closed are closed.
- ``merge_offers`` / ``split_posting``: staff corrections, stored in ``DedupCorrection`` and replayed after
  every automatic run (a merge links two postings; a split forbids a posting from sharing an offer with the
  postings it was split from), so they survive full rebuilds.

The decision itself lives in ``matching/dedup.py`` (pure functions).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from matching.dedup import (
    DedupRecord,
    blocking_keys,
    candidate_pairs,
    cluster,
    hashed_key,
    prepare,
    score_pairs,
)
from store.dedup_offers import OFFER_FIELDS, close_offers, refresh_offers
from store.dedup_offers import chunks as _chunks
from store.models import (
    POSTING_STALE_SQL,
    DedupBlock,
    DedupCorrection,
    Offer,
    Posting,
    PostingChange,
)
from store.models import as_utc as _as_utc
from store.offer_visibility import apply_visibility

_RECORD_COLUMNS = (
    Posting.id,
    Posting.source_id,
    Posting.source_ref,
    Posting.title,
    Posting.title_clean,
    Posting.employer_name,
    Posting.employer_siret,
    Posting.description_text,
    Posting.contract_type,
    Posting.hours_per_week,
    Posting.published_at,
    Posting.first_seen_at,
    Posting.status,
    Posting.closed_at,
    Posting.commune_insee,
    Posting.commune_name,
    Posting.epci,
    Posting.departement,
    Posting.lat,
    Posting.lon,
    Posting.rome_code,
    Posting.url,
    Posting.apply_url,
    Posting.partners,
    Posting.salary_min,
    Posting.salary_max,
    Posting.salary_period,
    Posting.positions,
    Posting.offer_id,
)


@dataclass
class DedupStats:
    """The outcome of one deduplication run.

    ``postings`` and ``offers`` count what is in the database after the run (postings attached to an offer,
    offers with at least one posting); ``merged`` = postings − offers (duplicates folded into an offer);
    ``new_offers`` and ``joined`` count what this run did (offers created, new postings that joined an
    existing offer); ``rechecked`` the postings whose content changed since their offer was decided (re-decided
    by an incremental run) and ``moved`` those of them that left their offer; ``per_source`` maps a source id
    to ``(postings, duplicates)`` where a duplicate is a
    posting whose offer has another posting.
    """

    postings: int = 0
    offers: int = 0
    merged: int = 0
    new_offers: int = 0
    joined: int = 0
    rechecked: int = 0
    moved: int = 0
    full: bool = False
    per_source: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def duplicates_merged(self) -> int:
        """Alias of ``merged`` (what the demo prints)."""
        return self.merged

    def duplicate_rates(self) -> dict[str, float]:
        """Share of each source's postings that belong to an offer with another posting."""
        return {src: (dup / total if total else 0.0) for src, (total, dup) in sorted(self.per_source.items())}




def _record(row: Any) -> DedupRecord:
    return prepare(
        DedupRecord(
            key=row.id,
            source=row.source_id,
            source_ref=row.source_ref,
            title=row.title or "",
            title_clean=row.title_clean,
            employer=row.employer_name,
            employer_siret=row.employer_siret,
            description=row.description_text,
            contract_type=row.contract_type,
            hours_per_week=row.hours_per_week,
            published_at=_as_utc(row.published_at),
            first_seen_at=_as_utc(row.first_seen_at),
            closed_at=_as_utc(row.closed_at) if row.status == "closed" else None,
            commune_insee=row.commune_insee,
            commune_name=row.commune_name,
            epci=row.epci,
            departement=row.departement,
            lat=row.lat,
            lon=row.lon,
            rome_code=row.rome_code,
            url=row.url,
            apply_url=row.apply_url,
            partners=list(row.partners or []),
            salary_min=row.salary_min,
            salary_max=row.salary_max,
            salary_period=row.salary_period,
            positions=row.positions,
        )
    )


def _load_rows(session: Session, where: Any) -> list[Any]:
    return list(session.execute(select(*_RECORD_COLUMNS).where(where).order_by(Posting.id)))


def _corrections(session: Session, ids: set[int] | None) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Staff merges and splits (posting id pairs), restricted to ``ids`` when given."""
    merges: list[tuple[int, int]] = []
    splits: list[tuple[int, int]] = []
    for row in session.execute(
        select(DedupCorrection.kind, DedupCorrection.posting_a_id, DedupCorrection.posting_b_id).order_by(
            DedupCorrection.id
        )
    ):
        if ids is not None and (row.posting_a_id not in ids or row.posting_b_id not in ids):
            continue
        (merges if row.kind == "merge" else splits).append((row.posting_a_id, row.posting_b_id))
    return merges, splits


def _write_blocks(session: Session, records: Sequence[DedupRecord], keys: Sequence[set[str]]) -> None:
    ids = [r.key for r in records]
    for part in _chunks(ids):
        session.execute(delete(DedupBlock).where(DedupBlock.posting_id.in_(part)))
    _write_blocks_bulk(session, records, keys)


#: At most this many postings are read per blocking key of a new posting (the most recent ones), so a huge
#: block (an interim agency's "préparateur de commandes" in one département) stays cheap.
NEIGHBOURS_PER_KEY = 25


def _neighbour_ids(session: Session, keys: Iterable[set[str]], exclude: set[int]) -> set[int]:
    """Postings already in an offer that share a blocking key with the new ones, with their offers' postings."""
    digests = sorted({hashed_key(k) for ks in keys for k in ks})
    found: set[int] = set()
    query = (
        select(DedupBlock.posting_id)
        .where(DedupBlock.key == bindparam("digest"))
        .order_by(DedupBlock.posting_id.desc())
        .limit(NEIGHBOURS_PER_KEY)
    )
    for digest in digests:
        found.update(session.scalars(query, {"digest": digest}))
    found -= exclude
    offers: set[int] = set()
    for part in _chunks(sorted(found)):
        offers.update(
            o for o in session.scalars(select(Posting.offer_id).where(Posting.id.in_(part))) if o is not None
        )
    members: set[int] = set()
    for part in _chunks(sorted(offers)):
        members.update(session.scalars(select(Posting.id).where(Posting.offer_id.in_(part))))
    return members


def _choose_offers(
    groups: dict[int, list[int]], current: Sequence[int | None], changed: frozenset[int]
) -> dict[int, int | None]:
    """The existing offer id each group keeps (or None: a new offer).

    Largest groups choose first, by the majority of their postings' current offers. Postings whose content
    changed (``changed``, re-decided) vote only after every other group chose: an offer stays with the
    postings that did not change, and a changed posting left alone keeps its offer when nobody else has it.
    """
    taken: set[int] = set()
    offer_of_group: dict[int, int | None] = {}
    ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    for label, members in ordered:
        votes = Counter(current[m] for m in members if current[m] is not None and m not in changed)
        chosen = next((offer_id for offer_id, _ in votes.most_common() if offer_id not in taken), None)
        if chosen is not None:
            taken.add(chosen)
        offer_of_group[label] = chosen
    for label, members in ordered:
        if offer_of_group[label] is not None:
            continue
        votes = Counter(current[m] for m in members if current[m] is not None and m in changed)
        chosen = next((offer_id for offer_id, _ in votes.most_common() if offer_id not in taken), None)
        if chosen is not None:
            taken.add(chosen)
            offer_of_group[label] = chosen
    return offer_of_group


def _assign(
    session: Session,
    records: Sequence[DedupRecord],
    labels: Sequence[int],
    current: Sequence[int | None],
    now: datetime,
    changed: frozenset[int] = frozenset(),
) -> tuple[int, int, set[int], list[tuple[int, int | None, int]]]:
    """Give each group an offer (keeping existing offer ids by majority).

    Returns (offers created, new postings that joined an offer, offers touched, moves) where a move is
    ``(posting id, old offer id, new offer id)`` for each posting already in an offer that changed offer.
    """
    groups: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    offer_of_group = _choose_offers(groups, current, changed)
    new_labels = [label for label in groups if offer_of_group[label] is None]
    created: dict[int, int] = {}
    for part in _chunks(new_labels, 1000):
        rows = [
            {"title": records[groups[label][0]].title or "", "created_at": now, "updated_at": now} for label in part
        ]
        ids = session.scalars(insert(Offer).returning(Offer.id, sort_by_parameter_order=True), rows).all()
        created.update(zip(part, ids, strict=True))
    joined = 0
    touched: set[int] = set()
    updates: list[dict[str, int]] = []
    moves: list[tuple[int, int | None, int]] = []
    for label, members in groups.items():
        offer_id = offer_of_group[label]
        if offer_id is None:
            offer_id = created[label]
        elif any(current[m] is None for m in members):
            joined += sum(1 for m in members if current[m] is None)
        touched.add(offer_id)
        for m in members:
            if current[m] != offer_id:
                if current[m] is not None:
                    touched.add(current[m])  # type: ignore[arg-type]
                    moves.append((records[m].key, current[m], offer_id))
                updates.append({"id": records[m].key, "offer_id": offer_id})
    for part in _chunks(updates, 2000):
        session.execute(update(Posting), list(part))
    return len(created), joined, touched, moves


def _counts(session: Session, stats: DedupStats) -> DedupStats:
    """Postings in offers, offers with postings, duplicates merged (aggregates computed by the database)."""
    postings, offers = session.execute(
        select(func.count(Posting.id), func.count(func.distinct(Posting.offer_id))).where(
            Posting.offer_id.is_not(None)
        )
    ).one()
    stats.postings, stats.offers, stats.merged = postings, offers, postings - offers
    return stats


def duplicates_per_source(session: Session) -> dict[str, tuple[int, int]]:
    """Per source: (postings in offers, postings whose offer has another posting)."""
    sizes = (
        select(Posting.offer_id.label("offer_id"), func.count().label("size"))
        .where(Posting.offer_id.is_not(None))
        .group_by(Posting.offer_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Posting.source_id,
            func.count(),
            func.sum(case((sizes.c.size > 1, 1), else_=0)),
        )
        .join(sizes, sizes.c.offer_id == Posting.offer_id)
        .group_by(Posting.source_id)
    )
    return {source: (int(total), int(dups or 0)) for source, total, dups in rows}


#: Postings already in an offer whose content changed (a later crawl) since the deduplication decided it.
_STALE = text(POSTING_STALE_SQL)  # the condition of the partial index ix_posting_dedup_stale


@dataclass
class _Batch:
    """What one run clusters: the first ``fresh`` records are decided (new, then changed postings)."""

    rows: list[Any]
    records: list[DedupRecord]
    keys: list[set[str]]
    fresh: int = 0
    changed: frozenset[int] = frozenset()

    @property
    def current(self) -> list[int | None]:
        return [r.offer_id for r in self.rows]


def _full_batch(session: Session) -> _Batch:
    rows = _load_rows(session, Posting.id.is_not(None))
    records = [_record(r) for r in rows]
    keys = [blocking_keys(r) for r in records]
    session.execute(delete(DedupBlock))
    _write_blocks_bulk(session, records, keys)
    return _Batch(rows, records, keys, fresh=len(rows))


def _incremental_batch(session: Session) -> _Batch | None:
    """New postings, changed postings, and the postings of the offers they may join or leave (None: nothing)."""
    new_rows = _load_rows(session, Posting.offer_id.is_(None))
    changed_rows = _load_rows(session, _STALE)
    fresh_rows = new_rows + changed_rows
    if not fresh_rows:
        return None
    fresh_records = [_record(r) for r in fresh_rows]
    fresh_keys = [blocking_keys(r) for r in fresh_records]
    _write_blocks(session, fresh_records, fresh_keys)
    fresh_ids = {r.key for r in fresh_records}
    has_offers = session.scalar(select(Posting.id).where(Posting.offer_id.is_not(None)).limit(1)) is not None
    neighbour_ids = _neighbour_ids(session, fresh_keys, fresh_ids) if has_offers else set()
    # the offers that changed postings may leave (their other postings, staff merges among them)
    left = sorted({r.offer_id for r in changed_rows})
    for part in _chunks(left):
        neighbour_ids.update(session.scalars(select(Posting.id).where(Posting.offer_id.in_(part))))
    old_rows: list[Any] = []
    for part in _chunks(sorted(neighbour_ids - fresh_ids)):
        old_rows.extend(_load_rows(session, Posting.id.in_(part)))
    records = fresh_records + [_record(r) for r in old_rows]
    keys = fresh_keys + [blocking_keys(r) for r in records[len(fresh_records) :]]
    changed = frozenset(range(len(new_rows), len(fresh_rows)))
    return _Batch(fresh_rows + old_rows, records, keys, fresh=len(fresh_rows), changed=changed)


def _kept_whole(batch: _Batch) -> list[tuple[int, int]]:
    """Links keeping each existing offer whole, without the changed postings (they are decided again)."""
    first_of: dict[int, int] = {}
    forced: list[tuple[int, int]] = []
    for index, offer_id in enumerate(batch.current):
        if offer_id is None or index in batch.changed:
            continue
        if offer_id in first_of:
            forced.append((first_of[offer_id], index))
        else:
            first_of[offer_id] = index
    return forced


def dedupe_database(
    session: Session, *, full: bool = False, now: datetime | None = None, per_source: bool | None = None
) -> DedupStats:
    """Group postings into offers; replay staff corrections.

    Incremental (default): the postings not yet in an offer, and the postings whose content changed since their
    offer was decided (``dedup_hash`` ≠ ``content_hash``: they stay, move to another offer or start one),
    against their neighbourhood with the other offers kept whole. ``full``: every posting is regrouped.
    Idempotent: a second run without new or changed postings changes nothing. ``per_source`` (default: on for
    full runs) also fills ``DedupStats.per_source``, which reads every posting once.
    """
    if per_source is None:
        per_source = full
    now = now or datetime.now(UTC)
    stats = DedupStats(full=full)
    session.flush()
    batch = _full_batch(session) if full else _incremental_batch(session)
    if batch is None:
        close_offers(session, now)
        return _finish(session, stats, per_source)
    records = batch.records
    position = {r.key: i for i, r in enumerate(records)}
    merges, splits = _corrections(session, set(position))
    staff_links = [(position[a], position[b]) for a, b in merges]
    forbidden = [(position[a], position[b]) for a, b in splits]
    pairs = candidate_pairs(records, batch.keys)
    forced = [] if full else _kept_whole(batch)
    if not full:
        # existing offers stay whole: only pairs with a new or changed posting matter
        pairs = pairs[(pairs < batch.fresh).any(axis=1)]
    edges = score_pairs(records, pairs)
    labels = cluster(records, edges, forced_links=forced, forbidden=forbidden, staff_links=staff_links)
    current = batch.current
    stats.new_offers, stats.joined, touched, moves = _assign(session, records, labels, current, now, batch.changed)
    stats.rechecked = len(batch.changed)
    stats.moved = len(moves) if full else sum(1 for m in moves if position[m[0]] in batch.changed)
    _record_moves(session, moves, now)
    _mark_decided(session, None if full else [r.key for r in records[: batch.fresh]])
    session.flush()
    refresh_offers(session, touched, now)
    close_offers(session, now)
    apply_visibility(session, None if full else touched)  # member offers' reviews (store/offer_visibility.py)
    return _finish(session, stats, per_source)


def _record_moves(session: Session, moves: Sequence[tuple[int, int | None, int]], now: datetime) -> None:
    """Provenance: a ``PostingChange`` row ``{"offer_id": [old, new]}`` for each posting that changed offer."""
    rows = [
        {"posting_id": p, "run_id": None, "changed_at": now, "changes": {"offer_id": [old, new]}}
        for p, old, new in moves
    ]
    for part in _chunks(rows, 2000):
        session.execute(insert(PostingChange), list(part))


def _mark_decided(session: Session, ids: Sequence[int] | None) -> None:
    """Remember the content each posting's offer was decided on (every posting when ``ids`` is None)."""
    if ids is None:
        session.execute(
            update(Posting).where(_STALE).values(dedup_hash=Posting.content_hash).execution_options(
                synchronize_session=False
            )
        )
        return
    for part in _chunks(sorted(ids)):
        session.execute(
            update(Posting)
            .where(Posting.id.in_(part), _STALE)
            .values(dedup_hash=Posting.content_hash)
            .execution_options(synchronize_session=False)
        )


def _finish(session: Session, stats: DedupStats, per_source: bool) -> DedupStats:
    _counts(session, stats)
    if per_source:
        stats.per_source = duplicates_per_source(session)
    return stats


def _write_blocks_bulk(session: Session, records: Sequence[DedupRecord], keys: Sequence[set[str]]) -> None:
    rows = [{"key": hashed_key(k), "posting_id": r.key} for r, ks in zip(records, keys, strict=True) for k in ks]
    for part in _chunks(rows, 5000):
        session.execute(insert(DedupBlock), list(part))


# --------------------------------------------------------------------------------------------------
# Staff corrections
# --------------------------------------------------------------------------------------------------


class CorrectionError(ValueError):
    """A staff correction that cannot be applied (unknown offer or posting); the message is French."""


def _posting_ids(session: Session, offer_id: int) -> list[int]:
    return list(session.scalars(select(Posting.id).where(Posting.offer_id == offer_id).order_by(Posting.id)))


def merge_offers(session: Session, offer_a: int, offer_b: int, staff: str | None, reason: str | None) -> Offer:
    """Merge offer ``offer_b`` into ``offer_a`` (staff correction, replayed after every run)."""
    if offer_a == offer_b:
        raise CorrectionError("une offre ne peut pas être fusionnée avec elle-même")
    a_ids, b_ids = _posting_ids(session, offer_a), _posting_ids(session, offer_b)
    if not a_ids:
        raise CorrectionError(f"offre {offer_a} introuvable ou sans annonce")
    if not b_ids:
        raise CorrectionError(f"offre {offer_b} introuvable ou sans annonce")
    session.add(DedupCorrection(kind="merge", posting_a_id=a_ids[0], posting_b_id=b_ids[0], staff=staff, reason=reason))
    # A merge overrides earlier splits between the two offers' postings.
    session.execute(
        delete(DedupCorrection).where(
            DedupCorrection.kind == "split",
            ((DedupCorrection.posting_a_id.in_(a_ids)) & (DedupCorrection.posting_b_id.in_(b_ids)))
            | ((DedupCorrection.posting_a_id.in_(b_ids)) & (DedupCorrection.posting_b_id.in_(a_ids))),
        )
    )
    session.execute(update(Posting).where(Posting.offer_id == offer_b).values(offer_id=offer_a))
    session.flush()
    refresh_offers(session, {offer_a, offer_b}, datetime.now(UTC))
    apply_visibility(session, [offer_a])
    offer = session.get(Offer, offer_a)
    assert offer is not None
    return offer


def split_posting(session: Session, posting_id: int, staff: str | None, reason: str | None) -> Offer:
    """Take one posting out of its offer into an offer of its own (staff correction, replayed after every run)."""
    posting = session.get(Posting, posting_id)
    if posting is None:
        raise CorrectionError(f"annonce {posting_id} introuvable")
    if posting.offer_id is None:
        raise CorrectionError(
            f"l'annonce {posting_id} n'est rattachée à aucune offre : lancez d'abord « ohmylot dedupe »"
        )
    old_offer = posting.offer_id
    others = [p for p in _posting_ids(session, old_offer) if p != posting_id]
    if not others:
        raise CorrectionError(f"l'annonce {posting_id} est déjà seule dans son offre")
    # Earlier merges that tie this posting to the others are withdrawn.
    session.execute(
        delete(DedupCorrection).where(
            DedupCorrection.kind == "merge",
            ((DedupCorrection.posting_a_id == posting_id) & DedupCorrection.posting_b_id.in_(others))
            | ((DedupCorrection.posting_b_id == posting_id) & DedupCorrection.posting_a_id.in_(others)),
        )
    )
    for other in others:
        session.add(
            DedupCorrection(kind="split", posting_a_id=posting_id, posting_b_id=other, staff=staff, reason=reason)
        )
    offer = Offer(title=posting.title)
    session.add(offer)
    session.flush([offer])
    posting.offer_id = offer.id
    session.flush()
    refresh_offers(session, {offer.id, old_offer}, datetime.now(UTC))
    apply_visibility(session, [offer.id, old_offer])
    return offer


__all__ = [
    "OFFER_FIELDS",
    "CorrectionError",
    "DedupStats",
    "dedupe_database",
    "duplicates_per_source",
    "merge_offers",
    "split_posting",
]
