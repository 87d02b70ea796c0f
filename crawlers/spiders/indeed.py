"""Indeed-style XML feeds, published by many ATS (TalentView/Kelio, Jobaffinity, Flatchr exports…).

Two shapes are read by the same spider: ``<source><jobs><job>`` (TalentView: ``name``, nested ``address`` and
``company``, ``salary{min,max,currency}``, ``html_description``) and the classic Indeed
``<source><job>`` (``title``, ``city``, ``postalcode``, ``jobtype``, ``referencenumber``, ``salary`` as
text). The first non-empty alternative wins for each field.

    scrapy crawl indeed -a url=file:///path/feed.xml -O offers.jsonl
"""

from __future__ import annotations

from typing import Any, ClassVar

from crawlers.feeds import Paths, XmlFeedSpider
from matching.types import RawPosting


class IndeedSpider(XmlFeedSpider):
    """Indeed-style XML feed (both shapes)."""

    name = "indeed"
    platform = "indeed"
    item_tags = ("job",)
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": ("id", "referencenumber", "reference", "slug", "url"),
        "url": "url",
        "title": ("name", "title"),
        "employer": ("company/name", "company/text()", "companyname"),
        "city": ("address/city", "city"),
        "postal_code": ("address/postal_code", "address/postalcode", "postal_code", "postalcode"),
        "lat": ("address/latitude", "latitude"),
        "lon": ("address/longitude", "longitude"),
        "contract": ("job_type", "jobtype"),
        "contract_duration": "contract_duration",
        "working_time": "working_time",
        "salary": ("salary/text()", "salary_text"),
        "salary_min": "salary/min",
        "salary_max": "salary/max",
        "experience": "experience",
        "published_at": ("created_at", "date", "publication_date"),
        "expires_at": ("expirationdate", "expiration_date", "expires_at"),
        "remote": ("remote_level", "remote"),
        "apply_url": ("apply_url", "applyurl"),
    }
    description_sections: ClassVar[tuple[tuple[str | None, Paths], ...]] = (
        (None, ("html_description", "description")),
        # TalentView's profile starts with its own "Profil recherché" heading: no heading added.
        (None, ("html_profile", "profile")),
    )
    extra_fields: ClassVar[dict[str, Paths]] = {
        "slug": "slug",
        "tags": ("tags", "category"),
        "street": ("address/street", "streetaddress"),
        "street_number": "address/street_number",
        "country": ("address/country", "country"),
        "state": ("address/state", "state"),  # a region or a département, depending on the ATS
        "salary_currency": "salary/currency",
        "company_description": "company/company_description",
        "start_date": "job_start_date",
        "education": ("education_level", "education"),
        "updated_at": "last_activation_at",
        "cover_url": "cover_url",
    }

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting:
        # A location given as one text (classic feeds without city/postal code): keep it as free text.
        if posting.city is None and posting.postal_code is None:
            posting.location = self.get(item, ("location", "address/text()"))
        return posting
