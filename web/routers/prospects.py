"""Staff prospect pages: the list, one prospect (profile, events, path, proposed offers + feedback), a
household (places where both partners find work)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from services.audit import record
from services.match_data import offers_for_candidate, record_feedback
from services.matching import household_places
from services.visibility import can_see_candidate
from store.models import Candidate, CandidateEvent, Event, Household, Offer
from web.deps import SessionDep, StaffUser, StaffWrite
from web.prospect_search import prospect_or_404, search_prospects
from web.templating import render

router = APIRouter(prefix="/equipe", include_in_schema=False)


@router.get("/prospects")
def prospects_list(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    q: str = "",
    statut: str = "",
    evenement: Annotated[int | None, Query(ge=1)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    result = search_prospects(session, user, q=q, status=statut, event_id=evenement, page=page)
    events = list(session.scalars(select(Event).order_by(Event.date.desc().nulls_last(), Event.name)))
    return render(
        request,
        "staff/prospects.html",
        {"result": result, "q": q, "statut": statut, "evenement": evenement, "events": events},
    )


@router.get("/prospects/{candidate_id}")
def prospect_page(request: Request, session: SessionDep, user: StaffUser, candidate_id: int) -> Response:
    candidate = prospect_or_404(session, user, candidate_id)
    events = list(
        session.execute(
            select(Event, CandidateEvent.met_at)
            .join(CandidateEvent, CandidateEvent.event_id == Event.id)
            .where(CandidateEvent.candidate_id == candidate.id)
            .order_by(CandidateEvent.met_at)
        )
    )
    matches = offers_for_candidate(session, candidate.id, limit=10)
    partners = []
    if candidate.household_id:
        partners = [
            c for c in session.scalars(
                select(Candidate).where(Candidate.household_id == candidate.household_id, Candidate.id != candidate.id)
            )
        ]
    record(session, user.email, "view_prospect", "candidate", candidate.id)
    session.commit()
    return render(
        request,
        "staff/prospect.html",
        {"candidate": candidate, "events": events, "matches": matches, "partners": partners,
         "saved": request.query_params.get("avis") == "ok"},
    )


@router.post("/prospects/{candidate_id}/avis")
def prospect_feedback(
    session: SessionDep,
    user: StaffWrite,
    candidate_id: int,
    offer_id: Annotated[int, Form()],
    relevant: Annotated[str, Form(pattern="^(oui|non)$")],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Mark a proposed match relevant or not, with a reason (kept apart from the ranking: MatchFeedback)."""
    candidate = prospect_or_404(session, user, candidate_id)
    if session.get(Offer, offer_id) is None:
        raise HTTPException(status_code=404)
    record_feedback(session, candidate.id, offer_id, relevant == "oui", reason.strip() or None, user.display_name)
    record(session, user.email, "match_feedback", "candidate", candidate.id,
           {"offer_id": offer_id, "relevant": relevant == "oui"})
    session.commit()
    return RedirectResponse(f"/equipe/prospects/{candidate.id}?avis=ok#offre-{offer_id}", status_code=303)


@router.get("/foyers/{household_id}")
def household_page(request: Request, session: SessionDep, user: StaffUser, household_id: int) -> Response:
    household = session.get(Household, household_id)
    if household is None:
        raise HTTPException(status_code=404)
    members = list(session.scalars(select(Candidate).where(Candidate.household_id == household.id)))
    # A référent sees a household only when every member is in their territory.
    if not members or not all(can_see_candidate(user, m) for m in members):
        raise HTTPException(status_code=404)
    places = list(household_places(session, household.id, limit=5))
    record(session, user.email, "view_household", "household", household.id)
    session.commit()
    return render(
        request,
        "staff/household.html",
        {"household": household, "members": members, "places": places},
    )
