"""schema.org ``JobPosting`` extraction, and ``JobPostingSpider``: the base of every career-site spider.

The All The Places way: a spider for an employer's career site declares *where* (its start URLs, or a
registry entry with ``platform = "jsonld"``) and inherits *how* from here.

How a site is crawled
- Start URLs that look like sitemaps (``…/sitemap.xml``, ``.xml.gz``) are read as sitemaps (and sitemap
  indexes); the page URLs they list are fetched as posting pages (filter: ``sitemap_follow``).
- Other start URLs are *listing pages*: the postings they embed are extracted, the links to posting pages
  are followed (``follow`` regex; by default the links under the listing's folder, e.g. ``/carrieres/offres``
  → ``/carrieres/…``), and so is the pagination (``rel="next"``, a "suivant" / "page suivante" / "next" link,
  or the same page with another query string such as ``?page=3``), up to ``max_pages`` listing pages.
- A listing page with no posting and no link to one is counted as ``empty_listing`` (the run is partial).

How a posting is read (``extract_job_postings``, pure, never raises)
- Every ``<script type="application/ld+json">`` block is parsed on its own (a block with a syntax error is
  counted as ``invalid_jsonld`` and the others are still read), plus schema.org microdata (extruct).
- ``JobPosting`` objects are found at the top level, in lists, in ``@graph`` and nested in other objects
  (``ItemList``…); ``@type`` may be a list or a full IRI.
- ``job_posting_to_raw`` maps one to a ``RawPosting``: ``identifier`` → ``source_id`` (else the posting's
  ``url``, else the canonical URL), HTML-escaped descriptions unescaped, ``jobLocation`` lists (the first
  place is the posting's place, all are kept in ``extra["locations"]``), ``baseSalary`` in its shapes,
  ``employmentType`` lists, ``validThrough`` → ``expires_at``.

Hooks for a site's quirks (override in a subclass, ~30 lines)
- ``pre_process(self, ld, response) -> dict | None``: fix the JSON-LD object before mapping (None skips it);
- ``post_process(self, item, ld, response) -> Iterable[RawPosting] | RawPosting | None``: fix the item.

Spider arguments: ``url`` (comma-separated start URLs), ``follow`` (regex of posting links),
``sitemap_follow`` (regex of sitemap URLs to fetch), ``max_pages`` (listing pages, default 200).
"""

from __future__ import annotations

import gzip
import html
import json
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap

from crawlers.base import OhmylotSpider
from crawlers.drops import drop_page, drop_posting
from matching.types import RawPosting

logger = logging.getLogger(__name__)

_LD_SCRIPT = re.compile(
    rb"<script[^>]*type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)
_LD_OPEN = re.compile(rb"<script[^>]*type\s*=\s*[\"']?application/ld\+json", re.IGNORECASE)
_ROME = re.compile(r"^\s*([A-N]\d{4})\b")
_DEPARTEMENT = re.compile(r"^(?:\d{2,3}|2[AB])$", re.IGNORECASE)
_NEXT_WORDS = ("suivant", "suivante", "page suivante", "next", "›", "»", ">", ">>")
_SKIP_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".gif", ".svg", ".doc", ".docx", ".zip", ".xml", ".css", ".js")
_PAGE_PARAMS = re.compile(r"(?:^|&)(?:page|p|pg|start|offset|debut|pagenum)=", re.IGNORECASE)
_SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/", "schema:")


# --------------------------------------------------------------------------------------------------
# Extraction (pure functions, tested on strings)
# --------------------------------------------------------------------------------------------------


def _type_names(value: Any) -> set[str]:
    names = value if isinstance(value, list) else [value]
    result = set()
    for name in names:
        if isinstance(name, str):
            for prefix in _SCHEMA_PREFIXES:
                if name.startswith(prefix):
                    name = name[len(prefix) :]
            result.add(name)
    return result


def is_job_posting(obj: Any) -> bool:
    """True for a dict whose ``@type`` is (or includes) ``JobPosting``."""
    return isinstance(obj, dict) and "JobPosting" in _type_names(obj.get("@type"))


def iter_job_postings(data: Any, _depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every ``JobPosting`` object in a JSON-LD document (lists, ``@graph``, nested objects)."""
    if _depth > 12:
        return
    if isinstance(data, list):
        for element in data:
            yield from iter_job_postings(element, _depth + 1)
    elif isinstance(data, dict):
        if is_job_posting(data):
            yield data
            return
        for value in data.values():
            if isinstance(value, dict | list):
                yield from iter_job_postings(value, _depth + 1)


def _parse_json_block(text: str) -> Any:
    try:
        return json.loads(text, strict=False)
    except ValueError:
        pass
    # Comments and trailing commas are common in hand-written blocks (extruct does the same).
    import jstyleson

    cleaned = re.sub(r"^\s*<!--|-->\s*$", "", text.strip())
    return jstyleson.loads(cleaned, strict=False)


def extract_job_postings(body: str | bytes, base_url: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """``(postings, invalid_blocks)`` from an HTML page: JSON-LD blocks one by one, then microdata.

    Never raises: a broken block is counted in ``invalid_blocks``; broken HTML gives what can be read.
    """
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
    postings: list[dict[str, Any]] = []
    invalid = 0
    matched = 0
    for match in _LD_SCRIPT.finditer(raw):
        matched += 1
        block = match.group(1).decode("utf-8", "replace").strip()
        if not block:
            continue
        try:
            data = _parse_json_block(block)
        except Exception:  # noqa: BLE001 - C6: any broken block is counted, never raised
            invalid += 1
            continue
        postings.extend(iter_job_postings(data))
    # a block opened but never closed (a truncated page) is a broken block too
    invalid += max(0, len(_LD_OPEN.findall(raw)) - matched)
    if b"itemtype" in raw and b"JobPosting" in raw:
        try:
            import extruct  # imported here: slow to import, and only microdata pages need it

            found = extruct.extract(raw, base_url=base_url, syntaxes=["microdata"], uniform=True, errors="ignore")
            postings.extend(iter_job_postings(found.get("microdata", [])))
        except Exception:  # noqa: BLE001
            invalid += 1
    return postings, invalid


def _text(value: Any) -> str | None:
    """A readable string from a JSON-LD value (string, number, ``{name}``, ``{@value}``, list)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        for key in ("@value", "value", "name", "@id", "url"):
            text = _text(value.get(key))
            if text:
                return text
        return None
    if isinstance(value, list):
        parts = [text for text in (_text(element) for element in value) if text]
        return ", ".join(dict.fromkeys(parts)) or None
    return str(value)


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return next((element for element in value if element not in (None, "", {}, [])), None)
    return value


def _unescape_html(text: str | None) -> str | None:
    """Descriptions written as escaped HTML (``&lt;p&gt;``) become HTML; plain HTML is left as is."""
    if not text:
        return text
    if "&lt;" in text and "<" not in text.replace("&lt;", ""):
        return html.unescape(text)
    return text


def _identifier(ld: dict[str, Any]) -> str | None:
    identifier = _first(ld.get("identifier"))
    if isinstance(identifier, dict):
        return _text(identifier.get("value")) or _text(identifier.get("@id")) or _text(identifier.get("name"))
    return _text(identifier)


def _places(ld: dict[str, Any]) -> list[dict[str, Any]]:
    locations = ld.get("jobLocation")
    if locations is None:
        return []
    result = []
    for place in locations if isinstance(locations, list) else [locations]:
        if isinstance(place, str):
            result.append({"label": place})
            continue
        if not isinstance(place, dict):
            continue
        address = _first(place.get("address")) if "address" in place else place
        entry: dict[str, Any] = {}
        if isinstance(address, str):
            entry["label"] = address.strip()
        elif isinstance(address, dict):
            entry.update(
                street=_text(address.get("streetAddress")),
                city=_text(address.get("addressLocality")),
                postal_code=_text(address.get("postalCode")),
                region=_text(address.get("addressRegion")),
                country=_text(address.get("addressCountry")),
            )
        geo = place.get("geo")
        if isinstance(geo, dict):
            entry["lat"] = _text(geo.get("latitude"))
            entry["lon"] = _text(geo.get("longitude"))
        if not entry.get("label"):
            city, postal = entry.get("city"), entry.get("postal_code")
            entry["label"] = (
                f"{city} ({postal})" if city and postal else city or postal or _text(place.get("name")) or None
            )
        result.append({key: value for key, value in entry.items() if value not in (None, "")})
    return [entry for entry in result if entry]


def _salary(ld: dict[str, Any]) -> dict[str, Any]:
    salary = ld.get("baseSalary") or ld.get("estimatedSalary")
    salary = _first(salary)
    if salary is None:
        return {}
    if isinstance(salary, int | float | str):
        return {"salary": str(salary)}
    if not isinstance(salary, dict):
        return {}
    currency = _text(salary.get("currency")) or ""
    value = salary.get("value", salary)
    unit = None
    low = high = None
    if isinstance(value, dict):
        unit = _text(value.get("unitText"))
        low = value.get("minValue", value.get("value"))
        high = value.get("maxValue", value.get("value") if "minValue" not in value else None)
    elif isinstance(value, int | float | str):
        low = high = value
    unit = unit or _text(salary.get("unitText"))
    low_text, high_text = _text(low), _text(high)
    if low_text and high_text and low_text != high_text:
        text = f"{low_text} - {high_text} {currency}".strip()
    else:
        text = f"{low_text or high_text or ''} {currency}".strip()
    if unit:
        text = f"{text} / {unit}" if text else unit
    return {"salary": text or None, "salary_min": low_text, "salary_max": high_text, "salary_unit": unit}


_WORKING_TIME = {"FULL_TIME": "Temps plein", "PART_TIME": "Temps partiel"}


def _description(ld: dict[str, Any]) -> str | None:
    description = _unescape_html(_text(ld.get("description")))
    sections = []
    for key, heading in (
        ("responsibilities", "Missions"),
        ("qualifications", "Profil"),
        ("skills", "Compétences"),
        ("educationRequirements", "Formation"),
        ("jobBenefits", "Avantages"),
    ):
        text = _unescape_html(_text(ld.get(key)))
        if text and (not description or text not in description):
            sections.append(f"<h3>{heading}</h3>\n{text}")
    if sections:
        return "\n".join([description or "", *sections]).strip()
    return description


def job_posting_to_raw(
    ld: dict[str, Any], *, source: str, page_url: str | None = None, canonical_url: str | None = None
) -> RawPosting:
    """Map one schema.org ``JobPosting`` to a ``RawPosting`` (values as the site wrote them)."""
    url = _text(_first(ld.get("url")))
    if url and page_url:
        url = urljoin(page_url, url)
    url = url or canonical_url or page_url
    organization = _first(ld.get("hiringOrganization"))
    employer = _text(organization)
    siret = None
    if isinstance(organization, dict):
        for key in ("taxID", "identifier", "leiCode"):
            candidate = re.sub(r"\s", "", _text(organization.get(key)) or "")
            if re.fullmatch(r"\d{14}", candidate):
                siret = candidate
                break
    places = _places(ld)
    place = places[0] if places else {}
    region = place.get("region")
    employment = ld.get("employmentType")
    employment_types = [t for t in (employment if isinstance(employment, list) else [employment]) if isinstance(t, str)]
    working = [_WORKING_TIME[t.upper()] for t in employment_types if t.upper() in _WORKING_TIME]
    occupational = _text(ld.get("occupationalCategory"))
    rome = _ROME.match(occupational or "")
    experience = ld.get("experienceRequirements")
    if isinstance(experience, dict) and experience.get("monthsOfExperience") is not None:
        experience_text = f"{_text(experience.get('monthsOfExperience'))} mois d'expérience"
    else:
        experience_text = _text(experience)
    location_type = _text(ld.get("jobLocationType"))
    extra: dict[str, Any] = {}
    if len(places) > 1:
        extra["locations"] = places
    for key in ("industry", "occupationalCategory", "directApply", "workHours", "jobStartDate"):
        if ld.get(key) not in (None, "", []):
            extra[key] = ld[key]
    title = _text(ld.get("title")) or _text(ld.get("name"))
    return RawPosting(
        source=source,
        source_id=_identifier(ld) or url,
        url=url,
        title=html.unescape(title) if title else None,
        employer=html.unescape(employer) if employer else None,
        employer_siret=siret,
        description=_description(ld),
        location=place.get("label"),
        city=place.get("city"),
        postal_code=place.get("postal_code"),
        departement=region if region and _DEPARTEMENT.match(region) else None,
        lat=place.get("lat"),
        lon=place.get("lon"),
        contract=", ".join(employment_types) or None,
        working_time=", ".join(working) or _text(ld.get("workHours")),
        experience=experience_text,
        published_at=_text(ld.get("datePosted")),
        expires_at=_text(ld.get("validThrough")),
        rome_code=rome.group(1) if rome else None,
        rome_label=None,
        apply_url=url,
        positions=_text(ld.get("totalJobOpenings")),
        remote=location_type,
        extra=extra,
        **_salary(ld),
    )


# --------------------------------------------------------------------------------------------------
# The spider base
# --------------------------------------------------------------------------------------------------


def _is_sitemap(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith((".xml", ".xml.gz")) or "sitemap" in path.rsplit("/", 1)[-1]


def _folder(url: str) -> str:
    path = urlsplit(url).path or "/"
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


class JobPostingSpider(OhmylotSpider):
    """Career sites with schema.org ``JobPosting`` pages (see the module docstring)."""

    #: regex of posting links on listing pages (None: links under the listing's folder)
    follow: str | None = None
    #: regex of the sitemap URLs to fetch as posting pages (None: all)
    sitemap_follow: str | None = None
    #: most listing pages read per start URL
    max_pages: int = 200

    def __init__(
        self,
        *args: Any,
        follow: str | None = None,
        sitemap_follow: str | None = None,
        max_pages: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.follow_re = re.compile(follow or self.follow) if (follow or self.follow) else None
        pattern = sitemap_follow or self.sitemap_follow
        self.sitemap_re = re.compile(pattern) if pattern else None
        self.max_pages = int(max_pages or self.max_pages)
        self._listing_pages = 0

    # -- hooks ---------------------------------------------------------------------------------------

    def pre_process(self, ld: dict[str, Any], response: Response) -> dict[str, Any] | None:
        """Fix a site's JSON-LD object before mapping; return None to skip it."""
        return ld

    def post_process(
        self, item: RawPosting, ld: dict[str, Any], response: Response
    ) -> Iterable[RawPosting] | RawPosting | None:
        """Fix the mapped item (or split it, or skip it with None)."""
        return item

    # -- requests ------------------------------------------------------------------------------------

    async def start(self) -> Any:  # Scrapy ≥ 2.13
        for request in self.initial_requests():
            yield request

    def initial_requests(self) -> Iterator[Request]:
        """A request per start URL: sitemaps are read as sitemaps, other URLs as listing pages."""
        if not self.start_urls_list:
            logger.error("Aucune adresse de départ : utilisez -a url=https://… (ou file://…)")
            return
        for url in self.start_urls_list:
            url = url.strip()
            if _is_sitemap(url):
                yield Request(url, callback=self.parse_sitemap, errback=self.page_failed)
            else:
                yield Request(
                    url,
                    callback=self.parse_listing,
                    errback=self.page_failed,
                    meta={"listing_root": url, "listing_folder": _folder(url)},
                )

    # -- listing pages -------------------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """Postings embedded in a listing page, links to posting pages, and the next listing pages."""
        if not isinstance(response, TextResponse):
            drop_page(self, "not_html", url=response.url)
            return
        self._listing_pages += 1
        found = yield from self._items_from_page(response, listing=True)
        posting_links, next_links = self._classify_links(response)
        for link in posting_links:
            yield response.follow(link, callback=self.parse_posting, errback=self.posting_failed)
        if self._listing_pages < self.max_pages:
            for link in next_links:
                yield response.follow(
                    link,
                    callback=self.parse_listing,
                    errback=self.page_failed,
                    meta={
                        key: response.meta[key] for key in ("listing_root", "listing_folder") if key in response.meta
                    },
                )
        elif next_links:
            self.crawler.stats.inc_value("jsonld/max_pages_reached")
            drop_page(self, "max_pages_reached", url=response.url)
        if not found and not posting_links:
            drop_page(self, "empty_listing", url=response.url)

    def _classify_links(self, response: TextResponse) -> tuple[list[str], list[str]]:
        root = response.meta.get("listing_root", response.url)
        folder = response.meta.get("listing_folder", _folder(root))
        here = urlsplit(response.url)
        posting: list[str] = []
        following: list[str] = []
        for anchor in response.css("a[href], link[rel][href]"):
            href = (anchor.attrib.get("href") or "").strip()
            if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
                continue
            url = urldefrag(response.urljoin(href))[0]
            target = urlsplit(url)
            if target.scheme not in ("http", "https", "file") or target.netloc != here.netloc:
                continue
            rel = (anchor.attrib.get("rel") or "").lower().split()
            if anchor.root.tag == "link":
                if "next" in rel:
                    following.append(url)
                continue
            label = " ".join(anchor.xpath("normalize-space(string())").get("").lower().split())
            hints = " ".join(anchor.attrib.get(key, "") for key in ("aria-label", "title", "class")).lower()
            same_page = target.path == here.path
            if (
                "next" in rel
                or label in _NEXT_WORDS
                or "suivant" in hints
                or "next" in hints.split()
                or (same_page and target.query and _PAGE_PARAMS.search(target.query))
            ):
                if url != response.url:
                    following.append(url)
                continue
            if same_page or target.path.lower().endswith(_SKIP_EXTENSIONS):
                continue
            if self.follow_re is not None:
                if self.follow_re.search(url):
                    posting.append(url)
            elif target.path.startswith(folder) and url != root:
                posting.append(url)
        return list(dict.fromkeys(posting)), list(dict.fromkeys(following))

    # -- posting pages -------------------------------------------------------------------------------

    def parse_posting(self, response: Response) -> Iterator[Any]:
        """The postings of one posting page (usually one)."""
        if not isinstance(response, TextResponse):
            drop_posting(self, "not_html", url=response.url)
            return
        yield from self._items_from_page(response, listing=False)

    def _items_from_page(self, response: TextResponse, *, listing: bool) -> Iterator[RawPosting]:
        # A generator that also *returns* how many postings it yielded (``yield from`` gives it back).
        # the text decoded with the page's declared (or detected) encoding, not the raw bytes as UTF-8
        postings, invalid = extract_job_postings(response.text, response.url)
        stats = self.crawler.stats
        if invalid:
            stats.inc_value("jsonld/invalid_blocks", invalid)
        if not postings:
            if not listing:
                reason = "invalid_jsonld" if invalid else "no_jobposting"
                drop_posting(self, reason, url=response.url)
            return 0
        canonical = response.css("link[rel=canonical]::attr(href)").get()
        canonical = response.urljoin(canonical) if canonical else None
        count = 0
        for index, ld in enumerate(postings):
            try:
                fixed = self.pre_process(ld, response)
                if fixed is None:
                    continue
                item = job_posting_to_raw(fixed, source=self.source_id, page_url=response.url, canonical_url=canonical)
                if len(postings) > 1 and item.source_id in (canonical, response.url):
                    # several postings on one page without ids: tell them apart
                    item.source_id = f"{item.source_id}#{index + 1}"
                result = self.post_process(item, fixed, response)
            except Exception as exc:  # noqa: BLE001 - C6: one strange object never stops the page
                drop_posting(self, "unreadable_jobposting", url=response.url, detail=repr(exc))
                continue
            if result is None:
                continue
            for element in [result] if isinstance(result, RawPosting) else result:
                count += 1
                yield element
        return count

    # -- sitemaps ------------------------------------------------------------------------------------

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Posting pages (and nested sitemaps) listed by a sitemap."""
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)
            except OSError:
                drop_page(self, "invalid_sitemap", url=response.url)
                return
        try:
            sitemap = Sitemap(body)
            entries = list(sitemap)
        except Exception:  # noqa: BLE001
            drop_page(self, "invalid_sitemap", url=response.url)
            return
        if sitemap.type not in ("urlset", "sitemapindex"):
            drop_page(self, "invalid_sitemap", url=response.url, detail=f"type {sitemap.type!r}")
            return
        count = 0
        for entry in entries:
            loc = (entry.get("loc") or "").strip()
            if not loc:
                continue
            url = response.urljoin(loc)
            if sitemap.type == "sitemapindex":
                yield Request(url, callback=self.parse_sitemap, errback=self.page_failed)
            elif self.sitemap_re is None or self.sitemap_re.search(url):
                count += 1
                yield Request(url, callback=self.parse_posting, errback=self.posting_failed)
        if sitemap.type == "urlset" and not count:
            drop_page(self, "empty_sitemap", url=response.url)

    # -- failures ------------------------------------------------------------------------------------

    def posting_failed(self, failure: Any) -> None:
        """A posting page could not be fetched: a 404/410 means gone; anything else keeps it alive."""
        request = failure.request
        if failure.check(HttpError) and failure.value.response.status in (404, 410):
            self.crawler.stats.inc_value("offers/gone")
            return
        drop_posting(self, "fetch_failed", url=request.url, detail=_failure_text(failure))

    def page_failed(self, failure: Any) -> None:
        """A listing page or sitemap could not be fetched: the run is partial."""
        drop_page(self, "fetch_failed", url=failure.request.url, detail=_failure_text(failure))


def _failure_text(failure: Any) -> str:
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    return f"{type(failure.value).__name__}: {failure.value}"


__all__ = ["JobPostingSpider", "extract_job_postings", "iter_job_postings", "job_posting_to_raw"]
