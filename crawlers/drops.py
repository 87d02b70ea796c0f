"""Counting what a spider could not use, so that a bad page never closes a posting (RELIABILITY.md C5, C6).

Every spider reports what it skips with one of two calls; both count ``offers/drop/<reason>`` in the stats:

- ``drop_posting(spider, reason, ref=..., url=...)``: one posting (a posting page, one feed item) could not
  be used — broken JSON-LD, no title, a date that does not parse. When its ref (the source's own id) or URL is
  known, the posting already stored under it is kept alive (``store.postings.mark_seen``) and the run can
  still be successful.
- ``drop_page(spider, reason, url=...)``: a page that lists postings (a listing page, a whole feed) could not
  be read — truncated XML, an HTML error page instead of a feed, an empty listing. We cannot know which
  postings it held, so the run is *partial* and closes nothing.

A drop counted without either call (a bare ``offers/drop/<reason>`` increment) is treated like ``drop_page``.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

DROP_PREFIX = "offers/drop/"
#: drops whose posting is known (its stored posting is kept alive)
IDENTIFIED_KEY = "offers/drop_identified"
#: page-level failures (the run is partial)
INCOMPLETE_KEY = "crawl/incomplete"


def _stats(spider: Any) -> Any:
    crawler = getattr(spider, "crawler", None)
    return getattr(crawler, "stats", None)


def _protect(spider: Any, refs: list[str]) -> None:
    crawler = getattr(spider, "crawler", None)
    recorder = getattr(crawler, "ohmylot_recorder", None)
    if recorder is not None:
        recorder.protect(refs)


def drop_posting(
    spider: Any, reason: str, *, ref: str | None = None, url: str | None = None, detail: str | None = None
) -> None:
    """Count one posting that could not be used; keep its stored version alive when ``ref``/``url`` is known."""
    stats = _stats(spider)
    refs = [value.strip() for value in (ref, url) if isinstance(value, str) and value.strip()]
    if stats is not None:
        stats.inc_value(DROP_PREFIX + reason)
        if refs:
            stats.inc_value(IDENTIFIED_KEY)
        else:
            stats.inc_value(INCOMPLETE_KEY)
    if refs:
        _protect(spider, refs)
    logger.warning("Offre ignorée (%s) %s%s", reason, refs[0] if refs else "", f" : {detail}" if detail else "")


def drop_page(spider: Any, reason: str, *, url: str | None = None, detail: str | None = None) -> None:
    """Count a listing page or feed that could not be read: the run becomes partial and closes nothing."""
    stats = _stats(spider)
    if stats is not None:
        stats.inc_value(DROP_PREFIX + reason)
        stats.inc_value(INCOMPLETE_KEY)
        stats.inc_value(f"{INCOMPLETE_KEY}/{reason}")
    logger.warning("Page non exploitable (%s) %s%s", reason, url or "", f" : {detail}" if detail else "")
