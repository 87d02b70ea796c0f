"""Career-site platforms (ATS) that employers use for their own "jobs" pages: a platform key turns a company's
career-site address into the platform's JSON listing, with paging.

A platform spider subclasses :class:`CareerSiteSpider` (itself a :class:`crawlers.feeds.JsonFeedSpider`, so
the field mapping, drops and stats are the feed bases'), and says:

- :meth:`CareerSiteSpider.listing_url`: the company's career-site address (``https://acme.recruitee.com``)
  → the listing endpoint (``https://acme.recruitee.com/api/offers/``); an address that already is the
  endpoint (a saved response, a local test server) is used as it is;
- :attr:`CareerSiteSpider.paging`: ``None`` (one response holds every offer), ``"offset"`` (query
  parameters :attr:`offset_param`/:attr:`limit_param`, the total at :attr:`total_path`), ``"next_link"``
  (the next page's URL at :attr:`next_path`) or ``"body"`` (a JSON body built by :meth:`page_body`, POSTed).

Paging stops at the last page, at a page without offers, or after ``-a max_pages=`` (50) pages — a listing
cut by that limit is a page-level drop (the run is partial, so it closes nothing).

    scrapy crawl recruitee -a url=https://acme.recruitee.com -O offers.jsonl
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy

from crawlers.feeds import JsonFeedSpider, decode_feed, json_value
from matching.types import RawPosting

DROP_TOO_MANY_PAGES = "too_many_pages"


def with_query(url: str, **params: object) -> str:
    """``url`` with query parameters set (replacing those of the same name)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({key: str(value) for key, value in params.items()})
    return urlunsplit(parts._replace(query=urlencode(query)))


class CareerSiteSpider(JsonFeedSpider):
    """Base of the career-site platform spiders (see the module docstring)."""

    paging: ClassVar[str | None] = None
    page_size: ClassVar[int] = 100
    offset_param: ClassVar[str] = "offset"
    limit_param: ClassVar[str] = "limit"
    total_path: ClassVar[str | None] = None
    next_path: ClassVar[str | None] = None
    http_method: ClassVar[str] = "GET"

    def __init__(self, *args: Any, max_pages: str | int = 50, page_size: str | int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_pages = int(max_pages)
        if page_size is not None:
            self.page_size = int(page_size)  # -a page_size=: smaller pages (tests, slow sites)

    # -- what a platform says -----------------------------------------------------------------------------
    def listing_url(self, url: str) -> str:
        """The listing endpoint of a career-site address (default: the address itself)."""
        return url

    def page_body(self, page: int, offset: int) -> dict[str, Any] | None:
        """The JSON body of page ``page`` (``paging = "body"``)."""
        return None

    def has_next_page(self, document: Any, page: int, offset: int, count: int) -> bool:
        """Whether a page follows (``paging = "body"``): by default, while the total is not reached."""
        total = json_value(document, self.total_path) if self.total_path else None
        if isinstance(total, int | float):
            return offset + count < total
        return count >= self.page_size

    # -- requests -----------------------------------------------------------------------------------------
    def page_request(self, url: str, page: int, offset: int) -> Any:
        meta = {"page": page, "offset": offset, "listing": url}
        if self.paging == "offset":
            url = with_query(url, **{self.offset_param: offset, self.limit_param: self.page_size})
        if self.paging == "body" or self.http_method == "POST":
            body = self.page_body(page, offset) or {}
            return scrapy.Request(url, method="POST", body=json.dumps(body), callback=self.parse, meta=meta,
                                  headers={"Content-Type": "application/json", "Accept": "application/json"},
                                  dont_filter=True)
        return scrapy.Request(url, callback=self.parse, meta=meta, headers={"Accept": "application/json"},
                              dont_filter=True)

    def start_requests(self) -> Iterator[Any]:
        for url in self.start_urls_list:
            yield self.page_request(self.listing_url(url), 0, 0)

    def parse(self, response: Any, **kwargs: Any) -> Iterator[Any]:
        count = 0
        for posting in super().parse(response, **kwargs):
            count += 1
            yield posting
        next_request = self.next_page(response, count)
        if next_request is not None:
            yield next_request

    def next_page(self, response: Any, count: int) -> Any | None:
        """The request of the following page, or ``None`` at the last one."""
        if self.paging is None or count == 0:
            return None
        meta = getattr(response, "meta", {}) or {}
        page, offset, listing = meta.get("page", 0), meta.get("offset", 0), meta.get("listing", response.url)
        try:
            document = json.loads(decode_feed(response.body).text, strict=False)
        except (json.JSONDecodeError, RecursionError):
            return None
        if self.paging == "next_link":
            link = json_value(document, self.next_path or "links.next")
            follow = isinstance(link, str) and bool(link.strip())
        else:
            follow = self.has_next_page(document, page, offset, count)
        if not follow:
            return None
        if page + 1 >= self.max_pages:
            self.drop(DROP_TOO_MANY_PAGES, f"plus de {self.max_pages} pages : liste coupée (-a max_pages=)")
            return None
        if self.paging == "next_link":
            return scrapy.Request(response.urljoin(link), callback=self.parse, dont_filter=True,
                                  meta={"page": page + 1, "offset": offset + count, "listing": listing},
                                  headers={"Accept": "application/json"})
        return self.page_request(listing, page + 1, offset + count)

    @staticmethod
    def place(posting: RawPosting, *parts: str | None) -> None:
        """Set ``location`` to the non-empty parts joined, when the posting has no city or postal code."""
        if posting.city is None and posting.postal_code is None and posting.location is None:
            text = ", ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
            posting.location = text or None
