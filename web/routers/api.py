"""The JSON API (``/api/…``, OpenAPI at ``/api/openapi.json``).

Public: ``GET /api/offers``, ``GET /api/offers/{id}`` (the board's data). Staff (session cookie, and the
``X-CSRF-Token`` header on writes): offers with provenance, prospects, their matches and feedback.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import func, select

from services.match_data import offers_for_candidate, record_feedback
from store.models import Candidate, Offer, Posting
from web.deps import SessionDep, SettingsDep, StaffUser, StaffWrite
from web.offer_search import search_offers
from web.prospect_search import prospect_or_404, search_prospects
from web.routers.offers import Filters
from web.schemas import (
    FeedbackIn,
    FeedbackOut,
    MatchOut,
    OfferPage,
    OfferPublic,
    OfferStaff,
    PostingOut,
    ProspectOut,
    ProspectPage,
    ProspectSummary,
)

router = APIRouter(prefix="/api", tags=["api"])


def _offer_public(offer: Offer, base_url: str) -> OfferPublic:
    fields = {name: getattr(offer, name) for name in OfferPublic.model_fields if name not in {"url", "title"}}
    return OfferPublic(**fields, title=offer.title_clean or offer.title, url=f"{base_url}/offres/{offer.id}")


@router.get("/offers", response_model=OfferPage, summary="Offres ouvertes du site public")
def list_offers(session: SessionDep, settings: SettingsDep, filters: Filters) -> OfferPage:
    result = search_offers(session, filters, public=True)
    base = settings.public_url.rstrip("/")
    return OfferPage(total=result.total, total_is_capped=result.capped, page=result.page, page_size=result.page_size,
                     offers=[_offer_public(o, base) for o in result.offers])


@router.get("/offers/{offer_id}", response_model=OfferPublic, summary="Une offre du site public")
def get_offer(session: SessionDep, settings: SettingsDep, offer_id: int) -> OfferPublic:
    offer = session.get(Offer, offer_id)
    if offer is None or offer.status != "open" or not offer.published:
        raise HTTPException(status_code=404, detail="Offre introuvable.")
    return _offer_public(offer, settings.public_url.rstrip("/"))


@router.get("/staff/offers/{offer_id}", response_model=OfferStaff, summary="Une offre et ses annonces (équipe)")
def get_offer_staff(session: SessionDep, settings: SettingsDep, user: StaffUser, offer_id: int) -> OfferStaff:
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise HTTPException(status_code=404, detail="Offre introuvable.")
    postings = session.scalars(select(Posting).where(Posting.offer_id == offer_id).order_by(Posting.id))
    public = _offer_public(offer, settings.public_url.rstrip("/")).model_dump()
    return OfferStaff(
        **public, status=offer.status, published=offer.published, epci=offer.epci,
        flags=[str(f) for f in offer.flags or []],
        postings=[PostingOut.model_validate(p) for p in postings],
    )


@router.get("/prospects", response_model=ProspectPage, summary="Prospects visibles (équipe)")
def list_prospects(
    session: SessionDep,
    user: StaffUser,
    q: str = "",
    statut: str = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> ProspectPage:
    result = search_prospects(session, user, q=q, status=statut, page=page)
    return ProspectPage(total=result.total, page=result.page, page_size=result.page_size,
                        prospects=[ProspectSummary.model_validate(c) for c in result.prospects])


@router.get("/prospects/{candidate_id}", response_model=ProspectOut, summary="Un prospect (équipe)")
def get_prospect(session: SessionDep, user: StaffUser, candidate_id: int) -> ProspectOut:
    return ProspectOut.model_validate(prospect_or_404(session, user, candidate_id))


@router.get("/prospects/{candidate_id}/matches", response_model=list[MatchOut], summary="Offres proposées")
def get_matches(session: SessionDep, user: StaffUser, candidate_id: int, limit: int = Query(10, ge=1, le=100)):  # type: ignore[no-untyped-def]
    prospect_or_404(session, user, candidate_id)
    return [
        MatchOut(
            offer_id=row.match.offer_id,
            offer_title=(row.offer.title_clean or row.offer.title) if row.offer else None,
            score=row.match.score,
            reasons=[str(r) for r in row.match.reasons or []],
            relevant=row.feedback.relevant if row.feedback else None,
            feedback_reason=row.feedback.reason if row.feedback else None,
        )
        for row in offers_for_candidate(session, candidate_id, limit=limit)
    ]


@router.post("/prospects/{candidate_id}/feedback", response_model=FeedbackOut, summary="Juger une proposition")
def post_feedback(
    request: Request, session: SessionDep, user: StaffWrite, candidate_id: int, body: FeedbackIn
) -> FeedbackOut:
    prospect_or_404(session, user, candidate_id)
    if session.get(Offer, body.offer_id) is None:
        raise HTTPException(status_code=404, detail="Offre introuvable.")
    row = record_feedback(session, candidate_id, body.offer_id, body.relevant, body.reason, user.display_name)
    session.commit()
    return FeedbackOut(candidate_id=candidate_id, offer_id=body.offer_id, relevant=row.relevant,
                       reason=row.reason, staff=row.staff)


@router.get("/stats", summary="Chiffres clés (équipe)")
def stats(session: SessionDep, user: StaffUser) -> dict[str, int]:
    return {
        "offers_open": session.scalar(select(func.count()).select_from(Offer).where(Offer.status == "open")) or 0,
        "prospects": session.scalar(select(func.count()).select_from(Candidate)) or 0,
    }
