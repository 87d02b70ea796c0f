"""The demo sandbox: partner sources of the Lot served from one local handler.

Layout (``{base}`` is ``http://127.0.0.1:PORT``):
- ``/robots.txt``: allows everything and names the sitemaps.
- Career sites ``/sites/<slug>/offres?page=N`` (listing pages, 10 postings each, ``rel="next"``
  pagination), ``/sites/<slug>/sitemap.xml`` and posting pages ``/sites/<slug>/offres/<ref>.html`` with
  schema.org ``JobPosting`` JSON-LD. The four sites vary the way real ones do: one plain block; an
  ``@graph`` with the organisation (discovered from its sitemap only); ``jobLocation`` as a list with an
  HTML-escaped description; two blocks (breadcrumb + posting).
- ``/feeds/hellowork.xml``: a HelloWork partner feed (same shape as the real feed in
  ``shared/fixtures/feeds/hellowork.xml``).
- ``/francetravail/...``: the France Travail API imitation (token + search), see ``francetravail.py``.
"""

from __future__ import annotations

import html
import json
import random
import re
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from xml.sax.saxutils import escape

from crawlers.sandbox.francetravail import FranceTravailMock
from crawlers.sandbox.generator import (
    SITES,
    Vacancy,
    description_html,
    generate_vacancies,
    salary_label_ft,
)
from crawlers.sandbox.server import Request, Response

PAGE_SIZE = 10
FT_DETAIL_URL = "https://candidat.francetravail.fr/offres/recherche/detail"
#: how each career site publishes its JSON-LD
SITE_STYLES = {
    "sante-lot": "plain",
    "lot-territoires": "graph",
    "quercy-industrie": "location-list",
    "vallee-dordogne-tourisme": "two-blocks",
}
#: sites discovered from their sitemap only (no listing pages)
SITEMAP_ONLY = {"lot-territoires"}

FT_CONTRACT_LABEL = {
    "CDI": "Contrat à durée indéterminée",
    "CDD": "Contrat à durée déterminée - {d} Mois",
    "SAI": "Contrat travail saisonnier - {d} Mois",
    "MIS": "Mission intérimaire - {d} Mois",
    "LIB": "Profession libérale",
}
HW_CONTRACT = {"CDI": "CDI", "CDD": "CDD", "SAI": "Saisonnier", "MIS": "Intérim", "LIB": "Indépendant"}
JSONLD_EMPLOYMENT = {"CDI": "FULL_TIME", "CDD": "TEMPORARY", "SAI": "SEASONAL", "MIS": "TEMPORARY", "LIB": "CONTRACTOR"}


def _stable(key: str) -> int:
    return zlib.crc32(key.encode("utf-8"))


def _strip_tags(value: str) -> str:
    text = re.sub(r"</(p|li|ul)>", "\n", value)
    text = re.sub(r"<li>", "- ", text)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _json_for_script(value: object) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def _title_variant(title: str, rng: random.Random) -> str:
    """How another source rewrites the same title."""
    choice = rng.randrange(6)
    base = re.sub(r"\s*\(?H/F\)?\s*$", "", title).strip()
    if choice == 0:
        return base.upper() + " (H/F)"
    if choice == 1:
        return base + " H/F"
    if choice == 2:
        return base + " - F/H"
    if choice == 3:
        return base
    if choice == 4:
        return base.replace("Infirmier", "Infirmier(ère)").replace("Aide-soignant", "Aide-soignant(e)") + " H/F"
    return title


@dataclass
class Sandbox:
    """Everything the demo serves, generated once for a day and a seed."""

    today: date = field(default_factory=date.today)
    seed: int = 46
    count: int = 300
    base_url: str = ""
    vacancies: list[Vacancy] = field(init=False)
    ft: FranceTravailMock = field(init=False)

    def __post_init__(self) -> None:
        self.vacancies = generate_vacancies(self.today, self.seed, self.count)
        self.ft = FranceTravailMock([])

    # ------------------------------------------------------------------------------------------
    def set_base_url(self, base_url: str) -> None:
        """Called once the server has its port: URLs inside pages and feeds are absolute."""
        self.base_url = base_url
        self.ft.offers = [self.ft_offer(v) for v in self.vacancies if "francetravail" in v.sources]

    def site_postings(self, slug: str) -> list[Vacancy]:
        return [v for v in self.vacancies if "site" in v.sources and v.employer.site == slug]

    def site_ref(self, v: Vacancy) -> str:
        return f"{v.employer.site[:3].upper()}-{self.today.year}-{int(v.key[1:]):04d}"  # type: ignore[index]

    def site_url(self, v: Vacancy) -> str:
        return f"{self.base_url}/sites/{v.employer.site}/offres/{self.site_ref(v).lower()}.html"

    def counts(self) -> dict[str, int]:
        """Postings per sandbox source, and the number of distinct vacancies (the ground truth)."""
        result = {f"site:{slug}": len(self.site_postings(slug)) for slug in SITES}
        result["hellowork"] = sum("hellowork" in v.sources for v in self.vacancies)
        result["francetravail"] = sum("francetravail" in v.sources for v in self.vacancies)
        result["vacancies"] = len(self.vacancies)
        return result

    # ------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/robots.txt":
            lines = ["User-agent: *", "Allow: /", *[f"Sitemap: {self.base_url}/sites/{s}/sitemap.xml" for s in SITES]]
            return Response(200, "\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
        if path.startswith("/francetravail/"):
            return self.ft.handle(request, "/francetravail")
        if path == "/feeds/hellowork.xml":
            return Response(200, self.hellowork_feed(), content_type="application/xml; charset=utf-8")
        match = re.fullmatch(r"/sites/([a-z-]+)/(offres|sitemap\.xml|offres/([a-z0-9-]+)\.html)/?", path)
        if not match or match.group(1) not in SITES:
            return Response(404, "<h1>Page introuvable</h1>")
        slug = match.group(1)
        if match.group(2) == "sitemap.xml":
            return Response(200, self.sitemap(slug), content_type="application/xml; charset=utf-8")
        if match.group(3):
            for v in self.site_postings(slug):
                if self.site_ref(v).lower() == match.group(3):
                    return Response(200, self.posting_page(v))
            return Response(404, "<h1>Offre introuvable</h1>")
        if slug in SITEMAP_ONLY:
            return Response(200, f"<html><body><h1>{SITES[slug]}</h1><p>Voir le plan du site.</p></body></html>")
        try:
            page = max(1, int(request.arg("page", "1") or 1))
        except ValueError:
            page = 1
        return Response(200, self.listing_page(slug, page))

    # ------------------------------------------------------------------------------------------
    def listing_page(self, slug: str, page: int) -> str:
        postings = self.site_postings(slug)
        chunk = postings[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        items = "".join(
            f'<li class="offre"><a href="/sites/{slug}/offres/{self.site_ref(v).lower()}.html">{html.escape(v.title)}'
            f"</a> — {html.escape(v.commune.name)}</li>"
            for v in chunk
        )
        nav = ""
        if page * PAGE_SIZE < len(postings):
            nav = f'<a rel="next" class="next" href="/sites/{slug}/offres?page={page + 1}">Page suivante</a>'
        return (
            f"<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{html.escape(SITES[slug])}</title>"
            f"</head><body><h1>{html.escape(SITES[slug])}</h1><ul class=\"offres\">{items}</ul>"
            f"<nav>{nav}</nav></body></html>"
        )

    def sitemap(self, slug: str) -> str:
        urls = "".join(
            f"<url><loc>{escape(self.site_url(v))}</loc><lastmod>{v.published.isoformat()}</lastmod></url>"
            for v in self.site_postings(slug)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        )

    def job_posting(self, v: Vacancy) -> dict:
        c = v.commune
        address = {
            "@type": "PostalAddress",
            "addressLocality": c.name,
            "postalCode": c.postal_code,
            "addressRegion": "Occitanie",
            "addressCountry": "FR",
        }
        posting: dict = {
            "@context": "https://schema.org",
            "@type": "JobPosting",
            "title": v.title,
            "description": description_html(v),
            "identifier": {"@type": "PropertyValue", "name": v.employer.name, "value": self.site_ref(v)},
            "datePosted": v.published.isoformat(),
            "validThrough": datetime.combine(v.expires, time(23, 59)).isoformat(),
            "employmentType": JSONLD_EMPLOYMENT[v.contract] if v.full_time else "PART_TIME",
            "hiringOrganization": {"@type": "Organization", "name": v.employer.name,
                                   "sameAs": f"{self.base_url}/sites/{v.employer.site}/offres"},
            "jobLocation": {"@type": "Place", "address": address},
            "totalJobOpenings": v.positions,
            "directApply": True,
        }
        if v.salary:
            low, high, period = v.salary
            value = {"@type": "QuantitativeValue", "unitText": period.upper()}
            if high:
                value.update(minValue=low, maxValue=high)
            else:
                value["value"] = low
            posting["baseSalary"] = {"@type": "MonetaryAmount", "currency": "EUR", "value": value}
        return posting

    def posting_page(self, v: Vacancy) -> str:
        style = SITE_STYLES.get(v.employer.site or "", "plain")
        posting = self.job_posting(v)
        blocks: list[object]
        if style == "graph":
            organization = {"@type": "Organization", "@id": "#org", "name": v.employer.name}
            posting.pop("@context")
            blocks = [{"@context": "https://schema.org", "@graph": [organization, posting]}]
        elif style == "location-list":
            posting["jobLocation"] = [posting["jobLocation"]]
            posting["description"] = html.escape(posting["description"])
            blocks = [posting]
        elif style == "two-blocks":
            listing = f"{self.base_url}/sites/{v.employer.site}/offres"
            crumbs = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Offres", "item": listing}]}
            blocks = [crumbs, posting]
        else:
            blocks = [posting]
        scripts = "".join(f'<script type="application/ld+json">{_json_for_script(b)}</script>' for b in blocks)
        return (
            f"<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{html.escape(v.title)} — "
            f"{html.escape(v.employer.name)}</title><link rel=\"canonical\" href=\"{self.site_url(v)}\">{scripts}"
            f"</head><body><main><h1>{html.escape(v.title)}</h1><p>{html.escape(v.employer.name)} — "
            f"{html.escape(v.commune.name)}</p>{description_html(v)}</main></body></html>"
        )

    # ------------------------------------------------------------------------------------------
    def ft_offer(self, v: Vacancy) -> dict:
        """The vacancy as the France Travail API returns it (cross-posted ones vary)."""
        rng = random.Random(_stable("ft" + v.key))
        cross = len(v.sources) > 1 and v.sources[0] != "francetravail"
        title = _title_variant(v.title, rng) if cross else v.title
        text = _strip_tags(description_html(v))
        if cross and rng.random() < 0.5:
            text = text[:600].rsplit(" ", 1)[0] + "..."
        created = datetime.combine(v.published + timedelta(days=rng.randint(0, 2) if cross else 0), time(9, 30))
        c = v.commune
        place: dict = {"libelle": f"46 - {c.name.upper()}", "latitude": c.lat, "longitude": c.lon,
                       "codePostal": c.postal_code, "commune": c.insee}
        number = _stable(v.key) % 900000 + 100000
        offer_id = f"{number}{chr(65 + _stable(v.key + 'l') % 26)}"
        if not cross and _stable(v.key) % 97 == 0:
            place = {"libelle": "46 - Lot"}  # production pitfall: only the département
        d = v.duration_months
        offer: dict = {
            "id": offer_id,
            "intitule": title,
            "description": text,
            "dateCreation": created.isoformat() + ".000Z",
            "dateActualisation": created.isoformat() + ".000Z",
            "lieuTravail": place,
            "romeCode": v.rome_code,
            "entreprise": {"nom": v.employer.name, "siret": v.employer.siret} if rng.random() < 0.9 else {},
            "typeContrat": v.contract,
            "typeContratLibelle": FT_CONTRACT_LABEL[v.contract].format(d=d),
            "natureContrat": "Contrat travail",
            "experienceExige": rng.choice(["D", "E", "S"]),
            "dureeTravailLibelle": "35H Horaires normaux" if v.full_time else f"{v.hours:g}H Horaires normaux",
            "dureeTravailLibelleConverti": "Temps plein" if v.full_time else "Temps partiel",
            "nombrePostes": v.positions,
            "codeNAF": v.employer.naf,
            "qualificationCode": "6",
            "alternance": False,
            "accessibleTH": rng.random() < 0.3,
            "contact": {"urlPostulation": self.site_url(v) if "site" in v.sources else None},
            "origineOffre": {"origine": "1", "urlOrigine": f"{FT_DETAIL_URL}/{offer_id}"},
        }
        label = salary_label_ft(v)
        if label and not (cross and rng.random() < 0.3):
            offer["salaire"] = {"libelle": label}
        else:
            offer["salaire"] = {}
        if "site" in v.sources:
            offer["origineOffre"] = {"origine": "2", "urlOrigine": self.site_url(v),
                                     "partenaires": [{"nom": v.employer.name, "url": self.site_url(v), "logo": None}]}
        return offer

    def hellowork_feed(self) -> str:
        items = []
        for v in self.vacancies:
            if "hellowork" not in v.sources:
                continue
            rng = random.Random(_stable("hw" + v.key))
            cross = v.sources[0] != "hellowork"
            title = _title_variant(v.title, rng) if cross else v.title
            full = description_html(v)
            missions, _, profile = full.partition("<p>Profil recherché :</p>")
            shift = timedelta(days=rng.randint(0, 3) if cross else 0)
            published = datetime.combine(v.published + shift, time(6, 12, 40))
            c = v.commune
            job_id = str(_stable("hwid" + v.key) % 90000000 + 10000000)
            salary = salary_label_ft(v) if v.salary and not (cross and rng.random() < 0.3) else ""
            fields = {
                "job_id": job_id,
                "guid": job_id,
                "title": title,
                "url": f"{self.base_url}/hellowork/emplois/{job_id}.html",
                "description": missions,
                "profile": "<p>Profil recherché :</p>" + profile,
                "benefits": salary,
                "city": c.name.upper() if rng.random() < 0.7 else c.name,
                "geoloc": f"{c.lat},{c.lon}",
                "region": "OCCITANIE",
                "department": "LOT",
                "postal_code": c.postal_code,
                "country": "FR",
                "publication_date": published.strftime("%Y-%m-%d %H:%M:%S"),
                "updated_date": published.strftime("%Y-%m-%d %H:%M:%S"),
                "contract": HW_CONTRACT[v.contract],
                "contract_period_value": str(v.duration_months or ""),
                "contract_period_unit": "Mois" if v.duration_months else "",
                "job_time": "Full time" if v.full_time else "Part time",
                "company_title": v.employer.name,
                "siret": v.employer.siret,
                "naf_code": v.employer.naf.replace(".", ""),
            }
            body = "".join(
                f"  <{k}><![CDATA[{val}]]></{k}>\n" if val else f"  <{k} />\n" for k, val in fields.items()
            )
            items.append(f"<job>\n{body}</job>\n")
        return '<?xml version="1.0" encoding="utf-8"?>\n<root>\n' + "".join(items) + "</root>\n"
