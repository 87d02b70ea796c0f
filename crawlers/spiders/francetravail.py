"""``francetravail``: the France Travail "Offres d'emploi v2" API (SOURCE-FORMATS.md §1).

- OAuth2 client credentials: ``OHMYLOT_FT_CLIENT_ID`` / ``OHMYLOT_FT_CLIENT_SECRET`` (or ``-a client_id=`` /
  ``-a client_secret=`` for the local imitation); the token is renewed before it expires and on a 401.
- Search by ``departement`` (default 46), paged by ``range`` in steps of 150: 206 while more remain
  (``Content-Range: offres a-b/total``), 200 for the last page, 204 when nothing matches.
- One query returns at most ``cap`` results (1,150 by default, as the API refuses ranges beyond). A larger
  query is split, each part again if still too large: first by the values ``filtresPossibles`` lists with
  counts (``codeROME``, ``typeContrat``), then by halves of the list of the département's communes (INSEE
  codes from ``matching/data/communes.csv``), then by halves of the ROME codes. When the parts do not add up
  to the whole (offers without a commune, say), the run is marked partial (it then closes nothing).
- ``429`` + ``Retry-After`` is handled for every spider by ``crawlers.ratelimit``.
- The API is used under a licence with its own rate limit: its requests skip robots.txt
  (``dont_obey_robotstxt``), which governs crawlers of public pages.

Arguments: ``url`` (search endpoint), ``token_url``, ``departement``, ``client_id``, ``client_secret``,
``scope``, ``cap``, ``page_size``, and any other search parameter as ``-a param_<name>=value``
(e.g. ``-a param_minCreationDate=2026-11-01T00:00:00Z``).
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy.http import FormRequest, Request, Response

from crawlers.base import OhmylotSpider
from crawlers.drops import drop_page, drop_posting
from matching.types import RawPosting

logger = logging.getLogger(__name__)

SEARCH_URL = "https://api.francetravail.io/partenaire/offresdemploi/v2/offres/search"
TOKEN_URL = "https://entreprise.francetravail.fr/connexion/oauth2/access_token?realm=/partenaire"  # noqa: S105
SCOPE = "api_offresdemploiv2 o2dsoffre"
DETAIL_URL = "https://candidat.francetravail.fr/offres/recherche/detail/{id}"
DATA = Path(__file__).resolve().parents[2] / "matching" / "data"
_CONTENT_RANGE = re.compile(r"(\d+)\s*-\s*(\d+)\s*/\s*(\d+)")
#: facets of ``filtresPossibles`` that are also search parameters, in the order they are used to split
SPLIT_FACETS = ("codeROME", "typeContrat")
#: renew the token this many seconds before it expires
TOKEN_MARGIN = 60
MAX_TOKEN_RENEWALS = 20
#: request meta keys this spider sets (the others are Scrapy's, not to be copied to a new request)
_OWN_META = ("query", "start", "dont_obey_robotstxt", "handle_httpstatus_list", "then")


def departement_communes(departement: str) -> list[str]:
    """INSEE codes of the communes of a département (reference data shipped in ``matching/data``)."""
    with (DATA / "communes.csv").open(encoding="utf-8") as handle:
        return [row["insee"] for row in csv.DictReader(handle) if row["departement"] == departement]


def rome_codes() -> list[str]:
    """Every ROME code (reference data shipped in ``matching/data``)."""
    with (DATA / "rome_codes.csv").open(encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


def parse_content_range(value: bytes | str | None) -> tuple[int, int, int] | None:
    """``offres 0-149/1234`` → ``(0, 149, 1234)``; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    match = _CONTENT_RANGE.search(text)
    return (int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


def _get(data: Any, *path: str) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def offer_to_raw(offer: dict[str, Any], *, source: str) -> RawPosting:
    """Map one France Travail offer to a ``RawPosting`` (the recruiter's contact name and e-mail are not kept)."""
    place = _dict(offer.get("lieuTravail"))
    libelle = _text(place.get("libelle"))
    company = _dict(offer.get("entreprise"))
    origin = _dict(offer.get("origineOffre"))
    alternance = bool(offer.get("alternance"))
    nature = _text(offer.get("natureContrat"))
    contract = (
        (nature if alternance and nature else None)
        or _text(offer.get("typeContratLibelle"))
        or _text(offer.get("typeContrat"))
    )
    working = " - ".join(
        part
        for part in (_text(offer.get("dureeTravailLibelleConverti")), _text(offer.get("dureeTravailLibelle")))
        if part
    )
    offer_id = _text(offer.get("id"))
    url = DETAIL_URL.format(id=offer_id) if offer_id else None
    partners = [
        {"name": _text(p.get("nom")), "url": _text(p.get("url"))}
        for p in (origin.get("partenaires") if isinstance(origin.get("partenaires"), list) else [])
        if isinstance(p, dict)
    ]
    return RawPosting(
        source=source,
        source_id=offer_id,
        url=url,
        title=_text(offer.get("intitule")),
        employer=_text(company.get("nom")),
        employer_siret=_text(company.get("siret")),
        naf_code=_text(offer.get("codeNAF")),
        description=_text(offer.get("description")),
        location=libelle,
        city=None,
        postal_code=_text(place.get("codePostal")),
        departement=_departement(libelle),
        insee=_text(place.get("commune")),
        lat=place.get("latitude") if isinstance(place.get("latitude"), int | float | str) else None,
        lon=place.get("longitude") if isinstance(place.get("longitude"), int | float | str) else None,
        contract=contract,
        working_time=working or None,
        salary=_salary_text(offer) or None,
        experience=_text(offer.get("experienceLibelle")),
        published_at=_text(offer.get("dateCreation")),
        rome_code=_text(offer.get("romeCode")),
        rome_label=_text(offer.get("romeLibelle")),
        apply_url=_text(_get(offer, "contact", "urlPostulation")) or _text(origin.get("urlOrigine")) or url,
        positions=offer.get("nombrePostes") if isinstance(offer.get("nombrePostes"), int | str) else None,
        partners=partners,
        extra=_extra(offer, origin),
    )


def _departement(libelle: str | None) -> str | None:
    """The département code a place label starts with ("46 - Cahors"), if any."""
    if libelle and " - " in libelle:
        head = libelle.split(" - ", 1)[0].strip()
        return head if re.fullmatch(r"\d{2,3}|2[AB]", head) else None
    return None


def _salary_text(offer: dict[str, Any]) -> str:
    """The salary label and its comments, joined."""
    salary = _dict(offer.get("salaire"))
    return " ; ".join(
        part
        for part in (
            _text(salary.get("libelle")),
            _text(salary.get("commentaire")),
            _text(salary.get("complement1")),
            _text(salary.get("complement2")),
        )
        if part
    )


#: offer fields kept as they are in ``RawPosting.extra``
_EXTRA_KEYS = (
    "typeContrat",
    "natureContrat",
    "appellationlibelle",
    "qualificationLibelle",
    "secteurActiviteLibelle",
    "accessibleTH",
    "offresManqueCandidats",
    "alternance",
    "dateActualisation",
    "experienceExige",
    "formations",
    "competences",
    "qualitesProfessionnelles",
    "entrepriseAdaptee",
)


def _extra(offer: dict[str, Any], origin: dict[str, Any]) -> dict[str, Any]:
    """The offer's fields kept as they are (when not empty), and where the offer came from."""
    extra = {key: offer[key] for key in _EXTRA_KEYS if offer.get(key) not in (None, "", [], {})}
    if origin:
        extra["origine"] = {"origine": origin.get("origine"), "urlOrigine": origin.get("urlOrigine")}
    return extra


@dataclass
class _Query:
    """One search query (a node of the splitting tree)."""

    id: int
    params: dict[str, str]
    parent: int | None = None
    #: dimensions still available to split this query
    dims: tuple[str, ...] = ()
    total: int | None = None
    children: list[int] = field(default_factory=list)


class FranceTravailSpider(OhmylotSpider):
    """The France Travail "Offres d'emploi v2" API (see the module docstring)."""

    name = "francetravail"
    platform = "francetravail"
    default_url = SEARCH_URL

    def __init__(
        self,
        *args: Any,
        token_url: str | None = None,
        departement: str = "46",
        client_id: str | None = None,
        client_secret: str | None = None,
        scope: str = SCOPE,
        cap: str | int = 1150,
        page_size: str | int = 150,
        **kwargs: Any,
    ) -> None:
        params = {key[6:]: str(value) for key, value in kwargs.items() if key.startswith("param_")}
        kwargs = {key: value for key, value in kwargs.items() if not key.startswith("param_")}
        super().__init__(*args, **kwargs)
        self.search_url = self.start_url or SEARCH_URL
        self.token_url = token_url or TOKEN_URL
        self.departement = str(departement)
        self.client_id = client_id or os.environ.get("OHMYLOT_FT_CLIENT_ID", "")
        self.client_secret = client_secret or os.environ.get("OHMYLOT_FT_CLIENT_SECRET", "")
        self.scope = scope
        self.cap = int(cap)
        self.page_size = max(1, min(150, int(page_size)))
        self.base_params = {"departement": self.departement, **params}
        hosts = {urlsplit(u).hostname for u in (self.search_url, self.token_url)} - {None, ""}
        self.allowed_domains = sorted(hosts)  # type: ignore[arg-type]
        self.token: str | None = None
        self.token_expires = 0.0
        self.token_serial = 0
        self.renewals = 0
        self.queries: dict[int, _Query] = {}
        self._ids = itertools.count(1)

    # -- token ---------------------------------------------------------------------------------------

    def _token_request(self, then: Request | None) -> FormRequest:
        return FormRequest(
            self.token_url,
            formdata={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": self.scope,
            },
            callback=self.parse_token,
            errback=self.token_failed,
            dont_filter=True,
            priority=100,
            meta={"then": then, "dont_obey_robotstxt": True, "handle_httpstatus_list": [400, 401, 403]},
        )

    async def start(self) -> Any:  # Scrapy ≥ 2.13
        if not self.client_id or not self.client_secret:
            logger.error(
                "Identifiants France Travail absents : définissez OHMYLOT_FT_CLIENT_ID et OHMYLOT_FT_CLIENT_SECRET"
            )
            return
        root = self._new_query(dict(self.base_params), None, (*SPLIT_FACETS, "commune", "rome"))
        yield self._token_request(self._search_request(root, 0))

    def parse_token(self, response: Response) -> Iterator[Request]:
        """Keep the access token, then send the request that was waiting for it."""
        try:
            data = json.loads(response.text)
        except (ValueError, AttributeError):
            data = {}
        token = data.get("access_token") if isinstance(data, dict) else None
        if response.status != 200 or not token:
            logger.error(
                "France Travail a refusé les identifiants (HTTP %s : %s) : vérifiez OHMYLOT_FT_CLIENT_ID et "
                "OHMYLOT_FT_CLIENT_SECRET",
                response.status,
                (data.get("error_description") or data.get("error")) if isinstance(data, dict) else "",
            )
            self.crawler.stats.inc_value("francetravail/auth_failed")
            return
        self.token = str(token)
        self.token_serial += 1
        self.token_expires = time.monotonic() + float(data.get("expires_in") or 1499)
        self.crawler.stats.inc_value("francetravail/tokens")
        then = response.meta.get("then")
        if then is not None:
            yield self._authorize(then)

    def token_failed(self, failure: Any) -> None:
        logger.error("Jeton France Travail impossible à obtenir : %s", failure.value)

    def _authorize(self, request: Request) -> Request:
        meta = {key: value for key, value in request.meta.items() if key in _OWN_META}
        authorized = request.replace(meta={**meta, "token_serial": self.token_serial})
        authorized.headers["Authorization"] = f"Bearer {self.token}"
        return authorized

    def _send(self, request: Request) -> Request:
        """The request with a valid token, or a token request that sends it afterwards."""
        if self.token is None or time.monotonic() > self.token_expires - TOKEN_MARGIN:
            return self._token_request(request)
        return self._authorize(request)

    # -- search --------------------------------------------------------------------------------------

    def _new_query(self, params: dict[str, str], parent: int | None, dims: tuple[str, ...]) -> _Query:
        query = _Query(next(self._ids), params, parent, dims)
        self.queries[query.id] = query
        if parent is not None:
            self.queries[parent].children.append(query.id)
        return query

    def _search_request(self, query: _Query, start: int) -> Request:
        end = min(start + self.page_size, self.cap) - 1
        url = f"{self.search_url}?{urlencode({**query.params, 'range': f'{start}-{end}'})}"
        return Request(
            url,
            callback=self.parse_search,
            errback=self.search_failed,
            headers={"Accept": "application/json"},
            dont_filter=True,
            meta={
                "query": query.id,
                "start": start,
                "dont_obey_robotstxt": True,
                "handle_httpstatus_list": [204, 206, 401],
            },
        )

    def parse_search(self, response: Response) -> Iterator[Any]:
        """One page of results: items, the next page, or the parts of a query that is too large."""
        query = self.queries[response.meta["query"]]
        start = response.meta["start"]
        if response.status == 401:
            yield from self._renew_and_retry(response)
            return
        if response.status == 204:
            self._record_total(query, 0)
            return
        try:
            data = json.loads(response.text)
            results = data.get("resultats") or []
        except (ValueError, AttributeError):
            drop_page(self, "invalid_json", url=response.url)
            return
        span = parse_content_range(response.headers.get(b"Content-Range"))
        total = span[2] if span else start + len(results)
        if start == 0:
            self._record_total(query, total)
            if total > self.cap:
                parts = self._split(query, data.get("filtresPossibles") or [], total)
                if parts:
                    self.crawler.stats.inc_value("francetravail/split_queries", len(parts))
                    for part in parts:
                        yield self._send(self._search_request(part, 0))
                    return
                drop_page(self, "cap_exceeded", url=response.url, detail=f"{total} offres > {self.cap}")
        self.crawler.stats.inc_value("francetravail/pages")
        for offer in results:
            if not isinstance(offer, dict):
                drop_page(self, "invalid_offer", url=response.url)
                continue
            try:
                yield offer_to_raw(offer, source=self.source_id)
            except Exception as exc:  # noqa: BLE001 - C6
                drop_posting(self, "unreadable_offer", ref=_text(offer.get("id")), detail=repr(exc))
        following = (span[1] + 1) if span else start + len(results)
        if response.status == 206 and results and following < min(total, self.cap):
            yield self._send(self._search_request(query, following))

    def _renew_and_retry(self, response: Response) -> Iterator[Request]:
        self.crawler.stats.inc_value("francetravail/unauthorized")
        request = response.request
        if response.meta.get("token_serial", 0) < self.token_serial:
            yield self._authorize(request)  # already renewed by another request
            return
        self.renewals += 1
        if self.renewals > MAX_TOKEN_RENEWALS:
            drop_page(self, "unauthorized", url=response.url, detail="jeton refusé malgré son renouvellement")
            return
        self.token = None
        yield self._token_request(self._authorize(request))

    def search_failed(self, failure: Any) -> None:
        """A search page could not be fetched (after retries): its offers are unknown, the run is partial."""
        drop_page(self, "fetch_failed", url=failure.request.url, detail=str(failure.value))

    # -- splitting -----------------------------------------------------------------------------------

    def _split(self, query: _Query, facets: list[Any], total: int) -> list[_Query]:
        """Parts of a query too large for the cap, by the first dimension left that divides it."""
        dims = list(query.dims)
        while dims:
            dim = dims.pop(0)
            rest = tuple(dims)
            if dim in SPLIT_FACETS:
                values = _facet_values(facets, dim)
                if len(values) > 1:
                    return [self._new_query({**query.params, dim: value}, query.id, rest) for value in values]
            elif dim in ("commune", "rome"):
                key = "commune" if dim == "commune" else "codeROME"
                current = query.params.get(key)
                if current:
                    codes = current.split(",")
                else:
                    codes = departement_communes(self.departement) if dim == "commune" else rome_codes()
                if len(codes) > 1:
                    half = len(codes) // 2
                    # the same dimension stays first: a half that is still too large is halved again
                    return [
                        self._new_query({**query.params, key: ",".join(part)}, query.id, (dim, *rest))
                        for part in (codes[:half], codes[half:])
                    ]
        return []

    def _record_total(self, query: _Query, total: int) -> None:
        """Check, once every part of a split query has answered, that the parts cover the whole."""
        query.total = total
        if query.parent is None:
            self.crawler.stats.set_value("francetravail/total", total)
            return
        parent = self.queries[query.parent]
        totals = [self.queries[child].total for child in parent.children]
        if any(value is None for value in totals) or parent.total is None:
            return
        covered = sum(totals)  # type: ignore[arg-type]
        if covered < parent.total:
            drop_page(
                self,
                "split_incomplete",
                detail=f"{parent.params} : {covered} offres trouvées par parties sur {parent.total}",
            )


def _facet_values(facets: list[Any], name: str) -> list[str]:
    for facet in facets:
        if isinstance(facet, dict) and facet.get("filtre") == name:
            return [
                str(entry.get("valeurPossible"))
                for entry in facet.get("agregation") or []
                if isinstance(entry, dict)
                and entry.get("valeurPossible") not in (None, "")
                and entry.get("nbResultats")
            ]
    return []
