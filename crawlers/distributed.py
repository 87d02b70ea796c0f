"""Distributed crawling: several Scrapy workers, on one or several machines, share one request queue and one
duplicate filter in Redis (scrapy-redis).

How it works: every worker runs the ordinary platform spider of a source with scrapy-redis' scheduler and
duplicate filter, under keys scoped to the source and to one *run key* shared by the workers of a crawl. A
URL enters the shared queue once (start requests included: they are made filterable here), whichever
worker discovers it, and is fetched by whichever worker pops it; items are stored in the one database
(PostgreSQL in production) where a posting is unique per source and source id.

Settings (added by ``distributed_settings``; Scrapy ``-s`` values):
- ``OHMYLOT_DISTRIBUTED`` (bool): the mode is on; the pipeline then never closes postings missing from a run
  (a worker sees only part of a source, RELIABILITY.md C5).
- ``REDIS_URL``: the shared Redis (``redis://127.0.0.1:6379/0``).
- ``OHMYLOT_DISTRIBUTED_KEY``: the run key (source id and run token), prefix of every Redis key.
- ``OHMYLOT_DISTRIBUTED_IDLE``: seconds a worker waits, with an empty queue, for the others before it stops
  (default 3): a worker stops only when the shared queue is empty and no worker fetched anything for that long.
- ``FilterableStartRequests`` (spider middleware) and ``WaitForOtherWorkers`` (extension) are always listed in
  ``crawlers/settings.py`` and turn themselves off (``NotConfigured``) outside the distributed mode.
- ``DOWNLOAD_DELAY`` is multiplied by the number of workers, so that the whole set stays as polite to one
  host as a single worker (C2).
"""

from __future__ import annotations

import time
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

KEY_PREFIX = "ohmylot:crawl"


def run_keys(run_key: str) -> dict[str, str]:
    """The Redis keys of one distributed run."""
    base = f"{KEY_PREFIX}:{run_key}"
    return {"queue": f"{base}:requests", "dupefilter": f"{base}:dupefilter", "activity": f"{base}:activity"}


def distributed_settings(
    run_key: str, redis_url: str, *, workers: int = 1, base_delay: float = 1.0
) -> dict[str, Any]:
    """Scrapy settings that turn a crawl into one worker of a distributed run."""
    keys = run_keys(run_key)
    return {
        "OHMYLOT_DISTRIBUTED": True,
        "OHMYLOT_DISTRIBUTED_KEY": run_key,
        "REDIS_URL": redis_url,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.FifoQueue",
        "SCHEDULER_QUEUE_KEY": keys["queue"],
        "SCHEDULER_DUPEFILTER_KEY": keys["dupefilter"],
        # The launcher clears the keys before a run; a worker must not flush them while others work.
        "SCHEDULER_PERSIST": True,
        "DOWNLOAD_DELAY": base_delay * max(1, workers),
    }


def reset_run(redis_url: str, run_key: str) -> None:
    """Delete the queue, duplicate filter and activity keys of a run (before starting its workers)."""
    import redis  # noqa: PLC0415 - distributed mode only: every crawl process loads this module (start-up)

    client = redis.Redis.from_url(redis_url)
    client.delete(*run_keys(run_key).values())
    client.close()


class FilterableStartRequests(BaseSpiderMiddleware):
    """Make start requests go through the shared duplicate filter (Scrapy marks them ``dont_filter``), so that
    N workers starting the same source fetch its start URLs once."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("OHMYLOT_DISTRIBUTED"):
            raise NotConfigured
        super().__init__(crawler)

    async def process_start(self, start: Any) -> Any:
        async for item in start:
            if isinstance(item, Request) and item.dont_filter:
                item = item.replace(dont_filter=False)
            yield item


class WaitForOtherWorkers:
    """Keep an idle worker alive while the shared queue has requests or another worker is still fetching."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("OHMYLOT_DISTRIBUTED"):
            raise NotConfigured

        self.crawler = crawler
        self.keys = run_keys(settings.get("OHMYLOT_DISTRIBUTED_KEY", "default"))
        self.idle = settings.getfloat("OHMYLOT_DISTRIBUTED_IDLE", 3.0)
        import redis  # noqa: PLC0415 - see reset_run

        self.client = redis.Redis.from_url(settings.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
        self.started = time.time()
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WaitForOtherWorkers:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.client.set(self.keys["activity"], time.time())

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        self.client.set(self.keys["activity"], time.time())
        self.crawler.stats.inc_value("distributed/responses")

    def spider_idle(self, spider: Any) -> None:
        queued = self.client.llen(self.keys["queue"])
        last = float(self.client.get(self.keys["activity"]) or self.started)
        if queued or time.time() - last < self.idle:
            self.crawler.stats.inc_value("distributed/idle_waits")
            raise DontCloseSpider
