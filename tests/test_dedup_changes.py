"""Incremental deduplication re-decides postings whose content changed at a later crawl (issue 16 item 4).

A posting whose ``content_hash`` differs from the ``dedup_hash`` its offer was decided on is decided again
by the next incremental run: it stays, moves to the offer it now matches, or starts an offer of its own;
staff corrections still hold, the move is recorded in the posting's history, nothing is lost or doubled.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from matching.types import NormalizedPosting
from store.dedup import dedupe_database, merge_offers, split_posting
from store.models import Offer, Posting, PostingChange
from store.postings import PostingInput, upsert_postings
from tests.dedup_helpers import NURSE_DESC, T0, add_sources, days, posting

pytestmark = pytest.mark.db

FIGEAC = {"commune_insee": "46102", "commune_name": "Figeac", "epci": "200067361", "lat": 44.6086, "lon": 2.0317}


def _by_ref(session) -> dict[str, Posting]:  # type: ignore[no-untyped-def]
    return {p.source_ref: p for p in session.scalars(select(Posting))}


def _change(session, ref: str, **fields: Any) -> None:  # type: ignore[no-untyped-def]
    """What a re-crawl does to a posting whose content changed: new fields, new content hash."""
    row = session.scalar(select(Posting).where(Posting.source_ref == ref))
    for name, value in fields.items():
        setattr(row, name, value)
    row.content_hash = f"{row.content_hash}+"
    session.flush()


def _two_nurse_offers(session) -> None:  # type: ignore[no-untyped-def]
    """Medicine nurse vacancy on two sources; the pneumology nurse vacancy on the hospital's site."""
    session.add_all(
        [
            posting(
                "ch-cahors", "MED", content_hash="h1", title="Infirmier(e) DE - Médecine polyvalente", title_clean=None
            ),
            posting(
                "hellowork",
                "HW-MED",
                content_hash="h2",
                title="Infirmier H/F - Médecine polyvalente",
                title_clean=None,
                published_at=T0 + days(2),
            ),
            posting(
                "ch-cahors",
                "PNEUMO",
                content_hash="h3",
                title="Infirmier(e) DE - Pneumologie",
                title_clean=None,
                description_text=NURSE_DESC.format(service="pneumologie"),
            ),
        ]
    )
    session.flush()
    dedupe_database(session, now=T0 + days(3))
    rows = _by_ref(session)
    assert rows["MED"].offer_id == rows["HW-MED"].offer_id != rows["PNEUMO"].offer_id


def test_posting_that_changed_service_leaves_its_offer_and_the_offer_stays_with_the_others(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        _two_nurse_offers(session)
        rows = _by_ref(session)
        med_offer, pneumo_offer = rows["MED"].offer_id, rows["PNEUMO"].offer_id
        hw_id = rows["HW-MED"].id
        # HelloWork's page now advertises the cardiology vacancy (new title and text), at the same URL
        _change(
            session,
            "HW-MED",
            title="Infirmier H/F - Cardiologie",
            title_clean=None,
            description_text=NURSE_DESC.format(service="cardiologie"),
        )
        stats = dedupe_database(session, now=T0 + days(4))
        rows = _by_ref(session)
        assert rows["MED"].offer_id == med_offer  # the offer (matches, shortlists) stays with the unchanged one
        assert rows["HW-MED"].offer_id not in (None, med_offer, pneumo_offer)
        assert (stats.rechecked, stats.moved, stats.new_offers) == (1, 1, 1)
        assert (stats.postings, stats.offers) == (3, 3)
        history = session.scalars(select(PostingChange.changes).where(PostingChange.posting_id == hw_id)).all()
        assert {"offer_id": [med_offer, rows["HW-MED"].offer_id]} in history
        assert session.get(Offer, med_offer).title == "Infirmier(e) DE - Médecine polyvalente"
        again = dedupe_database(session, now=T0 + days(4))
        assert (again.rechecked, again.moved, again.new_offers, again.offers) == (0, 0, 0, 3)


def test_posting_that_now_matches_another_offer_moves_to_it(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        _two_nurse_offers(session)
        rows = _by_ref(session)
        med_offer, pneumo_offer = rows["MED"].offer_id, rows["PNEUMO"].offer_id
        _change(
            session,
            "HW-MED",
            title="Infirmier H/F - Pneumologie",
            title_clean=None,
            description_text=NURSE_DESC.format(service="pneumologie"),
        )
        stats = dedupe_database(session, now=T0 + days(4))
        rows = _by_ref(session)
        assert rows["HW-MED"].offer_id == rows["PNEUMO"].offer_id == pneumo_offer
        assert rows["MED"].offer_id == med_offer
        assert (stats.moved, stats.new_offers, stats.offers, stats.postings) == (1, 0, 2, 3)


def test_posting_that_moved_to_another_place_leaves_its_offer(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        _two_nurse_offers(session)
        med_offer = _by_ref(session)["MED"].offer_id
        _change(session, "HW-MED", **FIGEAC)
        dedupe_database(session, now=T0 + days(4))
        rows = _by_ref(session)
        assert rows["MED"].offer_id == med_offer
        assert rows["HW-MED"].offer_id not in (None, med_offer)


def test_small_change_keeps_the_offer_and_refreshes_its_fields(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        _two_nurse_offers(session)
        med_offer = _by_ref(session)["MED"].offer_id
        _change(session, "MED", salary_min=2200.0, salary_max=2500.0, salary_period="month")
        stats = dedupe_database(session, now=T0 + days(4))
        rows = _by_ref(session)
        assert rows["MED"].offer_id == rows["HW-MED"].offer_id == med_offer
        assert (stats.rechecked, stats.moved, stats.new_offers) == (1, 0, 0)
        assert session.get(Offer, med_offer).salary_min == 2200.0


def test_lone_posting_that_changed_keeps_its_offer_id(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        _two_nurse_offers(session)
        pneumo_offer = _by_ref(session)["PNEUMO"].offer_id
        _change(session, "PNEUMO", title="Infirmier(e) DE - Pneumologie (nuit)")
        stats = dedupe_database(session, now=T0 + days(4))
        assert _by_ref(session)["PNEUMO"].offer_id == pneumo_offer
        assert (stats.moved, stats.new_offers) == (0, 0)


def test_staff_merge_and_split_hold_when_the_content_changes(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        _two_nurse_offers(session)
        rows = _by_ref(session)
        # staff: the pneumology posting is the same vacancy as the medicine one; HelloWork's is another one
        merged = merge_offers(session, rows["MED"].offer_id, rows["PNEUMO"].offer_id, "agent@ohmylot.fr", "même poste")
        split = split_posting(session, rows["HW-MED"].id, "agent@ohmylot.fr", "autre recrutement")
        _change(session, "PNEUMO", title="Infirmier(e) DE - Pneumologie et soins palliatifs")
        _change(
            session, "HW-MED", title="Infirmier(e) DE - Médecine polyvalente", title_clean=None
        )  # now a copy of the hospital's posting
        stats = dedupe_database(session, now=T0 + days(4))
        rows = _by_ref(session)
        assert rows["MED"].offer_id == rows["PNEUMO"].offer_id == merged.id
        assert rows["HW-MED"].offer_id == split.id
        assert (stats.rechecked, stats.moved) == (2, 0)
        rebuilt = dedupe_database(session, full=True, now=T0 + days(4))
        assert _by_ref(session)["HW-MED"].offer_id == split.id
        assert (rebuilt.postings, rebuilt.offers) == (3, 2)


def _nurse(ref: str, **fields: Any) -> NormalizedPosting:
    values: dict[str, Any] = {
        "source": "hellowork",
        "source_id": ref,
        "url": f"https://hellowork.example/offres/{ref}",
        "title": "Infirmier H/F - Médecine polyvalente",
        "title_clean": "Infirmier - Médecine polyvalente",
        "employer": "Centre hospitalier de Cahors",
        "description_text": NURSE_DESC.format(service="médecine polyvalente"),
        "contract_type": "CDI",
        "rome_code": "J1506",
        "published_at": T0,
    }
    values.update(fields)
    return NormalizedPosting(**values)


def test_a_recrawl_that_changes_the_content_is_seen_by_the_next_incremental_run(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_sources(session)
        session.add(
            posting(
                "ch-cahors",
                "MED",
                title="Infirmier(e) DE - Médecine polyvalente",
                title_clean=None,
                commune_insee=None,
                epci=None,
                lat=None,
                lon=None,
            )
        )
        session.flush()
        upsert_postings(session, "hellowork", [PostingInput(_nurse("HW-1"))], now=T0 + days(1))
        dedupe_database(session, now=T0 + days(1))
        rows = _by_ref(session)
        assert rows["HW-1"].offer_id == rows["MED"].offer_id
        assert rows["HW-1"].dedup_hash == rows["HW-1"].content_hash
        unchanged = upsert_postings(session, "hellowork", [PostingInput(_nurse("HW-1"))], now=T0 + days(2))
        assert (unchanged.unchanged, dedupe_database(session, now=T0 + days(2)).rechecked) == (1, 0)
        recrawl = _nurse(
            "HW-1",
            title="Infirmier H/F - Cardiologie",
            title_clean="Infirmier - Cardiologie",
            description_text=NURSE_DESC.format(service="cardiologie"),
        )
        assert upsert_postings(session, "hellowork", [PostingInput(recrawl)], now=T0 + days(3)).updated == 1
        stats = dedupe_database(session, now=T0 + days(3))
        rows = _by_ref(session)
        assert (stats.rechecked, stats.moved) == (1, 1)
        assert rows["HW-1"].offer_id not in (None, rows["MED"].offer_id)
        assert session.scalar(select(func.count()).select_from(Posting).where(Posting.offer_id.is_(None))) == 0
