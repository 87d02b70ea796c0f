"""robots.txt that fails closed, and honours ``Crawl-delay`` (RELIABILITY.md C1, C2).

Replaces Scrapy's ``RobotsTxtMiddleware`` (which allows everything when robots.txt cannot be fetched,
scrapy/scrapy#2443). Following RFC 9309 §2.3.1:
- 2xx: the rules are obeyed;
- 4xx (except 429): no robots.txt, everything is allowed;
- 5xx, 429, or unreachable (timeout, connection refused, DNS): the host is **unavailable** — nothing else on it
  is requested during the run (``robotstxt/fail_closed`` counted, the run is partial and closes nothing).

``Crawl-delay`` for our user agent raises the host's download delay (capped by
``ROBOTSTXT_CRAWL_DELAY_MAX``, default 60 s). Settings: ``ROBOTSTXT_OBEY``, ``ROBOTSTXT_CRAWL_DELAY_MAX``.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from crawlers.throttle import raise_host_delay

logger = logging.getLogger(__name__)


class DenyAll:
    """The rules of an unavailable host: nothing is allowed."""

    def allowed(self, url: Any, user_agent: Any) -> bool:
        return False

    def sitemaps(self) -> list[str]:
        return []


class FailClosedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """``RobotsTxtMiddleware`` with RFC 9309 status handling, fail-closed, and ``Crawl-delay``."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._crawl_delay_max = crawler.settings.getfloat("ROBOTSTXT_CRAWL_DELAY_MAX", 60.0)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        if status >= 500 or status == 429:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{status}")
            self._deny(netloc, f"robots.txt a répondu {status}")
            return
        if 400 <= status < 500:
            # No robots.txt: allow everything (parse an empty file rather than an HTML error page).
            response = response.replace(body=b"")
        elif not 200 <= status < 300:
            self._deny(netloc, f"robots.txt a répondu {status}")
            return
        await super()._parse_robots(response, netloc, request)
        parser = self._parsers.get(netloc)
        delay = self._crawl_delay(parser, request)
        if delay:
            applied = raise_host_delay(self.crawler, request, min(delay, self._crawl_delay_max))
            self._stats.set_value(f"robotstxt/crawl_delay/{netloc}", applied)

    def _crawl_delay(self, parser: Any, request: Request) -> float | None:
        robots = getattr(parser, "rp", None)
        if robots is None or not hasattr(robots, "crawl_delay"):
            return None
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent", self._default_useragent)
        if isinstance(agent, bytes):
            agent = agent.decode("latin-1")
        try:
            delay = robots.crawl_delay(agent)
        except Exception:  # noqa: BLE001 - a strange robots.txt must not stop the crawl
            return None
        return float(delay) if delay else None

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if not isinstance(exc, IgnoreRequest):
            self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._deny(netloc, f"robots.txt injoignable ({type(exc).__name__})")

    def _deny(self, netloc: str, why: str) -> None:
        logger.error("%s : aucune page de %s ne sera demandée pendant cette collecte (RFC 9309)", why, netloc)
        self._stats.inc_value("robotstxt/fail_closed")
        pending = self._parsers.get(netloc)
        self._parsers[netloc] = DenyAll()  # type: ignore[assignment]
        if pending is not None and hasattr(pending, "callback") and not pending.called:
            pending.callback(self._parsers[netloc])
