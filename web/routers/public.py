"""The public offers board "Le Lot recrute" (``/offres``): open, deduplicated, published offers only.

No personal data on any of these pages: they read ``Offer`` rows and nothing about prospects.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from services.reference import epci_name
from store.models import Offer
from web.deps import SessionDep, SettingsDep
from web.jsonld import job_posting, rss_feed
from web.offer_search import OfferFilters, search_offers
from web.routers.offers import Filters, cached_options
from web.templating import render

router = APIRouter(prefix="/offres", include_in_schema=False)

BOARD_TITLE = "Le Lot recrute"
BOARD_DESCRIPTION = "Les offres d'emploi des employeurs du Lot, réunies par Oh my Lot !"


SEARCH_KEYS = ("q", "lieu", "rayon", "epci", "domaine", "contrat", "page")


def search_query(request: Request) -> str:
    """The board's search (``?q=…&lieu=…``), carried to an offer and back so that "retour" keeps it."""
    kept = [(key, value) for key, value in request.query_params.multi_items() if key in SEARCH_KEYS and value]
    return "?" + urlencode(kept) if kept else ""


def public_offer_or_404(session, offer_id: int) -> Offer:  # type: ignore[no-untyped-def]
    offer = session.get(Offer, offer_id)
    if offer is None or offer.status != "open" or not offer.published:
        raise HTTPException(status_code=404)
    return offer


@router.get("")
def board(request: Request, session: SessionDep, filters: Filters) -> Response:
    result = search_offers(session, filters, public=True, page_size=20)
    return render(
        request,
        "public/board.html",
        {"filters": filters, "result": result, "options": cached_options(request, session), "epci_name": epci_name,
         "board_title": BOARD_TITLE, "user": None, "back_query": search_query(request)},
    )


@router.get("/rss.xml")
def rss(session: SessionDep, settings: SettingsDep) -> Response:
    result = search_offers(session, OfferFilters(), public=True, page_size=100)
    body = rss_feed(
        result.offers, base_url=settings.public_url.rstrip("/"), title=BOARD_TITLE, description=BOARD_DESCRIPTION
    )
    return Response(body, media_type="application/rss+xml; charset=utf-8")


@router.get("/{offer_id}")
def public_offer(request: Request, session: SessionDep, settings: SettingsDep, offer_id: int) -> Response:
    offer = public_offer_or_404(session, offer_id)
    url = f"{settings.public_url.rstrip('/')}/offres/{offer.id}"
    return render(
        request,
        "public/offer.html",
        {"offer": offer, "jsonld": job_posting(offer, url), "board_title": BOARD_TITLE, "user": None,
         "epci_name": epci_name, "back_query": search_query(request), "contact_email": settings.contact_email,
         "contact_phone": settings.contact_phone},
    )
