"""Recruitee career sites: ``https://<company>.recruitee.com/api/offers/`` (one response, every offer).

    scrapy crawl recruitee -a url=https://acme.recruitee.com -O offers.jsonl
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

from crawlers.careers import CareerSiteSpider
from crawlers.feeds import Paths
from matching.types import RawPosting


class RecruiteeSpider(CareerSiteSpider):
    name = platform = "recruitee"
    items_path = "offers"
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": ("id", "guid"), "url": "careers_url", "apply_url": "careers_apply_url", "title": "title",
        "employer": "company_name", "city": ("city", "locations.city"),
        "postal_code": ("postal_code", "locations.translations.en.postal_code"), "location": "location",
        "contract": "employment_type_code", "published_at": ("published_at", "created_at"),
        "salary_min": "salary.min", "salary_max": "salary.max", "salary_unit": "salary.period",
        "remote": "remote", "experience": "experience_code",
    }
    description_sections: ClassVar[tuple[tuple[str | None, Paths], ...]] = (
        (None, "description"), ("Profil recherché", "requirements"))
    extra_fields: ClassVar[dict[str, Paths]] = {"department": "department", "country": "country_code",
                                                 "education": "education_code", "slug": "slug"}

    def listing_url(self, url: str) -> str:
        parts = urlsplit(url)
        if (parts.hostname or "").endswith(".recruitee.com") and "/api/" not in parts.path:
            return f"https://{parts.hostname}/api/offers/"
        return url

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting:
        self.place(posting, item.get("state_name"), item.get("country"))
        return posting
