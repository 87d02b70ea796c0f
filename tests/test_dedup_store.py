"""Deduplication in the database: incremental runs, full rebuilds, best posting, closing, corrections."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from store.dedup import CorrectionError, dedupe_database, merge_offers, split_posting
from store.models import DedupCorrection, Offer, Posting
from tests.dedup_helpers import NURSE_DESC, T0, add_sources, days, posting

pytestmark = pytest.mark.db


def _offer_ids(session) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    return {f"{p.source_id}:{p.source_ref}": p.offer_id for p in session.scalars(select(Posting))}


def _cross_posted(session) -> None:  # type: ignore[no-untyped-def]
    """One nurse vacancy on three sources, plus another service's nurse vacancy at the same hospital."""
    session.add_all(
        [
            posting("ch-cahors", "INF-2026-14", title="Infirmier(e) DE - Médecine polyvalente",
                    title_clean="Infirmier DE Médecine polyvalente", salary_min=2100.0, salary_max=2400.0,
                    salary_period="month"),
            posting("francetravail", "198QXKP", title="Infirmier / Infirmière (H/F)",
                    title_clean="Infirmier / Infirmière", published_at=T0 + days(2),
                    description_text=NURSE_DESC.format(service="médecine polyvalente")[:300],
                    partners=[{"nom": "CH Cahors", "url": "https://ch-cahors.example/offres/INF-2026-14"}]),
            posting("hellowork", "55120331", title="Infirmier H/F - Médecine polyvalente",
                    title_clean="Infirmier Médecine polyvalente", published_at=T0 + days(3),
                    employer_name="CH de Cahors", commune_insee=None, epci=None, lat=None, lon=None),
            posting("ch-cahors", "INF-2026-15", title="Infirmier(e) DE - Pneumologie",
                    title_clean="Infirmier DE Pneumologie",
                    description_text=NURSE_DESC.format(service="pneumologie")),
        ]
    )
    session.flush()


def test_cross_posted_vacancy_becomes_one_offer_and_another_service_stays_apart(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        _cross_posted(session)
        stats = dedupe_database(session, now=T0 + days(5), per_source=True)
        ids = _offer_ids(session)
        assert ids["ch-cahors:INF-2026-14"] == ids["francetravail:198QXKP"] == ids["hellowork:55120331"]
        assert ids["ch-cahors:INF-2026-15"] != ids["ch-cahors:INF-2026-14"]
        assert (stats.postings, stats.offers, stats.merged, stats.new_offers) == (4, 2, 2, 2)
        offer = session.get(Offer, ids["ch-cahors:INF-2026-14"])
        # best posting: the hospital's own site (highest trust), its fields copied to the offer
        assert offer.title == "Infirmier(e) DE - Médecine polyvalente"
        assert offer.salary_min == 2100.0
        assert offer.best_posting_id == session.scalar(select(Posting.id).where(Posting.source_ref == "INF-2026-14"))
        assert stats.duplicate_rates()["hellowork"] == 1.0
        assert stats.per_source["ch-cahors"] == (2, 1)


def test_second_run_changes_nothing_and_full_rebuild_keeps_offer_ids(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        _cross_posted(session)
        first = dedupe_database(session, now=T0 + days(5))
        before = _offer_ids(session)
        again = dedupe_database(session, now=T0 + days(5))
        assert (again.postings, again.offers, again.merged) == (first.postings, first.offers, first.merged)
        assert (again.new_offers, again.joined) == (0, 0)
        rebuilt = dedupe_database(session, full=True, now=T0 + days(5))
        assert _offer_ids(session) == before
        assert (rebuilt.offers, rebuilt.merged, rebuilt.new_offers) == (first.offers, first.merged, 0)
        assert session.scalar(select(func.count()).select_from(Offer)) == 2


def test_incremental_posting_joins_existing_offer(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        session.add(posting("ch-cahors", "INF-2026-14"))
        session.flush()
        dedupe_database(session, now=T0 + days(1))
        session.add(posting("hellowork", "99", title="Infirmier diplômé d'État H/F",
                            title_clean="Infirmier diplômé d'État", published_at=T0 + days(4)))
        session.flush()
        stats = dedupe_database(session, now=T0 + days(5))
        assert (stats.joined, stats.new_offers, stats.offers) == (1, 0, 1)


def test_repost_after_the_offer_closed_is_a_new_vacancy(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        session.add(posting("ch-cahors", "INF-2026-14", status="closed", closed_at=T0 + days(20)))
        session.flush()
        stats = dedupe_database(session, now=T0 + days(21))
        offer = session.scalars(select(Offer)).one()
        assert offer.status == "closed"
        session.add(posting("hellowork", "77", published_at=T0 + days(60), first_seen_at=T0 + days(60)))
        session.flush()
        stats = dedupe_database(session, now=T0 + days(61))
        assert (stats.offers, stats.new_offers) == (2, 1)


def test_offer_closes_when_all_its_postings_close(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        _cross_posted(session)
        dedupe_database(session, now=T0 + days(5))
        main = session.scalar(select(Posting.offer_id).where(Posting.source_ref == "INF-2026-14"))
        for p in session.scalars(select(Posting).where(Posting.offer_id == main)):
            p.status, p.closed_at = "closed", T0 + days(30)
        session.flush()
        dedupe_database(session, now=T0 + days(31))
        assert session.get(Offer, main).status == "closed"


def test_staff_corrections_survive_a_full_rebuild(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        _cross_posted(session)
        dedupe_database(session, now=T0 + days(5))
        ids = _offer_ids(session)
        hw = session.scalar(select(Posting.id).where(Posting.source_ref == "55120331"))
        split_offer = split_posting(session, hw, "agent@ohmylot.fr", "annonce d'un autre site")
        merged = merge_offers(session, ids["ch-cahors:INF-2026-14"], ids["ch-cahors:INF-2026-15"],
                              "agent@ohmylot.fr", "même poste, deux services")
        assert session.scalar(select(func.count()).select_from(DedupCorrection)) == 3
        for full in (False, True, True):
            dedupe_database(session, full=full, now=T0 + days(6))
            after = _offer_ids(session)
            assert after["hellowork:55120331"] not in (after["ch-cahors:INF-2026-14"], None)
            assert after["ch-cahors:INF-2026-14"] == after["ch-cahors:INF-2026-15"] == after["francetravail:198QXKP"]
        assert merged.id == after["ch-cahors:INF-2026-14"]
        assert split_offer.id == after["hellowork:55120331"]


def test_corrections_refuse_nonsense(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        session.add(posting("ch-cahors", "A"))
        session.flush()
        dedupe_database(session, now=T0)
        offer_id = session.scalar(select(Offer.id))
        with pytest.raises(CorrectionError):
            merge_offers(session, offer_id, offer_id, "x", "y")
        with pytest.raises(CorrectionError):
            merge_offers(session, offer_id, 999, "x", "y")
        with pytest.raises(CorrectionError):
            split_posting(session, session.scalar(select(Posting.id)), "x", "y")
