"""Staff offer pages: the searchable list and one offer with its provenance and best prospects."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select

from services.match_data import candidates_for_offer
from services.reference import domain_label, epci_name
from store.models import Offer, Posting, Shortlist
from web.deps import SessionDep, StaffUser
from web.offer_search import OfferFilters, filter_options, offer_filters, search_offers
from web.templating import render

router = APIRouter(prefix="/equipe/offres", include_in_schema=False)


Filters = Annotated[OfferFilters, Depends(offer_filters)]


@router.get("")
def offers_list(request: Request, session: SessionDep, user: StaffUser, filters: Filters) -> Response:
    result = search_offers(session, filters)
    return render(
        request,
        "staff/offers.html",
        {"filters": filters, "result": result, "options": cached_options(request, session), "epci_name": epci_name},
    )


def cached_options(request: Request, session) -> dict:  # type: ignore[no-untyped-def]
    """Filter choices, recomputed at most once a minute (a DISTINCT over every offer is not free)."""
    cache = getattr(request.app.state, "filter_options", None)
    if cache is None or time.monotonic() - cache[0] > 60:
        cache = (time.monotonic(), filter_options(session))
        request.app.state.filter_options = cache
    return cache[1]


@router.get("/{offer_id}")
def offer_page(request: Request, session: SessionDep, user: StaffUser, offer_id: int) -> Response:
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise HTTPException(status_code=404)
    postings = list(
        session.scalars(select(Posting).where(Posting.offer_id == offer.id).order_by(Posting.first_seen_at))
    )
    prospects = candidates_for_offer(session, offer.id, limit=10, user=user)
    shortlists = list(
        session.scalars(select(Shortlist).where(Shortlist.offer_id == offer.id).order_by(Shortlist.created_at.desc()))
    )
    return render(
        request,
        "staff/offer.html",
        {
            "offer": offer,
            "postings": postings,
            "prospects": prospects,
            "shortlists": shortlists,
            "epci_name": epci_name,
            "domain_label": domain_label,
        },
    )
