"""A network member's offer grouped with a crawled offer follows its staff review (docs/dedup.md).

Rejected: the offer is unpublished, even though crawled postings of the vacancy exist, through every later
deduplication run; a staff split of the member posting publishes the crawled offer again. Pending: the
crawled offer stays public but shows nothing of the member's form.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.network.offers import review_member_offer
from store.dedup import dedupe_database, split_posting
from store.models import Employer, MemberOffer, Offer, Posting, Source
from tests.dedup_helpers import T0, add_sources, days, posting

pytestmark = pytest.mark.db

MEMBER_TITLE = "Infirmier(e) DE - Médecine polyvalente"


def _setup(session, review: str) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """A crawled nurse posting grouped into a public offer, then the hospital's own member offer (``review``)."""
    add_sources(session)
    session.add(posting("hellowork", "HW-1", title="Infirmier H/F - Médecine polyvalente", title_clean=None))
    session.flush()
    dedupe_database(session, now=T0 + days(1))
    employer = Employer(
        name="Centre hospitalier de Cahors", normalized_name="centre hospitalier cahors", is_member=True
    )
    session.add(employer)
    session.flush()
    session.add(Source(id=f"reseau-{employer.id}", platform="manual", name=employer.name, trust=0.85))
    member = posting(
        f"reseau-{employer.id}",
        "m1",
        title=MEMBER_TITLE,
        title_clean=None,
        status="closed",
        closed_reason="pending_review",
        published_at=T0 + days(2),
    )
    session.add(member)
    session.flush()
    session.add(MemberOffer(employer_id=employer.id, posting_id=member.id, review=review))
    session.flush()
    dedupe_database(session, now=T0 + days(2))
    crawled = session.scalar(select(Posting).where(Posting.source_ref == "HW-1"))
    assert member.offer_id == crawled.offer_id  # one vacancy
    return crawled.offer_id, member.id, crawled.id


def test_pending_member_posting_leaves_the_crawled_offer_public_without_its_text(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        offer_id, _, crawled_id = _setup(session, "pending")
        offer = session.get(Offer, offer_id)
        assert offer.published is True
        assert offer.best_posting_id == crawled_id
        assert offer.title != MEMBER_TITLE


def test_rejected_member_posting_hides_the_offer_through_later_runs(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        offer_id, member_id, _ = _setup(session, "rejected")
        assert session.get(Offer, offer_id).published is False
        # another crawl of the same vacancy joins the offer: still hidden
        session.add(
            posting(
                "francetravail",
                "FT-9",
                title="Infirmier H/F - Médecine polyvalente",
                title_clean=None,
                published_at=T0 + days(3),
            )
        )
        session.flush()
        stats = dedupe_database(session, now=T0 + days(3))
        assert stats.joined == 1
        assert session.get(Offer, offer_id).published is False
        dedupe_database(session, full=True, now=T0 + days(3))
        offer_of_member = session.get(Posting, member_id).offer_id
        assert session.get(Offer, offer_of_member).published is False
        # staff: only the member's text was wrong; the crawled vacancy may be shown
        split_posting(session, member_id, "agent@ohmylot.fr", "texte du membre refusé, annonce publique valable")
        crawled_offer = session.scalar(select(Posting.offer_id).where(Posting.source_ref == "HW-1"))
        assert session.get(Offer, crawled_offer).published is True
        assert session.get(Offer, session.get(Posting, member_id).offer_id).published is False


def test_staff_review_of_a_merged_member_offer_publishes_or_hides_it(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        offer_id, member_id, _ = _setup(session, "pending")
        member_offer = session.scalar(select(MemberOffer).where(MemberOffer.posting_id == member_id))
        review_member_offer(session, member_offer, approve=False, staff="agent@ohmylot.fr", note="discriminatoire")
        assert session.get(Offer, offer_id).published is False
        review_member_offer(session, member_offer, approve=True, staff="agent@ohmylot.fr")
        assert session.get(Offer, offer_id).published is True
