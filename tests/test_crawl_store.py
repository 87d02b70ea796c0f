"""Postings upsert and lifecycle (store/postings.py), runs (store/crawls.py) — RELIABILITY.md C5."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from matching.types import NormalizedPosting, Place
from store.crawls import finish_run, good_run_item_counts, start_run, sync_sources
from store.models import Offer, Posting, PostingChange, Source
from store.postings import PostingInput, close_expired, close_missing, ensure_source, mark_seen, upsert_postings

pytestmark = pytest.mark.db

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
CAHORS = Place("46042", "Cahors", "46000", "46", "200023737", 44.4475, 1.4419)


def posting(ref: str, title: str = "Infirmier (H/F)", **fields: object) -> PostingInput:
    return PostingInput(
        NormalizedPosting(
            source="ch-cahors",
            source_id=ref,
            url=f"https://ch-cahors.fr/offres/{ref}",
            title=title,
            title_clean=title,
            place=CAHORS,
            contract_type="CDI",
            **fields,  # type: ignore[arg-type]
        )
    )


def crawl(db, refs, *, status="success", misses=2, now=NOW, titles=None):  # type: ignore[no-untyped-def]
    """One run of source ch-cahors listing ``refs``; returns (run_id, upsert stats, closed)."""
    with db.session() as session:
        ensure_source(session, "ch-cahors", platform="jsonld")
        run = start_run(session, "ch-cahors", now=now)
        stats = upsert_postings(
            session,
            "ch-cahors",
            [posting(r, (titles or {}).get(r, "Infirmier (H/F)")) for r in refs],
            run_id=run.id,
            now=now,
        )
        closed = close_missing(session, "ch-cahors", run.id, misses=misses, now=now) if status == "success" else 0
        finish_run(session, run.id, status=status, finish_reason="finished", items_scraped=len(refs))
        return run.id, stats, closed


def states(db) -> dict[str, tuple[str, str | None, int]]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return {p.source_ref: (p.status, p.closed_reason, p.missed_runs) for p in session.scalars(select(Posting))}


def test_recrawl_updates_in_place_with_history(db) -> None:  # type: ignore[no-untyped-def]
    _, first, _ = crawl(db, ["A", "B"])
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    later = NOW + timedelta(days=1)
    _, second, _ = crawl(db, ["A", "B"], now=later, titles={"B": "Infirmier de nuit (H/F)"})
    assert (second.new, second.updated, second.unchanged) == (0, 1, 1)
    with db.session() as session:
        b = session.scalars(select(Posting).where(Posting.source_ref == "B")).one()
        assert b.title == "Infirmier de nuit (H/F)"
        assert b.first_seen_at.replace(tzinfo=UTC) == NOW
        assert b.last_seen_at.replace(tzinfo=UTC) == later
        (change,) = session.scalars(select(PostingChange).where(PostingChange.posting_id == b.id)).all()
        assert change.changes["title"] == ["Infirmier (H/F)", "Infirmier de nuit (H/F)"]
        assert set(change.changes) == {"title", "title_clean"}
        assert session.scalar(select(Posting.commune_insee).where(Posting.source_ref == "A")) == "46042"


def test_closed_after_two_successful_misses_only(db) -> None:  # type: ignore[no-untyped-def]
    crawl(db, ["A", "B", "C"])
    crawl(db, ["A", "B"])
    assert states(db)["C"] == ("open", None, 1)
    crawl(db, ["A"], status="partial")  # a partial run closes nothing and counts no miss
    assert states(db)["C"] == ("open", None, 1)
    assert states(db)["B"] == ("open", None, 0)
    crawl(db, ["A", "B"])
    assert states(db)["C"] == ("closed", "missing", 2)
    # listed again: reopened, with the reopening in its history
    crawl(db, ["A", "B", "C"])
    assert states(db)["C"] == ("open", None, 0)
    with db.session() as session:
        c = session.scalars(select(Posting).where(Posting.source_ref == "C")).one()
        statuses = [
            ch.changes.get("status")
            for ch in session.scalars(select(PostingChange).where(PostingChange.posting_id == c.id))
        ]
        assert statuses == [["open", "closed"], ["closed", "open"]]


def test_a_miss_is_reset_when_seen_again(db) -> None:  # type: ignore[no-untyped-def]
    crawl(db, ["A", "B"])
    crawl(db, ["A"])
    crawl(db, ["A", "B"])
    crawl(db, ["A"])
    assert states(db)["B"] == ("open", None, 1)


def test_mark_seen_keeps_unparsed_postings_alive(db) -> None:  # type: ignore[no-untyped-def]
    crawl(db, ["A", "B"])
    with db.session() as session:
        run = start_run(session, "ch-cahors")
        upsert_postings(session, "ch-cahors", [posting("A")], run_id=run.id)
        # B's page was met but had broken JSON-LD: its URL is protected
        assert mark_seen(session, "ch-cahors", ["https://ch-cahors.fr/offres/B"], run_id=run.id) == 1
        assert close_missing(session, "ch-cahors", run.id, misses=1) == 0
    assert states(db)["B"] == ("open", None, 0)


def test_expired_postings_close_and_new_expired_are_stored_closed(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        ensure_source(session, "ch-cahors", platform="jsonld")
        stats = upsert_postings(
            session,
            "ch-cahors",
            [posting("OLD", expires_at=NOW - timedelta(days=1)), posting("SOON", expires_at=NOW + timedelta(hours=1))],
            now=NOW,
        )
        assert stats.closed_expired == 1
        assert close_expired(session, "ch-cahors", now=NOW + timedelta(hours=2)) == 1
    assert states(db)["OLD"][:2] == ("closed", "expired")
    assert states(db)["SOON"][:2] == ("closed", "expired")


def test_crawl_never_touches_staff_decisions(db) -> None:  # type: ignore[no-untyped-def]
    crawl(db, ["A"])
    with db.session() as session:
        offer = Offer(title="Infirmier", published=False, status="open")
        session.add(offer)
        session.flush()
        session.scalars(select(Posting)).one().offer_id = offer.id
        offer_id = offer.id
    crawl(db, ["A"], titles={"A": "Infirmier diplômé d'État"})
    crawl(db, [])  # empty (successful) runs: the posting is closed after two misses...
    crawl(db, [])
    with db.session() as session:
        a = session.scalars(select(Posting)).one()
        assert a.offer_id == offer_id
        assert a.status == "closed"
        offer = session.get(Offer, offer_id)
        assert offer.published is False
        assert offer.title == "Infirmier"


def test_duplicates_in_a_batch_and_long_refs(db) -> None:  # type: ignore[no-untyped-def]
    long_ref = "https://ch-cahors.fr/offres?" + "x" * 800
    with db.session() as session:
        ensure_source(session, "ch-cahors", platform="jsonld")
        stats = upsert_postings(session, "ch-cahors", [posting("A"), posting("A", "Autre titre"), posting(long_ref)])
    assert stats.new == 2
    refs = set(states(db))
    assert "A" in refs
    assert all(len(ref) <= 500 for ref in refs)


def test_sync_sources_and_good_run_counts(db) -> None:  # type: ignore[no-untyped-def]
    from crawlers.registry import load_registry

    entries = load_registry(environ={"OHMYLOT_SANDBOX_URL": "http://127.0.0.1:9"})
    with db.session() as session:
        assert sync_sources(session, entries) == len(entries)
        assert sync_sources(session, entries) == 0
        row = session.get(Source, "sandbox-sante-lot")
        assert row.active
        assert row.url.startswith("{sandbox}")
        assert row.trust == 0.9
    for count, status in [(10, "success"), (0, "failed"), (12, "success"), (3, "partial")]:
        with db.session() as session:
            run = start_run(session, "sandbox-sante-lot")
            finish_run(session, run.id, status=status, finish_reason="finished", items_scraped=count)
    with db.session() as session:
        assert good_run_item_counts(session, "sandbox-sante-lot") == [12, 10]
