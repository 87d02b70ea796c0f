"""Warm the caches at start-up, in a background thread, so that the first visits are as fast as the next
ones: reference tables (gazetteer, EPCI and ROME names), every Jinja template compiled, the ranking engine
imported and its index of open offers built, the ROME classifier built, the database connection pool opened.

Nothing here is required: a failure only means the first visit pays for what was not warmed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select

from matching.rome import get_classifier
from services.auth import hash_password, verify_password
from services.matching import offer_index
from services.reference import warm_up as warm_reference
from store.models import Candidate, Offer
from web.templating import templates

log = logging.getLogger(__name__)


def warm_templates() -> int:
    """Compile every template now (Jinja compiles on first use: ~50 ms per page otherwise)."""
    env = templates.env
    names = env.list_templates(filter_func=lambda name: name.endswith((".html", ".txt")))
    for name in names:
        env.get_template(name)
    return len(names)


def warm_classifier() -> None:
    """Build the ROME classifier the ranker uses for a profile's jobs (tens of seconds on a busy machine)."""
    get_classifier()


def warm_password_hasher() -> None:
    """One argon2 hash and check, so that the first sign-in does not also pay for the first allocation."""
    verify_password(hash_password("warm-up passphrase"), "warm-up passphrase")


def warm_database(db) -> None:  # type: ignore[no-untyped-def]
    """Open a pooled connection, compile the common queries and build the ranking engine's offer index."""
    with db.session() as session:
        session.execute(select(Offer.id).limit(1)).all()
        session.execute(select(Candidate.id).limit(1)).all()
        offer_index(session)


def warm_up(db=None) -> list[str]:  # type: ignore[no-untyped-def]
    """Run every warm-up step; returns the names of the steps that failed (logged, never raised)."""
    steps: list[tuple[str, Callable[[], object]]] = [("reference", warm_reference), ("templates", warm_templates)]
    if db is not None:
        steps.append(("database", lambda: warm_database(db)))
    steps += [("password hasher", warm_password_hasher), ("classifier", warm_classifier)]
    failed = []
    for name, step in steps:
        try:
            step()
        except Exception:  # noqa: BLE001 - a failed warm-up only slows the first visit down
            log.warning("warm-up step %s failed", name, exc_info=True)
            failed.append(name)
    return failed
