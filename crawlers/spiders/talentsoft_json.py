"""Talentsoft / Cegid career sites, JSON API (``/api/V2/offers``): a list of offer objects.

Lists of codes (``contractType``, ``salaryRange``, ``region``…) carry a ``label``: the label is what the
source wrote. Places come as lists of labels (``geographicalLocation``, ``department``, ``region`` — France
Travail's site files départements under ``region``, e.g. "Yvelines (78)").

    scrapy crawl talentsoft_json -a url=file:///path/offers.json -O offers.jsonl
"""

from __future__ import annotations

from typing import Any, ClassVar

from crawlers.feeds import JsonFeedSpider, Paths, clean_value
from matching.types import RawPosting


def _labels(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    labels = (clean_value(v.get("label")) for v in items if isinstance(v, dict))
    return [label for label in labels if label]


class TalentsoftJsonSpider(JsonFeedSpider):
    """Talentsoft JSON offers (a list, or an object holding the list under ``data``/``offers``)."""

    name = "talentsoft_json"
    platform = "talentsoft_json"
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": ("reference", "id"),
        "url": ("offerUrl", "_links.0.href"),
        "apply_url": "urlRedirectionApplicant",
        "title": "title",
        "employer": "organisationName",
        "departement": "department.0.label",
        "lat": "latitude",
        "lon": "longitude",
        "contract": "contractType.label",
        "contract_duration": "contractDuration.label",
        "salary": "salaryRange.label",
        "published_at": "startPublicationDate",
        "expires_at": "endPublicationDate",
    }
    description_sections: ClassVar[tuple[tuple[str | None, Paths], ...]] = (
        (None, ("description1Formatted", "description1")),
        ("Profil recherché", ("description2Formatted", "description2")),
    )
    extra_fields: ClassVar[dict[str, Paths]] = {
        "updated_at": "modificationDate",
        "start_date": "beginningDate",
        "organisation_description": "organisationDescription",
        "organisation_logo": "organisationLogoUrl",
        "detail_api": "_links.0.href",
        "contract_code": "contractType.clientCode",
    }

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting:
        places = _labels(item.get("geographicalLocation")) + _labels(item.get("department")) \
            + _labels(item.get("region"))
        posting.location = places[0] if places else None
        if len(places) > 1:
            posting.extra["places"] = places
        countries = _labels(item.get("country"))
        if countries:
            posting.extra["country"] = countries[0]
        return posting
