"""Item pipelines: normalise → validate → store (one concern each, in that order).

Spiders yield ``matching.types.RawPosting``. ``NormalizePipeline`` turns it into a
``matching.types.NormalizedPosting`` (``matching.normalize.normalize_posting``), ``ValidatePipeline`` checks
what the database needs and counts field coverage, ``StorePipeline`` writes postings in batches through
``store.postings`` and returns ``NormalizedPosting.as_json()``: that dict is what ``-O offers.jsonl`` writes.

Every drop raises ``DropItem`` and counts ``offers/drop/<reason>``; a dropped posting whose id or URL is known
is kept alive in the database (``crawlers.drops``). Field coverage: ``offers/field/<name>/missing``.

Settings:
- ``OHMYLOT_NORMALIZE_BATCH`` (default 500): most items normalised together (``NormalizePipeline``).
- ``OHMYLOT_STORE_ENABLED`` (default True): store postings in the configured database
  (``OHMYLOT_DATABASE_URL``); False only normalises (``-O`` still writes the offers).
- ``OHMYLOT_STORE_BATCH`` (default 500): postings per database write.
- ``OHMYLOT_STORE_FLUSH_SECONDS`` (default 2): write at least this often, so progress shows while crawling.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from scrapy.exceptions import DropItem, NotConfigured

from crawlers.drops import DROP_PREFIX, IDENTIFIED_KEY, INCOMPLETE_KEY
from matching.normalize import normalize_posting, normalize_postings
from matching.types import NormalizedPosting, RawPosting

logger = logging.getLogger(__name__)

#: fields whose coverage is counted (paths in the JSON form of a normalised offer)
COVERAGE_FIELDS = (
    "url",
    "employer",
    "description",
    "contract_type",
    "published_at",
    "expires_at",
    "rome_code",
    "salary",
    "location.label",
    "location.insee",
    "location.lat",
)
_ROME = re.compile(r"^[A-N]\d{4}$")
_SIRET = re.compile(r"^\d{14}$")
_POSTAL = re.compile(r"^\d{5}$")


@dataclass(slots=True)
class CrawlItem:
    """An item between pipelines: the raw posting and its normalised form."""

    raw: RawPosting
    posting: NormalizedPosting


def _drop(crawler: Any, reason: str, refs: list[str | None], message: str) -> DropItem:
    stats = crawler.stats
    stats.inc_value(DROP_PREFIX + reason)
    known = [ref.strip() for ref in refs if isinstance(ref, str) and ref.strip()]
    if known:
        stats.inc_value(IDENTIFIED_KEY)
        recorder = getattr(crawler, "ohmylot_recorder", None)
        if recorder is not None:
            recorder.protect(known)
    else:
        stats.inc_value(INCOMPLETE_KEY)
    return DropItem(f"{reason}: {message}")


class _Component:
    """Built by ``from_crawler``; reaches the spider through the crawler (Scrapy ≥ 2.13 style)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> Any:
        return cls(crawler)


class NormalizePipeline(_Component):
    """``RawPosting`` → ``CrawlItem`` (normalised); drops with the normaliser's reason.

    Items are normalised in batches (``matching.normalize.normalize_postings``: the ROME classifier scores a
    whole batch in one matrix product), with the same values as one at a time. Each item waits, as an
    asyncio future, for the batch it joined: the batch is normalised when ``OHMYLOT_NORMALIZE_BATCH`` items
    wait, or as soon as the event loop has started the items in flight (Scrapy's ``CONCURRENT_ITEMS`` per
    response), so memory stays bounded by the batch size whatever the feed's size.
    """

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.batch_size = max(1, crawler.settings.getint("OHMYLOT_NORMALIZE_BATCH", 500))
        self.pending: list[tuple[RawPosting, asyncio.Future[NormalizedPosting]]] = []
        self.scheduled = False

    async def process_item(self, item: Any, spider: Any = None) -> CrawlItem:
        crawler = self.crawler
        if not isinstance(item, RawPosting):
            raise _drop(crawler, "not_a_posting", [], f"objet {type(item).__name__} reçu au lieu d'une RawPosting")
        source_id = getattr(crawler.spider, "source_id", None) or item.source
        if source_id and item.source != source_id:
            item.source = source_id
        loop = asyncio.get_running_loop()
        future: asyncio.Future[NormalizedPosting] = loop.create_future()
        self.pending.append((item, future))
        if len(self.pending) >= self.batch_size:
            self.flush()
        elif not self.scheduled:
            self.scheduled = True
            loop.call_soon(self.flush)  # after the items already started have joined the batch
        try:
            posting = await future
        except Exception as exc:  # noqa: BLE001 - C6: one bad item never stops the crawl
            logger.exception("normalisation impossible pour %s", item.source_id or item.url)
            raise _drop(crawler, "normalize_error", [item.source_id, item.url], repr(exc)) from exc
        if posting.drop_reason:
            raise _drop(crawler, posting.drop_reason, [item.source_id, item.url], item.url or item.source_id or "")
        return CrawlItem(item, posting)

    def flush(self) -> None:
        """Normalise the waiting items and wake them up (one failing item fails alone)."""
        batch, self.pending, self.scheduled = self.pending, [], False
        if not batch:
            return
        try:
            postings = normalize_postings([raw for raw, _ in batch])
        except Exception:  # noqa: BLE001 - isolate the failing item: one at a time
            for raw, future in batch:
                _settle(future, normalize_posting, raw)
            return
        for (_, future), posting in zip(batch, postings, strict=True):
            if not future.done():
                future.set_result(posting)


def _settle(future: asyncio.Future[NormalizedPosting], normalize: Any, raw: RawPosting) -> None:
    try:
        result = normalize(raw)
    except Exception as exc:  # noqa: BLE001 - handed to the waiting item, which drops it
        if not future.done():
            future.set_exception(exc)
        return
    if not future.done():
        future.set_result(result)


class ValidatePipeline(_Component):
    """Check what the database needs (an id; codes in their shape) and count field coverage."""

    def process_item(self, item: Any, spider: Any = None) -> CrawlItem:
        if not isinstance(item, CrawlItem):
            return item
        posting = item.posting
        stats = self.crawler.stats
        if not (posting.source_id or posting.url):
            raise _drop(self.crawler, "missing_id", [], posting.title)
        # Codes that do not have their shape are cleared (and counted), never invented or truncated.
        if posting.rome_code and not _ROME.match(posting.rome_code):
            stats.inc_value("offers/fix/rome_code_invalid")
            posting.rome_code = None
        if posting.employer_siret and not _SIRET.match(posting.employer_siret.replace(" ", "")):
            stats.inc_value("offers/fix/siret_invalid")
            posting.employer_siret = None
        elif posting.employer_siret:
            posting.employer_siret = posting.employer_siret.replace(" ", "")
        place = posting.place
        if place is not None and place.postal_code and not _POSTAL.match(place.postal_code):
            stats.inc_value("offers/fix/postal_code_invalid")
        stats.inc_value("offers/valid")
        data = posting.as_json()
        for name in COVERAGE_FIELDS:
            if _missing(data, name):
                stats.inc_value(f"offers/field/{name}/missing")
        return item


def _missing(data: dict[str, Any], path: str) -> bool:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict):  # salary: present when any of its parts is
        return not any(v not in (None, "", []) for v in value.values())
    return value in (None, "", [])


class StorePipeline(_Component):
    """Write postings in batches (``store.postings.upsert_postings``); return the offer's JSON form."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.enabled = settings.getbool("OHMYLOT_STORE_ENABLED", True)
        self.batch_size = max(1, settings.getint("OHMYLOT_STORE_BATCH", 500))
        self.flush_seconds = settings.getfloat("OHMYLOT_STORE_FLUSH_SECONDS", 2.0)
        self.buffer: list[CrawlItem] = []
        self.last_flush = time.monotonic()

    def _recorder(self) -> Any:
        recorder = getattr(self.crawler, "ohmylot_recorder", None)
        if recorder is None:
            raise NotConfigured("the CrawlRunRecorder extension is required to store postings")
        return recorder

    def open_spider(self, spider: Any = None) -> None:
        if self.enabled:
            self._recorder().open()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, CrawlItem):
            return item
        if self.enabled:
            self.buffer.append(item)
            if len(self.buffer) >= self.batch_size or time.monotonic() - self.last_flush >= self.flush_seconds:
                self.flush()
        return item.posting.as_json()

    def flush(self) -> None:
        """Write the buffered postings (one transaction)."""
        batch, self.buffer = self.buffer, []
        self.last_flush = time.monotonic()
        if batch:
            self._recorder().store(batch)

    def close_spider(self, spider: Any = None) -> None:
        if self.enabled:
            self.flush()
