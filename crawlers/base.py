"""Base of every platform spider.

Arguments (``scrapy crawl NAME -a key=value``):
- ``url``: where to start (``http(s)://`` or ``file://``: a saved page or feed can be replayed);
- ``source``: the registry id the postings are stored under (default: the spider name, or the registry entry
  whose URL matches).

``allowed_domains`` is derived from the start URL(s) when a spider does not set it (RELIABILITY.md C2).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import scrapy


class OhmylotSpider(scrapy.Spider):
    """A spider for one platform, pointed at one source by its arguments."""

    #: the platform key used by the registry (``crawlers/sources.toml``)
    platform: str = ""
    #: default start URL when none is given (platform spiders usually have none)
    default_url: str | None = None

    def __init__(self, *args: Any, url: str | None = None, source: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_url = url or self.default_url
        self.source_id = source or self.name
        urls = [u for u in (self.start_url or "").split(",") if u]
        self.start_urls_list = urls
        if not getattr(self, "allowed_domains", None):
            hosts = sorted({urlsplit(u).hostname or "" for u in urls if not u.startswith("file:")} - {""})
            self.allowed_domains = hosts
