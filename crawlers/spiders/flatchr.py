"""Flatchr career sites: ``https://<slug>.flatchr.io`` → ``https://careers.flatchr.io/company/<slug>.json``.

Built strictly from Flatchr's published API documentation, with no real sample to check it against:
"Récupérer les annonces" (https://developers.flatchr.io), page source
https://github.com/flatchr/FlatchrDocs/blob/04d8c3d4ab439f95de4a34618c11b85f37f25b46/docs/QuickStart/
Recuperer_les_annonces.md (one address, cut here). One response holds every announcement:
``{"items": [{"id", "published", "created_at", "vacancy": {…}}]}``; the documentation's example response,
reduced, is the replay test's fixture (``tests/data/career-sites/flatchr.json``).

What the documentation does not say is left out rather than guessed: the address of an offer's page is not
given (only ``apply_url``, null in the example); ``salary`` "0" in the example reads as "not given"; the
example request carries ``Authorization: Bearer {token}`` (an earlier version of the page did not): give
``-a api_key=`` when the company's feed asks for it.

    scrapy crawl flatchr -a url=https://acme.flatchr.io -O offers.jsonl
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

from crawlers.careers import CareerSiteSpider
from crawlers.feeds import Paths
from matching.types import RawPosting

#: the documented ``mensuality`` codes (y: annuel, m: mensuel, h: horaire)
SALARY_UNITS = {"y": "YEAR", "m": "MONTH", "h": "HOUR"}


class FlatchrSpider(CareerSiteSpider):
    name = platform = "flatchr"
    items_path = "items"
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": "vacancy.id", "title": "vacancy.title", "employer": "vacancy.company.name",
        "apply_url": "vacancy.apply_url", "city": "vacancy.address.locality",
        "postal_code": "vacancy.address.postal_code", "location": "vacancy.addressFormatted",
        "lat": "vacancy.address.location_lat", "lon": "vacancy.address.location_lng",
        "contract": "vacancy.contract_type", "published_at": "created_at", "remote": "vacancy.remote",
        "experience": "vacancy.experience",
    }
    # "description" is the company's, "mission" the job's (the documentation's descriptions)
    description_sections: ClassVar[tuple[tuple[str | None, Paths], ...]] = (
        (None, "vacancy.mission"), ("Profil recherché", "vacancy.profile"), ("L'entreprise", "vacancy.description"))
    extra_fields: ClassVar[dict[str, Paths]] = {
        "reference": "vacancy.reference", "education": "vacancy.education_level", "occupation": "vacancy.metier",
        "channel": "vacancy.channel", "start_date": "vacancy.start_date", "end_date": "vacancy.end_date",
        "part_time": "vacancy.partial", "region": "vacancy.address.administrative_area_level_1",
    }

    def __init__(self, *args: Any, api_key: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_key = api_key

    def listing_url(self, url: str) -> str:
        host = urlsplit(url).hostname or ""
        if host.endswith(".flatchr.io") and host.split(".")[0] not in ("careers", "carrers", "api", "www"):
            return f"https://careers.flatchr.io/company/{host.split('.')[0]}.json"
        return url

    def page_request(self, url: str, page: int, offset: int) -> Any:
        request = super().page_request(url, page, offset)
        if self.api_key:
            request.headers["Authorization"] = f"Bearer {self.api_key}"
        return request

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting | None:
        if item.get("published") is False:  # documented: "L'annonce est elle publiée ou non"
            return None
        vacancy = item.get("vacancy") or {}
        salary = vacancy.get("salary")
        if salary not in (None, "", "0", 0):
            posting.salary_min = salary
            posting.salary_unit = SALARY_UNITS.get(str(vacancy.get("mensuality")))
        return posting
