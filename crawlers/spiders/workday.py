"""Workday career sites: ``https://<tenant>.wd<N>.myworkdayjobs.com/<site>`` → the listing
``POST https://<host>/wday/cxs/<tenant>/<site>/jobs`` with ``{"limit", "offset", "searchText",
"appliedFacets"}`` (20 per page; Workday gives ``total`` on the first page only).

The list holds the title, the place (``locationsText``), the job's path (``externalPath``) and the
requisition id (``bulletFields[0]``); the description is on each job's detail page
(``/wday/cxs/<tenant>/<site><externalPath>``), which ``-a details=1`` fetches (one request per job: for short
lists).

    scrapy crawl workday -a url=https://gdit.wd5.myworkdayjobs.com/External_Career_Site -O offers.jsonl
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy

from crawlers.careers import CareerSiteSpider
from crawlers.feeds import Paths, clean_value, decode_feed, json_value
from matching.types import RawPosting

_CXS = re.compile(r"^(?P<base>.*?/wday/cxs/(?P<tenant>[^/]+)/(?P<site>[^/]+))/jobs/?$")
_LOCALE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")


class WorkdaySpider(CareerSiteSpider):
    name = platform = "workday"
    paging = "body"
    page_size = 20
    total_path = "total"
    items_path = "jobPostings"
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": ("bulletFields.0", "externalPath"), "title": "title", "location": "locationsText",
        "published_at": "postedOn",
    }
    extra_fields: ClassVar[dict[str, Paths]] = {"path": "externalPath"}

    def __init__(self, *args: Any, details: str | int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.details = str(details).lower() in ("1", "true", "oui", "yes")
        self.total: int | None = None

    def listing_url(self, url: str) -> str:
        parts = urlsplit(url)
        if "/wday/cxs/" in parts.path:
            return url
        tenant = (parts.hostname or "").split(".")[0]
        steps = [s for s in parts.path.split("/") if s and not _LOCALE.match(s)]
        site = steps[0] if steps else "External"
        return f"{parts.scheme}://{parts.netloc}/wday/cxs/{tenant}/{site}/jobs"

    def page_body(self, page: int, offset: int) -> dict[str, Any]:
        return {"appliedFacets": {}, "limit": self.page_size, "offset": offset, "searchText": ""}

    def has_next_page(self, document: Any, page: int, offset: int, count: int) -> bool:
        total = json_value(document, "total")
        if page == 0 and isinstance(total, int):
            self.total = total
        return offset + count < (self.total or 0)

    def _site(self, listing: str) -> tuple[str, str]:
        """(API base ``…/wday/cxs/<tenant>/<site>``, public base ``https://host/<site>``)."""
        match = _CXS.match(listing.split("?")[0])
        if not match:
            return listing.rstrip("/"), listing.rstrip("/")
        parts = urlsplit(listing)
        return match.group("base"), f"{parts.scheme}://{parts.netloc}/{match.group('site')}"

    def parse(self, response: Any, **kwargs: Any) -> Iterator[Any]:
        if (response.meta or {}).get("detail"):
            yield from self.parse_detail(response)
            return
        api, public = self._site((response.meta or {}).get("listing", response.url))
        for result in super().parse(response, **kwargs):
            if isinstance(result, RawPosting) and result.extra.get("path"):
                result.url = public + result.extra["path"]
                if self.details:
                    yield scrapy.Request(api + result.extra["path"], callback=self.parse, dont_filter=True,
                                         meta={"detail": True, "posting": result},
                                         headers={"Accept": "application/json"})
                    continue
            yield result

    def parse_detail(self, response: Any) -> Iterator[RawPosting]:
        """A job's detail (``jobPostingInfo``, ``hiringOrganization``): the posting of the list, completed.
        An unreadable detail leaves the posting as the list gave it."""
        posting: RawPosting = response.meta["posting"]
        try:
            document = json.loads(decode_feed(response.body).text, strict=False)
        except (json.JSONDecodeError, RecursionError):
            document = None
        if isinstance(document, dict):
            posting.description = clean_value(json_value(document, "jobPostingInfo.jobDescription"))
            posting.working_time = clean_value(json_value(document, "jobPostingInfo.timeType"))
            posting.employer = posting.employer or clean_value(json_value(document, "hiringOrganization.name"))
            start = clean_value(json_value(document, "jobPostingInfo.startDate"))
            if start:
                posting.extra["start_date"] = start
        else:
            self.logger.warning("%s : détail illisible %s, offre gardée telle que listée", self.name, response.url)
        yield posting
