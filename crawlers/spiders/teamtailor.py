"""Teamtailor: the public career-site feed ``https://<company>.teamtailor.com/jobs.json`` (JSON Feed with a
schema.org JobPosting per item), or the JSON:API ``https://api.teamtailor.com/v1/jobs`` (``-a api_key=``,
paging by ``links.next``; the place is asked with ``include=locations``).

    scrapy crawl teamtailor -a url=https://acme.teamtailor.com -O offers.jsonl
"""

from __future__ import annotations

import json
from typing import Any, ClassVar
from urllib.parse import urlsplit

from crawlers.careers import CareerSiteSpider, with_query
from crawlers.feeds import Paths, decode_feed, json_value
from matching.types import RawPosting


class TeamtailorSpider(CareerSiteSpider):
    name = platform = "teamtailor"
    paging = "next_link"
    next_path = "links.next"
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": "id", "url": ("links.careersite-job-url", "url"), "title": ("attributes.title", "title"),
        "apply_url": "links.careersite-job-apply-url",
        "city": "_jobposting.jobLocation.address.addressLocality",
        "postal_code": "_jobposting.jobLocation.address.postalCode",
        "published_at": ("attributes.created-at", "date_published"),
        "expires_at": "attributes.end-date", "employer": "_jobposting.hiringOrganization.name",
    }
    description_sections: ClassVar[tuple[tuple[str | None, Paths], ...]] = (
        (None, ("attributes.body", "content_html", "_jobposting.description")),)
    extra_fields: ClassVar[dict[str, Paths]] = {"status": "attributes.status", "pitch": "attributes.pitch"}

    def __init__(self, *args: Any, api_key: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_key = api_key

    def listing_url(self, url: str) -> str:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host.endswith(".teamtailor.com") and host != "api.teamtailor.com" and not parts.path.endswith(".json"):
            return f"https://{host}/jobs.json"
        if host == "api.teamtailor.com":
            return with_query(url, include="locations")
        return url

    def page_request(self, url: str, page: int, offset: int) -> Any:
        request = super().page_request(url, page, offset)
        if self.api_key:
            request.headers["Authorization"] = f"Token token={self.api_key}"
            request.headers["X-Api-Version"] = "20240404"
        return request

    def items_from_body(self, body: bytes, *, http_charset: str | None = None) -> Any:
        try:
            document = json.loads(decode_feed(body, http_charset).text, strict=False)
        except (json.JSONDecodeError, RecursionError):
            document = None  # the base reports it
        included = document.get("included") if isinstance(document, dict) else None
        #: JSON:API resources included with the page (``include=locations``), by id
        self.included = {str(e.get("id")): e for e in included or [] if isinstance(e, dict)}
        yield from super().items_from_body(body, http_charset=http_charset)

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting:
        related = json_value(item, "relationships.location.data.id") or json_value(
            item, "relationships.locations.data.0.id")
        place = self.included.get(str(related)) if related is not None else None
        if isinstance(place, dict):
            posting.city = posting.city or json_value(place, "attributes.city")
            posting.postal_code = posting.postal_code or json_value(place, "attributes.zip")
        return posting
