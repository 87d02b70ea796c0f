"""HelloWork partner feed: ``<root><job>…</job></root>`` (SOURCE-FORMATS.md §3).

One ``<job>`` per offer; text in CDATA. ``job_id`` is HelloWork's offer id (``guid`` is the advertiser's
own reference, kept in ``extra``). ``geoloc`` is ``"lat,lon"``; ``description``, ``profile`` and
``benefits`` are separate sections joined into one description. ``experience``, ``remote`` and
``qualification`` are HelloWork codes (``Sup_7``, ``Pas_teletravail``), passed on as written.

    scrapy crawl hellowork -a url=file:///path/hellowork.xml -O offers.jsonl
"""

from __future__ import annotations

from typing import Any, ClassVar

from crawlers.feeds import Paths, XmlFeedSpider, join_values, split_pair
from matching.types import RawPosting


class HelloWorkSpider(XmlFeedSpider):
    """HelloWork XML feed."""

    name = "hellowork"
    platform = "hellowork"
    item_tags = ("job",)
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": ("job_id", "guid"),
        "url": "url",
        "title": "title",
        "employer": "company_title",
        "employer_siret": "siret",
        "naf_code": "naf_code",
        "city": "city",
        "postal_code": "postal_code",
        "departement": "department",
        "contract": "contract",
        "working_time": "job_time",
        "salary": "salary",
        "experience": "experience",
        "published_at": "publication_date",
        "remote": "remote",
    }
    description_sections: ClassVar[tuple[tuple[str | None, Paths], ...]] = (
        (None, "description"),
        ("Profil recherché", "profile"),
        ("Avantages", "benefits"),
    )
    extra_fields: ClassVar[dict[str, Paths]] = {
        "guid": "guid",
        "address": "address",
        "region": "region",
        "country": "country",
        "updated_at": "updated_date",
        "qualification": "qualification",
        "education": "education",
        "function": "function",
        "sector": "sector",
        "company_sector": "company_sector",
        "company_description": "company_description",
        "company_logo": "company_logo",
        "language": "language",
        "csr_label": "csr_label",
    }

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting:
        posting.lat, posting.lon = split_pair(self.get(item, "geoloc"))
        posting.contract_duration = join_values(self.get(item, "contract_period_value"),
                                                self.get(item, "contract_period_unit"))
        return posting
