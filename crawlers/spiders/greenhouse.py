"""Greenhouse job boards: ``https://boards-api.greenhouse.io/v1/boards/<token>/jobs?content=true`` (one
response, every job; ``content`` is HTML escaped once more).

    scrapy crawl greenhouse -a url=https://boards.greenhouse.io/acme -O offers.jsonl
"""

from __future__ import annotations

import html
from typing import Any, ClassVar
from urllib.parse import urlsplit

from crawlers.careers import CareerSiteSpider
from crawlers.feeds import Paths
from matching.types import RawPosting


class GreenhouseSpider(CareerSiteSpider):
    name = platform = "greenhouse"
    items_path = "jobs"
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": "id", "url": "absolute_url", "title": "title", "employer": "company_name",
        "location": ("location.name", "offices.0.location"), "published_at": ("first_published", "updated_at"),
        "expires_at": "application_deadline",
    }
    extra_fields: ClassVar[dict[str, Paths]] = {"requisition_id": "requisition_id", "department": "departments.name",
                                                 "updated_at": "updated_at"}

    def listing_url(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.hostname in ("boards.greenhouse.io", "job-boards.greenhouse.io"):
            token = parts.path.strip("/").split("/")[0]
            return f"https://boards-api.greenhouse.io/v1/boards/{token}/jobs?content=true"
        return url

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting:
        content = item.get("content")
        posting.description = html.unescape(content).strip() or None if isinstance(content, str) else None
        return posting
