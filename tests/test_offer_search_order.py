"""Broad offer lists (more matches than the count cap) are paged newest first, undated offers last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.webutil import add_offer


def test_broad_lists_page_newest_first_then_undated(db, monkeypatch) -> None:
    import web.offer_search as search
    from web.offer_search import OfferFilters, search_offers

    monkeypatch.setattr(search, "COUNT_CAP", 3)  # every list below is "broad": the index walk pages it
    now = datetime.now(UTC)
    with db.session() as session:
        ages = [5, None, 1, 9, None, 3, None, 7]
        ids = [add_offer(session, title=f"Offre {i}", ref=f"o{i}",
                         published_at=None if age is None else now - timedelta(days=age)).id
               for i, age in enumerate(ages)]
        session.commit()
        dated = sorted((i for i, a in zip(ids, ages, strict=True) if a is not None),
                       key=lambda i: ages[ids.index(i)])
        expected = dated + sorted((i for i, a in zip(ids, ages, strict=True) if a is None), reverse=True)
        for size in (1, 2, 3, 5, 8):
            pages = []
            for number in range(1, 10):
                result = search_offers(session, OfferFilters(page=number), page_size=size)
                assert result.capped
                pages += [offer.id for offer in result.offers]
            assert pages == expected, size
