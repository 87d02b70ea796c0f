"""Talentsoft / Cegid career sites, XML export: ``<offers><offer>`` (SOURCE-FORMATS.md §3).

``reference`` is the offer's public reference; ``jobDescription`` holds the title, contract and text sections
(plain and ``…Formatted`` HTML: the HTML one is preferred); dates are ``YYYYMMDD``. Talentsoft clients
configure some lists themselves: a ``salaryRange`` whose code starts with ``_TS_SOCIETE`` names the
employing company (EDF group: "Enedis", "EDF"), otherwise the ``entity`` label is the employer; the salary is
the custom field labelled "Rémunération". ``mainSupervisor`` (a named person) is not copied.

    scrapy crawl talentsoft -a url=file:///path/offers.xml -O offers.jsonl
"""

from __future__ import annotations

from typing import Any, ClassVar

from crawlers.feeds import Paths, XmlFeedSpider
from matching.types import RawPosting

_JD = "jobDescription"


class TalentsoftSpider(XmlFeedSpider):
    """Talentsoft XML offers export."""

    name = "talentsoft"
    platform = "talentsoft"
    item_tags = ("offer",)
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": ("reference", "id"),
        "url": ("directUrl", "offerUrl"),
        "apply_url": "UrlRedirectionApplicant",
        "title": (f"{_JD}/title", "title"),
        "employer": "entity",
        "location": f"{_JD}/location/jobLocation",
        "city": "entityAdress/city",
        "postal_code": "entityAdress/postalcode",
        "departement": f"{_JD}/location/departements/departement",
        "contract": f"{_JD}/contract",
        "contract_duration": f"{_JD}/contractLength",
        "working_time": f"{_JD}/workingTime",
        "salary": ("applicantCriteria/customFields/*[@label='Rémunération']",
                   f"{_JD}/customFields/*[@label='Rémunération']"),
        "experience": "applicantCriteria/experienceLevel",
        "published_at": ("startPublicationDate", "creationDate"),
        "expires_at": "endPublicationDate",
    }
    description_sections: ClassVar[tuple[tuple[str | None, Paths], ...]] = (
        (None, f"{_JD}/description"),
        ("Missions", (f"{_JD}/missionDescriptionFormatted", f"{_JD}/missionDescription")),
        ("Profil recherché", (f"{_JD}/applicantProfileFormatted", f"{_JD}/applicantProfile")),
        ("Rémunération et avantages", (f"{_JD}/customFields/LongText1Formatted", f"{_JD}/customFields/LongText1")),
    )
    extra_fields: ClassVar[dict[str, Paths]] = {
        "id": "id",
        "entity_code": "entity/@clientcode",
        "entity_description": "entityDescription",
        "created_at": "creationDate",
        "updated_at": "modificationDate",
        "start_date": ("beginningDate", f"{_JD}/customFields/datetime1"),
        "country": (f"{_JD}/country", "entityAdress/country"),
        "region": f"{_JD}/location/regions/region",
        "job_family": f"{_JD}/jobfamily",
        "job_profile": f"{_JD}/profile",
        "diploma": ("applicantCriteria/diploma", "applicantCriteria/diploma/@clientcode"),
        "specialisation": "applicantCriteria/specialisations/specialisation/specialisation",
        "address": "entityAdress/adress",
    }

    def post_process(self, posting: RawPosting, item: Any) -> RawPosting:
        company_code = self.get(item, f"{_JD}/salaryRange/@clientcode") or ""
        if company_code.startswith("_TS_SOCIETE"):
            posting.extra["entity"] = posting.employer
            posting.employer = self.get(item, f"{_JD}/salaryRange") or posting.employer
        return posting
