"""Text search benchmark: the database's full-text index against the ``LIKE`` search it replaced.

Builds the web benchmark's database (``bench.web.build_database``: N offers with 40 job titles, commune and
ROME labels, descriptions of ≈1 KB) and, for a few queries, runs in the same process:

- **ours**: ``web.offer_search.search_offers`` (FTS5 / tsvector, ranked by relevance, public board filters);
- **baseline**: the previous search, every word ``LIKE '%word%'`` on title, employer, commune or ROME label
  (SQLite reading the narrow covering index ``ix_offer_search``, as the old code did), newest first.

Prints per query the number of offers each finds and the best-of-5 wall milliseconds, and the ratio.
``python -m bench.search [--offers N] [--postgres URL]`` (default 100,000 offers, SQLite).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import and_, or_, select

from bench.web import _postgres_database, build_database
from store.db import open_database
from store.models import Offer
from web.offer_search import COUNT_CAP, OfferFilters, search_offers

QUERIES = ["cuisinier", "infirmière", "infirmiere", "INFIRMIÈRE", "aide soignante", "agent entretien",
           'maçon "cahors"', "électricien figeac"]


def like_search(session, typed: str) -> int:  # type: ignore[no-untyped-def]
    """The replaced search: count (capped) and first page, newest first."""
    now = datetime.now(UTC)
    conditions = [Offer.status == "open", Offer.published.is_(True),
                  or_(Offer.expires_at.is_(None), Offer.expires_at >= now)]
    for word in typed.split()[:6]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = (Offer.title, Offer.employer_name, Offer.commune_name, Offer.rome_label)
        if session.get_bind().dialect.name == "sqlite":
            conditions.append(or_(*(c.like(pattern, escape="\\") for c in columns)))
        else:
            conditions.append(or_(*(c.ilike(pattern, escape="\\") for c in columns)))
    ids = select(Offer.id).where(and_(*conditions)).limit(COUNT_CAP + 1)
    if session.get_bind().dialect.name == "sqlite":
        ids = ids.with_hint(Offer, "INDEXED BY ix_offer_search", "sqlite")
    found = list(session.scalars(ids))
    order = (Offer.published_at.desc().nulls_last(), Offer.id.desc())
    list(session.scalars(select(Offer).where(Offer.id.in_(found[:COUNT_CAP])).order_by(*order).limit(20)))
    return min(len(found), COUNT_CAP)


def _best_ms(fn, repeat: int = 5) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    best, value = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1), value


def run(quick: bool = False, *, offers: int | None = None, postgres: str | None = None) -> dict[str, object]:
    offers = offers or (1_000 if quick else 100_000)
    folder = Path(tempfile.mkdtemp(prefix="ohmylot-bench-search-"))
    url, drop = (f"sqlite:///{folder / 'search.sqlite3'}", None) if not postgres else _postgres_database(postgres)
    try:
        built = build_database(url, offers=offers, prospects=max(10, offers // 10))
        db = open_database(url)
        rows = []
        with db.session() as session:
            for typed in QUERIES:
                ours_ms, ours = _best_ms(
                    lambda t=typed: search_offers(session, OfferFilters(q=t), public=True, page_size=20).total
                )
                base_ms, base = _best_ms(lambda t=typed: like_search(session, t))
                rows.append({"query": typed, "found_fts": ours, "found_like": base, "fts_ms": ours_ms,
                             "like_ms": base_ms, "ratio_fts_to_like": round(ours_ms / max(base_ms, 0.01), 2)})
        db.engine.dispose()
        return {**built, "database": "PostgreSQL" if postgres else "SQLite",
                "load_average_1min": round(os.getloadavg()[0], 1), "queries": rows}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if drop is not None:
            drop()  # type: ignore[operator]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Full-text search against the LIKE search, same database.")
    parser.add_argument("--offers", type=int, help="offers in the database (default 100,000)")
    parser.add_argument("--postgres", metavar="URL", help="run on a temporary PostgreSQL database there")
    parser.add_argument("--quick", action="store_true", help="1,000 offers")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quick, offers=args.offers, postgres=args.postgres), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
