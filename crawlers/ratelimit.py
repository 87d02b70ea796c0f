"""``Retry-After`` and sustained rate limiting (RELIABILITY.md C4; Scrapy ignores the header, scrapy#3849).

A ``429 Too Many Requests`` (with or without ``Retry-After``) or a ``503`` *with* ``Retry-After``:
- holds every request to that host for the announced time (seconds or an HTTP date), capped by
  ``RETRY_AFTER_MAX`` (60 s); a 429 without the header waits ``RETRY_AFTER_DEFAULT`` (5 s);
- then retries the request, at most ``RETRY_AFTER_TIMES`` (3) times; after that the response goes on to the
  spider as an error;
- sustained rate limiting — ``RATE_LIMIT_CLOSE_AFTER`` (5) answers 429 in a row with no successful answer in
  between, or one request still answered 429 after all its retries — closes the spider with the finish
  reason ``rate_limited`` (the run is then partial or failed: it closes nothing).

A 503 without ``Retry-After`` is left to Scrapy's ``RetryMiddleware`` (at most ``RETRY_TIMES`` retries).
Stats: ``retry_after/count``, ``retry_after/waited_s``, ``retry_after/max_reached``, ``retry_after/rate_limited``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro

from crawlers.throttle import pause_host

logger = logging.getLogger(__name__)


def parse_retry_after(value: bytes | str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date); None when unusable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """Downloader middleware: honour ``Retry-After`` per host, close on sustained 429 (see module docstring)."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX", 60.0)
        self.default_wait = settings.getfloat("RETRY_AFTER_DEFAULT", 5.0)
        self.max_times = settings.getint("RETRY_AFTER_TIMES", 3)
        self.close_after = settings.getint("RATE_LIMIT_CLOSE_AFTER", 5)
        self.consecutive_429 = 0
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        status = response.status
        header = response.headers.get(b"Retry-After")
        if status != 429 and not (status == 503 and header is not None):
            if status < 400:
                self.consecutive_429 = 0
            return response
        stats = self.crawler.stats
        if status == 429:
            self.consecutive_429 += 1
            if self.close_after and self.consecutive_429 >= self.close_after:
                stats.inc_value("retry_after/rate_limited")
                self._close("rate_limited")
                raise IgnoreRequest(f"rate limited: {self.consecutive_429} answers 429 in a row")
        wait = parse_retry_after(header)
        if wait is None:
            wait = self.default_wait
        wait = min(max(wait, 0.0), self.max_wait)
        tries = int(request.meta.get("retry_after_times", 0)) + 1
        if tries > self.max_times:
            stats.inc_value("retry_after/max_reached")
            if status == 429:  # still limited after every wait: sustained
                stats.inc_value("retry_after/rate_limited")
                self._close("rate_limited")
            return response
        pause_host(self.crawler, request, wait)
        stats.inc_value("retry_after/count")
        stats.inc_value("retry_after/waited_s", round(wait, 3))
        logger.info(
            "%s a répondu %s : nouvel essai dans %.1f s (%d/%d)", request.url, status, wait, tries, self.max_times
        )
        retry = request.replace(dont_filter=True, meta={**request.meta, "retry_after_times": tries})
        return retry

    def _close(self, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        logger.error("Trop de réponses 429 : la collecte s'arrête (%s)", reason)
        engine = self.crawler.engine
        closer = getattr(engine, "close_spider_async", None)
        if closer is not None:
            deferred_from_coro(closer(reason=reason))
        else:  # Scrapy < 2.13
            engine.close_spider(self.crawler.spider, reason)
