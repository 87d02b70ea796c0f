"""Place de l'emploi public (the French civil service's job site): its export, a JSON list of offers with
Talentsoft-style field names (``JobDescriptionTranslation_JobTitle_``, ``Location_JobLocation_``…).

    scrapy crawl place_emploi_public -a url=file:///path/pep.json -O offers.jsonl
"""

from __future__ import annotations

from typing import ClassVar

from crawlers.careers import CareerSiteSpider
from crawlers.feeds import Paths


class PlaceEmploiPublicSpider(CareerSiteSpider):
    name = platform = "place_emploi_public"
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": ("Offer_Reference_", "OfferID"), "title": "JobDescriptionTranslation_JobTitle_",
        "employer": ("Origin_Entity_", "Offer_Entity_", "Organisation_"),
        "departement": "Location_Department_Department_", "location": "Location_JobLocation_",
        "lat": "Offer_CoordLat_", "lon": "Offer_CoordLong_", "contract": "JobDescription_Contract_",
        "contract_duration": "JobDescriptionTranslation_ContractLength_",
        "salary": "JobDescription_SalaryRange_", "published_at": "FirstPublicationDate",
    }
    description_sections: ClassVar[tuple[tuple[str | None, Paths], ...]] = (
        (None, "JobDescriptionTranslation_Description1_"),
        ("Profil recherché", "JobDescriptionTranslation_Description2_"),
    )
    extra_fields: ClassVar[dict[str, Paths]] = {
        "offer_id": "OfferID", "category": "JobDescription_CustomFields_CustomCodeTableValue1_",
        "occupation": "JobDescription_PrimaryProfile_", "updated_at": "Offer_ModificationDate_",
        "country": "JobDescription_Country_",
        "custom_date": "OF_CustomFields_Date1_",  # a date whose meaning the export does not say
    }
