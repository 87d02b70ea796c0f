"""Lever postings API: ``https://api.lever.co/v0/postings/<company>?mode=json`` (a list; ``skip``/``limit``
paging).

    scrapy crawl lever -a url=https://jobs.lever.co/acme -O offers.jsonl
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from crawlers.careers import CareerSiteSpider, with_query
from crawlers.feeds import Paths, join_sections
from matching.types import RawPosting


class LeverSpider(CareerSiteSpider):
    name = platform = "lever"
    paging = "offset"
    offset_param = "skip"
    page_size = 100
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": "id", "url": "hostedUrl", "apply_url": "applyUrl", "title": "text",
        "location": ("categories.location", "categories.allLocations.0"), "contract": "categories.commitment",
        "remote": "workplaceType",
    }
    extra_fields: ClassVar[dict[str, Paths]] = {"team": "categories.team", "department": "categories.department",
                                                 "country": "country"}

    def listing_url(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.hostname in ("jobs.lever.co", "jobs.eu.lever.co"):
            api = "api.eu.lever.co" if parts.hostname == "jobs.eu.lever.co" else "api.lever.co"
            company = parts.path.strip("/").split("/")[0]
            return f"https://{api}/v0/postings/{company}?mode=json"
        return with_query(url, mode="json")

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting:
        created = item.get("createdAt")
        if isinstance(created, int | float):  # milliseconds since 1970: the only shape Lever writes
            posting.published_at = datetime.fromtimestamp(created / 1000, UTC).isoformat()
        lists = [(entry.get("text"), entry.get("content")) for entry in item.get("lists") or []
                 if isinstance(entry, dict)]
        posting.description = join_sections([(None, item.get("description")), *lists,
                                             (None, item.get("additional"))])
        return posting
