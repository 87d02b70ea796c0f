"""Offers filled from their postings: the best posting's fields, open/closed, emptied offers.

Used by the deduplication (``store/dedup.py``) after each regrouping and by the staff corrections. An offer's
fields (all ``_OfferFields`` columns) are copied from its **best posting**: open before closed, then source
trust (``Source.trust``), completeness (share of filled fields), freshness (last seen / published).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import Session

from store.models import Offer, Posting, Shortlist, Source, _OfferFields
from store.models import as_utc as _as_utc

#: The columns copied from the best posting to its offer.
OFFER_FIELDS: tuple[str, ...] = tuple(
    name for name in vars(_OfferFields) if not name.startswith("_") and name in Offer.__table__.columns
)
CHUNK = 500


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    """``values`` in slices of ``size`` (SELECT … IN and bulk UPDATE batches)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _best(postings: Sequence[Any], trust: dict[str, float]) -> Any:
    """The posting whose fields the offer shows: open first, then source trust, completeness, freshness."""

    def key(p: Any) -> tuple[int, float, float, float]:
        fresh = _as_utc(p.last_seen_at or p.published_at)
        filled = sum(1 for name in OFFER_FIELDS if getattr(p, name) not in (None, "", []))
        return (
            1 if p.status != "closed" else 0,
            trust.get(p.source_id, 0.5),
            round(filled / len(OFFER_FIELDS), 2),
            fresh.timestamp() if fresh else 0.0,
        )

    return max(postings, key=key)


def _offer_values(postings: Sequence[Any], trust: dict[str, float], now: datetime) -> dict[str, Any]:
    """What an offer should hold, given its postings."""
    best = _best(postings, trust)
    values = {name: getattr(best, name) for name in OFFER_FIELDS}
    values["best_posting_id"] = best.id
    if all(p.status == "closed" for p in postings):
        values["status"] = "closed"
        values["closed_at"] = max((p.closed_at for p in postings if p.closed_at), default=now)
    else:
        values["status"], values["closed_at"] = "open", None
    return values


_POSTING_VALUE_COLUMNS = (
    Posting.id,
    Posting.offer_id,
    Posting.status,
    Posting.source_id,
    Posting.last_seen_at,
    Posting.closed_at,
    *(getattr(Posting, name) for name in OFFER_FIELDS if name not in ("published_at",)),
    Posting.published_at,
)
_OFFER_VALUE_COLUMNS = (
    Offer.id,
    Offer.status,
    Offer.closed_at,
    Offer.best_posting_id,
    *(getattr(Offer, name) for name in OFFER_FIELDS),
)


def refresh_offers(session: Session, offer_ids: set[int], now: datetime) -> None:
    """Copy each offer's best posting into it (bulk, only offers that change); remove emptied offers."""
    session.flush()
    trust = {sid: value for sid, value in session.execute(select(Source.id, Source.trust))}
    changes: list[dict[str, Any]] = []
    empty: list[int] = []
    for part in chunks(sorted(offer_ids)):
        by_offer: dict[int, list[Any]] = defaultdict(list)
        for row in session.execute(select(*_POSTING_VALUE_COLUMNS).where(Posting.offer_id.in_(part))):
            by_offer[row.offer_id].append(row)
        for row in session.execute(select(*_OFFER_VALUE_COLUMNS).where(Offer.id.in_(part))):
            postings = by_offer.get(row.id)
            if not postings:
                empty.append(row.id)
                continue
            wanted = _offer_values(postings, trust, now)
            if wanted["status"] == row.status and wanted["closed_at"] is not None:
                wanted["closed_at"] = row.closed_at  # keep the first closing date
            if any(getattr(row, key) != value for key, value in wanted.items()):
                changes.append({"id": row.id, **wanted, "updated_at": now})
    for part in chunks(changes, 1000):
        session.execute(update(Offer), list(part))
    if empty:
        kept = set(session.scalars(select(Shortlist.offer_id).where(Shortlist.offer_id.in_(empty))))
        # An offer emptied by a regrouping but referenced by a shortlist is kept, closed.
        if kept:
            session.execute(
                update(Offer).where(Offer.id.in_(sorted(kept))).values(status="closed", closed_at=now)
            )
        for part in chunks([o for o in empty if o not in kept]):
            session.execute(delete(Offer).where(Offer.id.in_(part)).execution_options(synchronize_session=False))
    session.expire_all()


def close_offers(session: Session, now: datetime) -> None:
    """Close open offers whose postings are all closed; reopen closed offers that have an open posting.

    Both statements only visit live data (open offers, open postings), so their cost does not grow with the
    history of closed offers.
    """
    open_posting = exists().where(and_(Posting.offer_id == Offer.id, Posting.status != "closed"))
    any_posting = exists().where(Posting.offer_id == Offer.id)
    session.execute(
        update(Offer)
        .where(Offer.status == "open", any_posting, ~open_posting)
        .values(status="closed", closed_at=now)
        .execution_options(synchronize_session=False)
    )
    reopened = select(Posting.offer_id).where(Posting.status == "open", Posting.offer_id.is_not(None))
    session.execute(
        update(Offer)
        .where(Offer.status == "closed", Offer.id.in_(reopened))
        .values(status="open", closed_at=None)
        .execution_options(synchronize_session=False)
    )


__all__ = ["CHUNK", "OFFER_FIELDS", "chunks", "close_offers", "refresh_offers"]
