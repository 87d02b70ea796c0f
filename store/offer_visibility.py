"""Whether an offer is published, given the staff review of the member offers grouped into it.

An offer groups postings (crawled, or typed in by a network member: ``MemberOffer``, reviewed by staff). The rule
(docs/dedup.md, "Member offers and moderation"), applied after every deduplication run and every review:

- an offer holding a member posting that staff **rejected** is unpublished, even when crawled postings of the
  same vacancy are public elsewhere: staff judged this vacancy. If only the member's text was the problem,
  staff split the member posting out (``ohmylot dedupe-split``) and the crawled offer is published again;
- otherwise an offer is published when it holds a crawled posting or an **approved** member posting;
- an offer made only of member postings **pending** review stays unpublished. A pending member posting merged
  into a public crawled offer leaves it public but shows nothing of the member's form: held closed until
  approved, it is never the offer's best posting while a crawled posting is open (``store/dedup.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import MemberOffer, Offer, Posting

_CHUNK = 500


def wanted_visibility(reviews: Iterable[str | None]) -> bool:
    """Whether an offer whose postings carry ``reviews`` is published (None: a crawled posting)."""
    reviews = list(reviews)
    if "rejected" in reviews:
        return False
    return any(review is None or review == "approved" for review in reviews)


def apply_visibility(session: Session, offer_ids: Iterable[int] | None = None) -> int:
    """Publish or hold ``offer_ids`` (None: every offer holding a member posting); returns offers changed.

    Only offers holding a member posting can change: with no member offer at all this reads one row.
    """
    reviews_of = dict(session.execute(select(MemberOffer.posting_id, MemberOffer.review)).tuples().all())
    if not reviews_of:
        return 0
    if offer_ids is None:
        member_ids = sorted(reviews_of)
        ids: set[int] = set()
        for start in range(0, len(member_ids), _CHUNK):
            part = member_ids[start : start + _CHUNK]
            ids.update(o for o in session.scalars(select(Posting.offer_id).where(Posting.id.in_(part))) if o)
    else:
        ids = set(offer_ids)
    ordered = sorted(ids)
    changed = 0
    for start in range(0, len(ordered), _CHUNK):
        part = ordered[start : start + _CHUNK]
        postings: dict[int, list[int]] = {}
        for offer_id, posting_id in session.execute(
            select(Posting.offer_id, Posting.id).where(Posting.offer_id.in_(part))
        ):
            postings.setdefault(offer_id, []).append(posting_id)
        if not any(p in reviews_of for members in postings.values() for p in members):
            continue
        for offer_id, published in session.execute(select(Offer.id, Offer.published).where(Offer.id.in_(part))):
            members = postings.get(offer_id)
            if not members:
                continue
            visible = wanted_visibility(reviews_of.get(p) for p in members)
            if visible != published:
                session.execute(update(Offer).where(Offer.id == offer_id).values(published=visible))
                changed += 1
    session.flush()
    return changed


__all__ = ["apply_visibility", "wanted_visibility"]
