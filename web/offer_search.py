"""Offer search for the staff list, the public board and the API: filters → one SQL query.

Filters: free text (title, employer, commune, ROME label), a place (commune, or within a radius around it),
an EPCI, a ROME domain, a contract type, a source (offers having a posting from it), open / closed.
Distance uses an equirectangular approximation in SQL (plain arithmetic: same on SQLite and PostgreSQL,
exact to well under 1 % at the Lot's scale) after a bounding-box prefilter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from services.reference import epci_name, resolve_place, rome_domains
from store.models import Offer, Posting, Source
from store.search import OFFERS, TextMatch, text_match
from web.templating import CONTRACT_LABELS

PAGE_SIZE = 50
# Counting every match of a broad search costs a scan; beyond this many, pages say "more than".
COUNT_CAP = 5_000
KM_PER_DEGREE_LAT = 110.57
KM_PER_DEGREE_LON_EQUATOR = 111.32


@dataclass
class OfferFilters:
    """What a user asked for (query-string parameters, all optional)."""

    q: str = ""
    lieu: str = ""
    rayon: float | None = None
    epci: str = ""
    domaine: str = ""
    contrat: str = ""
    source: str = ""
    statut: str = "open"
    page: int = 1

    def __post_init__(self) -> None:
        self.q = self.q.strip()[:200]
        self.lieu = self.lieu.strip()[:100]
        self.epci = self.epci.strip()[:9]
        self.domaine = self.domaine.strip().upper()[:3]
        self.contrat = self.contrat.strip()[:40]
        self.source = self.source.strip()[:80]
        self.statut = self.statut if self.statut in {"open", "closed", "all"} else "open"
        self.page = max(1, min(int(self.page or 1), 10_000))
        if self.rayon is not None:
            self.rayon = max(0.0, min(float(self.rayon), 300.0))


def offer_filters(
    q: str = "",
    lieu: str = "",
    rayon: Annotated[str, Query(max_length=10, description="rayon en km autour du lieu (0 à 300)")] = "",
    epci: str = "",
    domaine: str = "",
    contrat: str = "",
    source: str = "",
    statut: str = "open",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> OfferFilters:
    """The filters from the query string (a FastAPI dependency shared by the list pages and the API).

    An empty field of the search form arrives as an empty string: it means "no filter", never an error.
    """
    try:
        radius = float(rayon.replace(",", ".")) if rayon.strip() else None
    except ValueError:
        radius = None
    if radius is not None and not math.isfinite(radius):
        radius = None
    return OfferFilters(
        q=q, lieu=lieu, rayon=radius, epci=epci, domaine=domaine, contrat=contrat, source=source,
        statut=statut, page=page,
    )


@dataclass
class OfferPage:
    """One page of results and what was understood of the filters."""

    offers: list[Offer]
    total: int
    page: int
    page_size: int
    posting_counts: dict[int, int] = field(default_factory=dict)
    sources: dict[int, list[str]] = field(default_factory=dict)
    place_label: str | None = None
    place_unknown: bool = False
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere (wildcards in ``text`` escaped with a backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_text(session: Session, column, pattern: str):  # type: ignore[no-untyped-def]
    """``column`` contains ``pattern``, ignoring case.

    SQLite's LIKE already ignores ASCII case and its ``lower()`` only folds ASCII too, so ``ilike`` (which
    wraps both sides in ``lower()``) would cost twice as much for nothing there; PostgreSQL gets ILIKE.
    """
    if session.get_bind().dialect.name == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def _place_condition(session: Session, filters: OfferFilters, page: OfferPage):  # type: ignore[no-untyped-def]
    """The SQL condition of the place filter (commune, or radius around it)."""
    place = resolve_place(filters.lieu)
    lat = lon = None
    if place is not None and place.lat is not None and place.lon is not None:
        lat, lon = place.lat, place.lon
        page.place_label = place.name
    else:
        # Without the gazetteer: the coordinates of an offer already located in that commune.
        row = session.execute(
            select(Offer.commune_insee, Offer.commune_name, Offer.lat, Offer.lon)
            .where(
                or_(func.lower(Offer.commune_name) == filters.lieu.lower(), Offer.commune_insee == filters.lieu,
                    Offer.postal_code == filters.lieu),
                Offer.lat.is_not(None),
            )
            .limit(1)
        ).first()
        if row is not None:
            lat, lon = row.lat, row.lon
            page.place_label = row.commune_name
            place = None
    if filters.rayon and lat is not None and lon is not None:
        dlat = filters.rayon / KM_PER_DEGREE_LAT
        cos_lat = max(math.cos(math.radians(lat)), 0.01)
        dlon = filters.rayon / (KM_PER_DEGREE_LON_EQUATOR * cos_lat)
        dx = (Offer.lon - lon) * (KM_PER_DEGREE_LON_EQUATOR * cos_lat)
        dy = (Offer.lat - lat) * KM_PER_DEGREE_LAT
        return and_(
            Offer.lat.between(lat - dlat, lat + dlat),
            Offer.lon.between(lon - dlon, lon + dlon),
            dx * dx + dy * dy <= filters.rayon * filters.rayon,
        )
    if place is not None and place.insee:
        return Offer.commune_insee == place.insee
    if page.place_label:
        return func.lower(Offer.commune_name) == page.place_label.lower()
    page.place_unknown = True
    pattern = like_pattern(filters.lieu)
    return or_(contains_text(session, Offer.commune_name, pattern),
               contains_text(session, Offer.location_label, pattern))


def build_query(
    session: Session, filters: OfferFilters, page: OfferPage, *, public: bool, match: TextMatch | None = None
) -> Select:
    """The filtered ``SELECT`` of offers (not yet ordered nor paginated); ``match``: the text search."""
    query = select(Offer) if match is None else match.apply(select(Offer))
    conditions = []
    if public:
        now = datetime.now(UTC)
        conditions += [
            Offer.status == "open",
            Offer.published.is_(True),
            or_(Offer.expires_at.is_(None), Offer.expires_at >= now),
        ]
    elif filters.statut in {"open", "closed"}:
        conditions.append(Offer.status == filters.statut)
    if filters.lieu:
        conditions.append(_place_condition(session, filters, page))
    if filters.epci:
        conditions.append(Offer.epci == filters.epci)
    if filters.domaine:
        # A range on the indexed code rather than a LIKE: "J15" ≤ code < "J15~".
        conditions.append(and_(Offer.rome_code >= filters.domaine, Offer.rome_code < filters.domaine + "~"))
    if filters.contrat:
        conditions.append(Offer.contract_type == filters.contrat)
    if filters.source:
        # The source's postings first (indexed), then their offers: cheaper than EXISTS per offer.
        conditions.append(Offer.id.in_(select(Posting.offer_id).where(Posting.source_id == filters.source)))
    return query.where(*conditions)


def search_offers(
    session: Session, filters: OfferFilters, *, public: bool = False, page_size: int = PAGE_SIZE
) -> OfferPage:
    """One page of offers with their postings' counts and sources.

    With words to search: the database's full-text index (``store.search``), best match first. Without:
    newest publication first.
    """
    page = OfferPage(offers=[], total=0, page=filters.page, page_size=page_size)
    match = text_match(session, OFFERS, filters.q) if filters.q else None
    query = build_query(session, filters, page, public=public, match=match)
    offset = (filters.page - 1) * page_size
    order = (Offer.published_at.desc().nulls_last(), Offer.id.desc())
    if match is not None:
        # One ranked pass over the matches (up to the cap) gives the count and the page's ids.
        found = _ids(session, query.with_only_columns(Offer.id).order_by(match.relevance, *order).limit(COUNT_CAP + 1))
        _count(page, found)
        wanted = found[offset: offset + page_size]
        by_id = {offer.id: offer for offer in session.scalars(select(Offer).where(Offer.id.in_(wanted)))}
        page.offers = [by_id[i] for i in wanted if i in by_id]
        _add_sources(session, page)
        return page
    # One pass collects the matches' ids (up to the cap): that is the count, and when the cap is not reached
    # the page is sorted from those rows only. Only broad lists (cap reached: matches are dense) walk the
    # (status, published_at) index for the page, which then stops after a few rows.
    found = _ids(session, query.with_only_columns(Offer.id).limit(COUNT_CAP + 1))
    _count(page, found)
    if not page.total:
        page.offers = []
    elif not page.capped:
        page.offers = list(
            session.scalars(select(Offer).where(Offer.id.in_(found)).order_by(*order).limit(page_size).offset(offset))
        )
    else:
        page.offers = _newest_page(session, query, page_size, offset)
    _add_sources(session, page)
    return page


def _newest_page(session: Session, query: Select, limit: int, offset: int) -> list[Offer]:
    """``query`` ordered by ``published_at DESC NULLS LAST, id DESC``, one page, read from the
    (status, published_at, id) index on both databases.

    PostgreSQL cannot walk an ascending index for ``DESC NULLS LAST`` (a backward walk gives NULLS FIRST): it
    sorted every open offer instead, 117 ms at 100,000 offers against 0.3 ms for the walk. So the dated offers
    come first (``published_at IS NOT NULL``, plain ``DESC``), then, when the page reaches past them, the
    undated ones newest id first: the same rows in the same order as the single query.
    """
    dated = list(session.scalars(
        query.where(Offer.published_at.is_not(None)).order_by(Offer.published_at.desc(), Offer.id.desc())
        .limit(limit).offset(offset)
    ))
    if len(dated) == limit:
        return dated
    undated_offset = 0
    if not dated and offset:
        # The page starts among the undated offers, after every dated one.
        dated_count = session.scalar(select(func.count()).select_from(
            query.with_only_columns(Offer.id).where(Offer.published_at.is_not(None)).subquery())) or 0
        undated_offset = offset - dated_count
    undated = session.scalars(
        query.where(Offer.published_at.is_(None)).order_by(Offer.id.desc()).limit(limit - len(dated))
        .offset(undated_offset)
    )
    return dated + list(undated)


def _ids(session: Session, query: Select) -> list[int]:
    """The ids a query selects, read through the session's connection: up to 5,001 plain integers do not need
    the ORM's row processing (3× the CPU of the query itself at 100,000 offers)."""
    return list(session.connection().execute(query).scalars().all())


def _count(page: OfferPage, found: list[int]) -> None:
    page.capped = len(found) > COUNT_CAP
    page.total = min(len(found), COUNT_CAP)


def _add_sources(session: Session, page: OfferPage) -> None:
    """The postings' counts and source names of the page's offers."""
    ids = [offer.id for offer in page.offers]
    if ids:
        rows = session.execute(
            select(Posting.offer_id, Source.name, Posting.source_id)
            .join(Source, Source.id == Posting.source_id, isouter=True)
            .where(Posting.offer_id.in_(ids))
        )
        for offer_id, source_name, source_id in rows:
            page.posting_counts[offer_id] = page.posting_counts.get(offer_id, 0) + 1
            names = page.sources.setdefault(offer_id, [])
            label = source_name or source_id
            if label not in names:
                names.append(label)


def filter_options(session: Session) -> dict[str, list[tuple[str, str]]]:
    """Choices for the filter drop-downs (EPCIs present, sources, contracts, ROME domains)."""
    epcis = [e for e in session.scalars(select(Offer.epci).where(Offer.epci.is_not(None)).distinct()) if e]
    sources = list(session.execute(select(Source.id, Source.name).order_by(Source.name)))
    # Only the domains that have open offers: a list of 110 mostly empty domains helps nobody.
    present = {code[:3] for code in session.scalars(
        select(Offer.rome_code).where(Offer.rome_code.is_not(None), Offer.status == "open").distinct()
    ) if code}
    return {
        "epcis": sorted(((e, epci_name(e)) for e in epcis), key=lambda item: item[1]),
        "sources": [(sid, name or sid) for sid, name in sources],
        "contracts": list(CONTRACT_LABELS.items()),
        "domains": [(code, label) for code, label in rome_domains() if code in present],
    }
