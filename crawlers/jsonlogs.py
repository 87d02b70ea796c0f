"""The crawl's own log (``<data dir>/logs/crawl-SOURCE-RUN.log``) as JSON lines, like the web app's and the
scheduler's (store/logs.py): ``process`` is ``crawl`` and ``job_id`` is ``crawl:SOURCE``, plus ``run_id``.

Scrapy's start-up lines (versions, settings, enabled components), written before the spider opens, keep
Scrapy's own format. Turned off (``NotConfigured``) with ``OHMYLOT_LOG_FORMAT=text``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from store.logs import JsonFormatter


class _CrawlContext(logging.Filter):
    """Stamps the crawl's job id and run id on every record."""

    def __init__(self, run_id: int | None) -> None:
        super().__init__()
        self.job_id: str | None = None
        self.run_id = run_id

    def filter(self, record: logging.LogRecord) -> bool:
        if self.job_id and not getattr(record, "job_id", None):
            record.job_id = self.job_id
        if self.run_id and not hasattr(record, "run_id"):
            record.run_id = self.run_id
        return True


class JsonCrawlLogs:
    """Switches the handlers Scrapy installed to JSON lines (see the module docstring)."""

    def __init__(self, crawler: Any) -> None:
        if os.environ.get("OHMYLOT_LOG_FORMAT", "json").strip().lower() == "text":
            raise NotConfigured("OHMYLOT_LOG_FORMAT=text")
        self.context = _CrawlContext(crawler.settings.getint("OHMYLOT_RUN_ID", 0) or None)
        self._switch()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    def _switch(self) -> None:
        # Scrapy may install its root handler again when the crawl starts: switch whatever is there.
        for handler in logging.getLogger().handlers:
            if not isinstance(handler.formatter, JsonFormatter):
                handler.setFormatter(JsonFormatter("crawl"))
            if self.context not in handler.filters:
                handler.addFilter(self.context)

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonCrawlLogs:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.context.job_id = f"crawl:{getattr(spider, 'source_id', None) or spider.name}"
        self._switch()
