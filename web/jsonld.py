"""schema.org ``JobPosting`` for the public offer pages and the RSS feed of the board.

Google's required properties are title, description, datePosted, hiringOrganization and jobLocation
(with an address); validThrough, employmentType, baseSalary, identifier are added when known. An offer
that lacks a required property gets no JSON-LD at all (a partial block is rejected by search engines).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree as ET

from store.models import Offer
from web.templating import render_description

EMPLOYMENT_TYPES = {
    "CDI": [],
    "CDD": ["TEMPORARY"],
    "interim": ["TEMPORARY"],
    "saisonnier": ["TEMPORARY"],
    "contractuel": ["TEMPORARY"],
    "titulaire": [],
    "apprentissage": ["INTERN"],
    "professionnalisation": ["INTERN"],
    "stage": ["INTERN"],
    "liberal": ["CONTRACTOR"],
    "independant": ["CONTRACTOR"],
    "autre": ["OTHER"],
}
SALARY_UNITS = {"hour": "HOUR", "month": "MONTH", "year": "YEAR"}
DEPARTEMENT_REGIONS = {"46": "Occitanie", "12": "Occitanie", "82": "Occitanie", "15": "Auvergne-Rhône-Alpes",
                       "19": "Nouvelle-Aquitaine", "24": "Nouvelle-Aquitaine", "47": "Nouvelle-Aquitaine"}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def employment_types(offer: Offer) -> list[str]:
    types = list(EMPLOYMENT_TYPES.get(offer.contract_type or "", []))
    if offer.working_time == "full_time":
        types.insert(0, "FULL_TIME")
    elif offer.working_time == "part_time":
        types.insert(0, "PART_TIME")
    elif offer.contract_type in {"CDI", "titulaire"}:
        types.insert(0, "FULL_TIME")
    return types


def job_posting(offer: Offer, url: str) -> dict[str, Any] | None:
    """The JobPosting object of an offer, or None when a required property is missing."""
    description = str(render_description(offer.description_html, offer.description_text))
    posted = offer.published_at or offer.created_at
    if not offer.title or not description or not posted or not offer.employer_name:
        return None
    address: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": "FR"}
    if offer.commune_name:
        address["addressLocality"] = offer.commune_name
    if offer.postal_code:
        address["postalCode"] = offer.postal_code
    if offer.departement and offer.departement in DEPARTEMENT_REGIONS:
        address["addressRegion"] = DEPARTEMENT_REGIONS[offer.departement]
    if "addressLocality" not in address and "postalCode" not in address:
        return None
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": offer.title_clean or offer.title,
        "description": description,
        "datePosted": _iso(posted),
        "hiringOrganization": {"@type": "Organization", "name": offer.employer_name},
        "jobLocation": {"@type": "Place", "address": address},
        "identifier": {"@type": "PropertyValue", "name": "Oh my Lot !", "value": str(offer.id)},
        "url": url,
        "directApply": False,
    }
    if offer.lat is not None and offer.lon is not None:
        data["jobLocation"]["geo"] = {"@type": "GeoCoordinates", "latitude": offer.lat, "longitude": offer.lon}
    if offer.expires_at:
        data["validThrough"] = _iso(offer.expires_at)
    types = employment_types(offer)
    if types:
        data["employmentType"] = types if len(types) > 1 else types[0]
    unit = SALARY_UNITS.get(offer.salary_period or "")
    if unit and (offer.salary_min or offer.salary_max):
        value: dict[str, Any] = {"@type": "QuantitativeValue", "unitText": unit}
        if offer.salary_min and offer.salary_max and offer.salary_min != offer.salary_max:
            value["minValue"], value["maxValue"] = offer.salary_min, offer.salary_max
        else:
            value["value"] = offer.salary_min or offer.salary_max
        data["baseSalary"] = {"@type": "MonetaryAmount", "currency": "EUR", "value": value}
    if offer.employer_siret:
        data["hiringOrganization"]["identifier"] = offer.employer_siret
    return data


def rss_feed(offers: list[Offer], *, base_url: str, title: str, description: str) -> bytes:
    """An RSS 2.0 document of the given offers (ElementTree escapes every text)."""
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = title
    ET.SubElement(channel, "link").text = f"{base_url}/offres"
    ET.SubElement(channel, "description").text = description
    ET.SubElement(channel, "language").text = "fr-FR"
    for offer in offers:
        item = ET.SubElement(channel, "item")
        link = f"{base_url}/offres/{offer.id}"
        where = f" — {offer.commune_name}" if offer.commune_name else ""
        ET.SubElement(item, "title").text = f"{offer.title_clean or offer.title}{where}"
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", {"isPermaLink": "true"}).text = link
        posted = offer.published_at or offer.created_at
        if posted is not None:
            posted = posted if posted.tzinfo else posted.replace(tzinfo=UTC)
            ET.SubElement(item, "pubDate").text = format_datetime(posted.astimezone(UTC), usegmt=True)
        summary = (offer.description_text or "").strip()
        if len(summary) > 500:
            summary = summary[:497].rsplit(" ", 1)[0] + "…"
        parts = [offer.employer_name or "", summary]
        # Readers render <description> as HTML: the text is HTML-escaped so it can only ever be text.
        ET.SubElement(item, "description").text = html.escape("\n".join(p for p in parts if p))
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(rss, encoding="utf-8", xml_declaration=False)
