"""What is in a feed file: its format family, the known platform that reads it best, and a declaration.

:func:`probe` is what ``ohmylot sources probe FILE_OR_URL`` shows: every known platform's spider reads the
document (without Scrapy's engine), and so does a format *guessed* from the document itself
(:func:`guess_format`: the repeated record element or the JSON list of objects, and for each field the
element, key or column whose name is a usual one — ``titre``, ``intitule-du-poste``, ``company_name``,
``code postal``…). The reader that gives the most offers with a title, an id and a place wins (a known
platform on a tie). The report counts, per field, how many offers carry it, with three examples, and
proposes a registry entry (with its ``[source.format]`` when no platform fits).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from crawlers.declared import FORMAT_FIELDS, FeedFormat
from crawlers.feeds import (
    FeedSpider,
    decode_feed,
    json_records,
    localname,
    looks_like_html,
    parse_xml_items,
    remove_control_characters,
)
from crawlers.sheets import header_key, read_spreadsheet
from matching.types import RawPosting

#: usual names of each field (folded: lower case, letters and digits only), best first
SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("title", "titre", "intitule", "intituleduposte", "intituleoffre", "jobtitle", "postingtitle",
              "offertitle", "name", "poste", "libelle", "text"),
    "source_id": ("id", "reference", "ref", "jobid", "identifiant", "offerid", "referencenumber", "guid",
                  "shortcode", "uuid", "reqid", "numero", "jobreqid", "referenceapec"),
    "url": ("url", "urldeloffre", "link", "lien", "absoluteurl", "hostedurl", "joburl", "offerurl",
            "redirection", "careersurl", "permalink", "applyurl", "applicationurl", "externalpath"),
    "apply_url": ("applyurl", "applicationurl", "urlcandidature"),
    "employer": ("companyname", "company", "societe", "entreprise", "employer", "employeur", "organisationname",
                 "organisation", "organizationname", "organization", "brandname", "hiringorganization",
                 "companytitle", "nomentreprise"),
    "city": ("city", "ville", "locationcity", "localisationduposte", "commune", "locality", "addresslocality",
             "locationville", "town", "libellelieu"),
    "postal_code": ("postalcode", "zipcode", "zip", "codepostal", "cp", "locationcp", "postcode"),
    "departement": ("departement", "department", "locationdepartement", "departementduposte", "county",
                    "locationsubstate"),
    "location": ("location", "lieu", "localite", "locationstext", "locationname", "place", "formatted"),
    "lat": ("latitude", "lat"),
    "lon": ("longitude", "lon", "lng"),
    "contract": ("contracttype", "contrat", "contract", "typedecontrat", "typecontrat", "jobtype",
                 "employmenttype", "commitment", "typeofemployment"),
    "contract_duration": ("contractduration", "dureecontrat", "dureeducontrat", "dureecontratmois"),
    "working_time": ("workingtime", "jobtime", "tempsdetravail", "contractworkperiod", "worktime",
                     "tempsdetravailhebdomadaire"),
    "salary": ("salary", "salaire", "remuneration", "salaryrange", "compensation", "salaireaffiche"),
    "published_at": ("publishedat", "publicationdate", "datepublication", "datedepublication", "creationdate",
                     "createdat", "pubdate", "postedon", "firstactivatedat", "releaseddate", "date",
                     "startpublicationdate", "datedemiseajour", "dateparution", "updatedat"),
    "expires_at": ("expiresat", "expirationdate", "enddate", "datelimite", "validthrough", "endpublicationdate"),
    "description": ("description", "descriptiondelamission", "mission", "missions", "jobdescription",
                    "descriptionhtml", "content", "texteoffre", "descriptionplain", "jobad"),
    "experience": ("experience", "experiencelevel", "niveauexperience", "nombredanneesdexperiencetotal"),
    "remote": ("remote", "teletravail", "remotetype", "remotelevel"),
}
#: fields that make an offer "placed"
PLACE_FIELDS = ("city", "postal_code", "location", "departement", "insee", "lat")


def _fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header_key(name).replace(" ", ""))


# --------------------------------------------------------------------------------------------------------
# Family and items
# --------------------------------------------------------------------------------------------------------


def detect_family(body: bytes, *, http_charset: str | None = None) -> str | None:
    """``xml``, ``rss`` (RSS or Atom), ``json``, ``csv`` (CSV or XLSX) or ``None`` (not a feed)."""
    if body.startswith(b"PK\x03\x04"):
        return "csv"
    if not body.strip() or looks_like_html(body):
        return None
    text = decode_feed(body[:65536], http_charset).text.lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")):
        return "json"
    if text.startswith("<"):
        head = text[:4096]
        return "rss" if re.search(r"<(?:rss|feed|rdf:RDF)[\s>]", head) else "xml"
    sheet = read_spreadsheet(body, http_charset=http_charset)
    return "csv" if sheet.rows else None


def guess_xml_items(body: bytes) -> str | None:
    """The record element of an XML document: the tag repeated most often under one parent among elements
    that have children (``job``, ``offre``, ``item``); ``None`` when nothing repeats."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    text = remove_control_characters(decode_feed(body).text)
    try:
        root = etree.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", text).encode("utf-8"), parser)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        return None
    counts: Counter[tuple[int, str]] = Counter()
    for element in root.iter():
        parent = element.getparent()
        if parent is not None and len(element) and isinstance(element.tag, str):
            counts[(id(parent), localname(element.tag))] += 1
    if not counts:
        return None
    (_, tag), _ = max(counts.items(), key=lambda kv: kv[1])
    return tag


# --------------------------------------------------------------------------------------------------------
# Leaf paths and field guessing
# --------------------------------------------------------------------------------------------------------


def _xml_leaves(element: etree._Element, prefix: str = "") -> Iterator[tuple[str, str]]:
    for name, value in element.attrib.items():
        if value.strip():
            yield f"{prefix}@{localname(name)}" if not prefix else f"{prefix}/@{localname(name)}", value
    for child in element:
        if not isinstance(child.tag, str):
            continue
        path = f"{prefix}/{localname(child.tag)}" if prefix else localname(child.tag)
        if len(child):
            yield from _xml_leaves(child, path)
        elif (child.text or "").strip():
            yield path, child.text.strip()
        else:
            yield from ((f"{path}/@{localname(n)}", v) for n, v in child.attrib.items() if v.strip())


def _json_leaves(obj: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, str]]:
    if depth > 5:
        return
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, Mapping | list):
                yield from _json_leaves(value, path, depth + 1)
            elif value is not None and not isinstance(value, bool) and str(value).strip():
                yield path, str(value)
    elif isinstance(obj, list) and obj:
        # the first element stands for the list (tolerant paths read "locations.city" in the first one)
        yield from _json_leaves(obj[0], prefix, depth + 1)


def _candidates(leaves: Iterable[Iterable[tuple[str, str]]]) -> dict[str, list[str]]:
    """Path → values, over all items (order of first appearance)."""
    found: dict[str, list[str]] = {}
    for item in leaves:
        for path, value in item:
            found.setdefault(path, []).append(value)
    return found


_GENERIC = frozenset({"href", "value", "label", "name", "text", "libelle", "code"})


def _names(path: str) -> list[str]:
    """The folded names a path may stand for: its last step, or for a generic last step (``company.name``,
    ``link/@href``, ``contractType.label``) its parent with and without it."""
    steps = [s for s in re.split(r"[./@]+", path) if s and not s.isdigit()]
    if not steps:
        return []
    last = _fold(steps[-1])
    if last in _GENERIC and len(steps) > 1:
        parent = _fold(steps[-2])
        return [parent + last, parent]
    return [last]


#: parts of a record that describe something else than the offer (an image's URL is not the offer's)
_NOT_OFFER = frozenset({"logo", "image", "images", "picture", "pictures", "cover", "coverimage", "thumb",
                        "avatar", "video", "videos", "media", "icon", "highlightresult", "snippetresult",
                        "profession", "sectors", "manager", "referentrecruiter", "recruiter", "user"})


def _ranks(synonyms: tuple[str, ...], names: list[str]) -> list[int]:
    """How well names match a field's synonyms: exact (its index), else a name ending with a long synonym
    (``JobDescriptionTranslation_JobTitle_`` → ``jobtitle``), ranked after every exact match."""
    ranks = [synonyms.index(n) for n in names if n in synonyms]
    ranks += [len(synonyms) + i for n in names for i, syn in enumerate(synonyms)
              if len(syn) >= 6 and n != syn and n.endswith(syn)]
    return ranks


def guess_fields(candidates: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """For each field, the path whose last name is its most usual synonym (then the most filled, the
    shallowest); a path serves one field only."""
    chosen: dict[str, tuple[str, ...]] = {}
    used: set[str] = set()
    for name in SYNONYMS:
        best: tuple[int, int, int, str] | None = None
        for path, values in candidates.items():
            if path in used:
                continue
            ranks = _ranks(SYNONYMS[name], _names(path))
            if not ranks:
                continue
            steps = [_fold(step) for step in re.split(r"[./@]+", path) if step]
            if _NOT_OFFER.intersection(steps[:-1]):
                continue
            score = (len(steps), min(ranks), -len(values), path)
            if best is None or score < best:
                best = score
        if best is not None:
            chosen[name] = (best[3],)
            used.add(best[3])
    return chosen


def guess_format(body: bytes, *, http_charset: str | None = None) -> FeedFormat | None:
    """A declaration guessed from the document alone (see the module docstring); ``None`` when it holds no
    records with a recognisable title."""
    family = detect_family(body, http_charset=http_charset)
    items: str | None = None
    if family in ("xml", "rss"):
        items = guess_xml_items(body)
        if items is None:
            return None
        elements = parse_xml_items(body, [items], http_charset=http_charset).items
        candidates = _candidates(_xml_leaves(e) for e in elements)
    elif family == "json":
        try:
            document = json.loads(decode_feed(body, http_charset).text, strict=False)
        except (json.JSONDecodeError, RecursionError):
            return None
        items, records = json_records(document)
        if records is None:
            return None
        candidates = _candidates(_json_leaves(r) for r in records if isinstance(r, Mapping))
    elif family == "csv":
        sheet = read_spreadsheet(body, http_charset=http_charset)
        candidates = _candidates(row.cells.items() for row in sheet.rows)
    else:
        return None
    fields = guess_fields(candidates)
    if "title" not in fields:
        return None
    return FeedFormat(family, items, fields)


# --------------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------------


@dataclass
class FieldReport:
    """How many offers carry a field, with up to three examples."""

    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class ProbeReport:
    """What :func:`probe` found (see the module docstring)."""

    family: str | None
    platform: str | None  # a known platform key, or "feed" for the guessed declaration
    items: int = 0
    fields: dict[str, FieldReport] = field(default_factory=dict)
    format: FeedFormat | None = None
    problems: list[str] = field(default_factory=list)
    postings: list[RawPosting] = field(default_factory=list)

    def count(self, name: str) -> int:
        return self.fields[name].count if name in self.fields else 0

    @property
    def with_place(self) -> int:
        return sum(1 for p in self.postings if _placed(p))

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "platform": self.platform,
            "items": self.items,
            "with_title": self.count("title"),
            "with_id": self.count("source_id"),
            "with_place": self.with_place,
            "fields": {name: {"count": r.count, "examples": r.examples} for name, r in self.fields.items()},
            "format": self.format.as_dict() if self.format is not None else None,
            "problems": self.problems,
        }


def _placed(posting: RawPosting) -> bool:
    return any(getattr(posting, name) for name in PLACE_FIELDS)


def _score(postings: list[RawPosting]) -> tuple[int, int, int]:
    """Offers with a title, an id and a place; with a title and an id; fields filled in all."""
    identified = [p for p in postings if p.title and p.source_id]
    filled = sum(1 for p in postings for name in FORMAT_FIELDS if getattr(p, name) is not None)
    return sum(1 for p in identified if _placed(p)), len(identified), filled


def platform_spiders() -> dict[str, type[FeedSpider]]:
    """The known platforms whose spider reads one document (``platform`` → class)."""
    # Imported here: the platform spiders are loaded only when a document is probed, not with this module.
    from crawlers.spiders.apec import ApecSpider
    from crawlers.spiders.flatchr import FlatchrSpider
    from crawlers.spiders.fonction_publique_rss import FonctionPubliqueRssSpider
    from crawlers.spiders.greenhouse import GreenhouseSpider
    from crawlers.spiders.hellowork import HelloWorkSpider
    from crawlers.spiders.indeed import IndeedSpider
    from crawlers.spiders.lever import LeverSpider
    from crawlers.spiders.place_emploi_public import PlaceEmploiPublicSpider
    from crawlers.spiders.recruitee import RecruiteeSpider
    from crawlers.spiders.smartrecruiters import SmartRecruitersSpider
    from crawlers.spiders.spreadsheet import SpreadsheetSpider
    from crawlers.spiders.talentsoft import TalentsoftSpider
    from crawlers.spiders.talentsoft_json import TalentsoftJsonSpider
    from crawlers.spiders.teamtailor import TeamtailorSpider
    from crawlers.spiders.welcometothejungle import WelcomeToTheJungleSpider
    from crawlers.spiders.workday import WorkdaySpider

    classes: list[type[FeedSpider]] = [
        HelloWorkSpider, IndeedSpider, TalentsoftSpider, TalentsoftJsonSpider, FonctionPubliqueRssSpider,
        ApecSpider, SpreadsheetSpider, WorkdaySpider, SmartRecruitersSpider, TeamtailorSpider, RecruiteeSpider,
        WelcomeToTheJungleSpider, LeverSpider, GreenhouseSpider, PlaceEmploiPublicSpider,
        FlatchrSpider]
    return {cls.platform: cls for cls in classes}


_FAMILY_OF = {"hellowork": "xml", "indeed": "xml", "talentsoft": "xml", "apec": "xml",
              "fonction_publique_rss": "rss", "talentsoft_json": "json", "spreadsheet": "csv", "workday": "json",
              "smartrecruiters": "json", "teamtailor": "json", "recruitee": "json", "welcometothejungle": "json",
              "lever": "json", "greenhouse": "json", "place_emploi_public": "json",
              "flatchr": "json"}


def read_with(spider: FeedSpider, body: bytes, http_charset: str | None = None) -> tuple[list[RawPosting],
                                                                                       list[str]]:
    """The postings a spider reads in ``body`` and the problems it reported (no Scrapy engine needed)."""
    postings = list(spider.postings_from_body(body, http_charset=http_charset))
    return postings, [p.detail for p in spider.dropped]


def probe(body: bytes, *, http_charset: str | None = None) -> ProbeReport:
    """Probe one document (see the module docstring); never raises."""
    from crawlers.spiders.feed import DeclaredFeedSpider  # here: crawlers.spiders.feed imports this module

    family = detect_family(body, http_charset=http_charset)
    if family is None:
        return ProbeReport(None, None, problems=["ni XML, ni RSS/Atom, ni JSON, ni tableau CSV/XLSX"])
    tries: list[tuple[tuple[int, int, int, int], str, list[RawPosting], list[str], FeedFormat | None]] = []
    for platform, cls in platform_spiders().items():
        if _FAMILY_OF.get(platform) != family:
            continue
        postings, problems = read_with(cls(url="file:///dev/null"), body, http_charset)
        complete, identified, filled = _score(postings)
        tries.append(((complete, identified, 1, filled), platform, postings, problems, None))
    guessed = guess_format(body, http_charset=http_charset)
    if guessed is not None:
        spider = DeclaredFeedSpider(url="file:///dev/null", format=guessed.to_json())
        postings, problems = read_with(spider, body, http_charset)
        complete, identified, filled = _score(postings)
        tries.append(((complete, identified, 0, filled), "feed", postings, problems, guessed))
    if not tries:
        return ProbeReport(family, None, problems=["aucune offre reconnue"])
    _, platform, postings, problems, fmt = max(tries, key=lambda t: t[0])
    report = ProbeReport(family, platform, len(postings), format=fmt, problems=problems, postings=postings)
    for name in FORMAT_FIELDS:
        values = [str(getattr(p, name)) for p in postings if getattr(p, name) is not None]
        if values:
            report.fields[name] = FieldReport(len(values), [v[:80] for v in values[:3]])
    return report
