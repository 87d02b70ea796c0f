"""Welcome to the Jungle: its job search is an Algolia index (``wk_cms_jobs_production``), queried with
``POST https://<app>-dsn.algolia.net/1/indexes/*/queries`` and the public search key of its website (given
with ``-a algolia_app=`` / ``-a algolia_key=``: not shipped here). A company's page
``https://www.welcometothejungle.com/fr/companies/<slug>/jobs`` becomes the filter
``organization.slug:<slug>``; paging by ``page`` up to ``nbPages``.

    scrapy crawl welcometothejungle -a url=https://www.welcometothejungle.com/fr/companies/thiga/jobs \\
        -a algolia_app=… -a algolia_key=… -O offers.jsonl
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from crawlers.careers import CareerSiteSpider
from crawlers.feeds import Paths, json_value
from matching.types import RawPosting

INDEX = "wk_cms_jobs_production"
SITE = "https://www.welcometothejungle.com"


class WelcomeToTheJungleSpider(CareerSiteSpider):
    name = platform = "welcometothejungle"
    paging = "body"
    page_size = 100
    items_path = "results.0.hits"
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": ("reference", "objectID"), "title": "name", "employer": "organization.name",
        "city": ("office.city", "offices.city"), "postal_code": ("office.zip_code", "offices.zip_code"),
        "departement": "office.district", "lat": "_geoloc.lat", "lon": "_geoloc.lng",
        "contract": ("contract_type_names.fr", "contract_type"), "published_at": "published_at",
        "remote": "remote", "salary_min": "salary_minimum", "salary_max": "salary_maximum",
        "salary_unit": "salary_period",
    }
    extra_fields: ClassVar[dict[str, Paths]] = {"profession": "profession_name.fr", "education": "education_level",
                                                 "region": "office.state"}

    def __init__(self, *args: Any, algolia_app: str | None = None, algolia_key: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.algolia_app, self.algolia_key = algolia_app, algolia_key
        self.company: str | None = None

    def listing_url(self, url: str) -> str:
        parts = urlsplit(url)
        steps = parts.path.strip("/").split("/")
        if "companies" in steps and steps.index("companies") + 1 < len(steps):
            self.company = steps[steps.index("companies") + 1]
        if parts.hostname and parts.hostname.endswith("welcometothejungle.com"):
            return f"https://{(self.algolia_app or 'CSEKHVMS53').lower()}-dsn.algolia.net/1/indexes/*/queries"
        return url

    def page_body(self, page: int, offset: int) -> dict[str, Any]:
        params = {"hitsPerPage": self.page_size, "page": page, "query": ""}
        if self.company:
            params["filters"] = f"organization.slug:{self.company}"
        return {"requests": [{"indexName": INDEX, "params": urlencode(params)}]}

    def page_request(self, url: str, page: int, offset: int) -> Any:
        request = super().page_request(url, page, offset)
        if self.algolia_app and self.algolia_key:
            request.headers["X-Algolia-Application-Id"] = self.algolia_app
            request.headers["X-Algolia-API-Key"] = self.algolia_key
        return request

    def has_next_page(self, document: Any, page: int, offset: int, count: int) -> bool:
        pages = json_value(document, "results.0.nbPages")
        return isinstance(pages, int) and page + 1 < pages

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting:
        organization = json_value(item, "organization.slug")
        if organization and item.get("slug"):
            posting.url = f"{SITE}/fr/companies/{organization}/jobs/{item['slug']}"
        return posting
