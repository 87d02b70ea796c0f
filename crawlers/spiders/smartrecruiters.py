"""SmartRecruiters Posting API: ``https://api.smartrecruiters.com/v1/companies/<id>/postings``
(``offset``/``limit`` paging, total in ``totalFound``).

    scrapy crawl smartrecruiters -a url=https://careers.smartrecruiters.com/Ubisoft2 -O offers.jsonl
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

from crawlers.careers import CareerSiteSpider
from crawlers.feeds import Paths


class SmartRecruitersSpider(CareerSiteSpider):
    name = platform = "smartrecruiters"
    paging = "offset"
    total_path = "totalFound"
    items_path = "content"
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": ("id", "uuid"), "url": "ref", "title": "name", "employer": "company.name",
        "city": "location.city", "postal_code": "location.postalCode", "location": "location.fullLocation",
        "lat": "location.latitude", "lon": "location.longitude", "contract": "typeOfEmployment.label",
        "experience": "experienceLevel.label", "published_at": "releasedDate", "remote": "location.remote",
    }
    extra_fields: ClassVar[dict[str, Paths]] = {"reference": "refNumber", "region": "location.region",
                                                 "country": "location.country", "function": "function.label",
                                                 "department": "department.label"}

    def listing_url(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.hostname in ("careers.smartrecruiters.com", "jobs.smartrecruiters.com"):
            company = parts.path.strip("/").split("/")[0]
            return f"https://api.smartrecruiters.com/v1/companies/{company}/postings"
        return url
