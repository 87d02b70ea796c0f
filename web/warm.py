"""Warm the caches at start-up so that the first visits are as fast as the next ones. Before the server takes
requests (≈0.7 s of CPU): the password hasher, every Jinja template compiled, the reference tables (gazetteer,
EPCI and ROME names). Then in a background thread: the database connection pool opened, the ranking engine's
index of open offers built, the ROME classifier built.

Nothing here is required: a failure only means the first visit pays for what was not warmed.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any

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


def freeze_heap() -> None:
    """Move what is loaded so far (modules, reference tables, templates, indexes) out of the garbage
    collector's sight: its full collections, triggered by the objects each request allocates, otherwise walk
    these hundreds of megabytes again and again (≈10 % of a worker's CPU under load at 100,000 offers)."""
    gc.collect()
    gc.freeze()


def _run(steps: list[tuple[str, Callable[[], object]]], what: str) -> tuple[list[str], float]:
    """Run the steps; returns the names of those that failed (logged, never raised) and the time taken."""
    failed, timings, started = [], {}, time.perf_counter()
    for name, step in steps:
        begun = time.perf_counter()
        try:
            step()
        except Exception:  # noqa: BLE001 - a failed warm-up only slows the first visit down
            log.warning("warm-up step %s failed", name, exc_info=True)
            failed.append(name)
        timings[name] = round(time.perf_counter() - begun, 2)
    total = time.perf_counter() - started
    log.info("%s finished in %.1f s (%s)", what, total, ", ".join(f"{k} {v} s" for k, v in timings.items()))
    return failed, total


def warm_before_serving() -> list[str]:
    """The cheap steps most first visits need (≈0.7 s of CPU), run before the server takes requests: the
    sign-in's hasher, the templates, the reference tables (place names on the staff pages, the dashboard)."""
    steps: list[tuple[str, Callable[[], object]]] = [
        ("password hasher", warm_password_hasher), ("templates", warm_templates), ("reference", warm_reference)]
    return _run(steps, "warm-up before serving")[0]


def warm_up(db=None, *, metrics: Any = None, served: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    """Run the warm-up steps; returns the names of the steps that failed (logged, never raised).

    ``served``: the steps of ``warm_before_serving`` already ran; only the long ones are left, run in a
    background thread while the server answers: the database (the household page's offer index, seconds for
    thousands of offers) and the ROME classifier (for a profile whose jobs have no code yet). ``metrics``
    (``web.observability.WebMetrics``) records when it is over (``ohmylot_web_warm_up_seconds``), for
    whoever waits for a warm server.
    """
    failed = [] if served else warm_before_serving()
    steps: list[tuple[str, Callable[[], object]]] = []
    if db is not None:
        steps.append(("database", lambda: warm_database(db)))
    steps.append(("classifier", warm_classifier))
    more, total = _run(steps, "warm-up")
    failed += more
    if served:
        freeze_heap()
    if metrics is not None:
        metrics.warm_up_seconds.set(total)
        metrics.warm_up_failed_steps.set(len(failed))
    return failed
