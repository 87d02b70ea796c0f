"""Staff shortlist pages: builder, preview of exactly what the employer sees, named approval, sending,
revocation, and the employer's answers."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from services.audit import record
from services.match_data import candidates_for_offer
from services.shortlists import (
    ShortlistError,
    approve_shortlist,
    build_shortlist,
    public_view,
    revoke_link,
    send_shortlist,
    shortlist_pdf,
)
from services.visibility import can_see_candidate
from store.models import Candidate, Offer, Shortlist, ShortlistEntry
from web.deps import SessionDep, SettingsDep, StaffUser, StaffWrite
from web.prospect_search import search_prospects
from web.templating import render

router = APIRouter(prefix="/equipe/listes", include_in_schema=False)

STATUS_TEXT = {"draft": "à approuver", "approved": "approuvée, à envoyer", "sent": "envoyée"}


def _shortlist_or_404(session, user, shortlist_id: int) -> Shortlist:  # type: ignore[no-untyped-def]
    shortlist = session.get(Shortlist, shortlist_id)
    if shortlist is None:
        raise HTTPException(status_code=404)
    # A référent only handles shortlists whose prospects are all in their territory (W4).
    if user.role == "referent":
        ids = [e.candidate_id for e in shortlist.entries]
        for candidate in session.scalars(select(Candidate).where(Candidate.id.in_(ids))):
            if not can_see_candidate(user, candidate):
                raise HTTPException(status_code=404)
    return shortlist


@router.get("")
def shortlists_list(request: Request, session: SessionDep, user: StaffUser) -> Response:
    answered = (
        select(ShortlistEntry.shortlist_id, func.count().label("n"))
        .where(ShortlistEntry.answer.is_not(None))
        .group_by(ShortlistEntry.shortlist_id)
        .subquery()
    )
    rows = list(
        session.execute(
            select(Shortlist, Offer.title, answered.c.n)
            .join(Offer, Offer.id == Shortlist.offer_id)
            .join(answered, answered.c.shortlist_id == Shortlist.id, isouter=True)
            .order_by(Shortlist.created_at.desc())
            .limit(200)
        )
    )
    return render(request, "staff/shortlists.html", {"rows": rows, "status_text": STATUS_TEXT})


@router.get("/nouvelle")
def builder(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    offre: Annotated[int, Query(ge=1)],
    q: str = "",
    error: str | None = None,
) -> Response:
    offer = session.get(Offer, offre)
    if offer is None:
        raise HTTPException(status_code=404)
    proposed = candidates_for_offer(session, offer.id, limit=30, user=user)
    found: list[Candidate] = []
    if q.strip():
        found = search_prospects(session, user, q=q, page_size=20).prospects
    recipient = offer.employer.contact_email if offer.employer else ""
    return render(
        request,
        "staff/shortlist_new.html",
        {"offer": offer, "proposed": proposed, "found": found, "q": q, "error": error, "recipient": recipient or ""},
    )


@router.post("")
async def create(
    request: Request,
    session: SessionDep,
    user: StaffWrite,
    offer_id: Annotated[int, Form()],
    recipient_email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    form = await request.form()
    try:
        ids = [int(value) for value in form.getlist("candidate_id") if isinstance(value, str)]
    except ValueError as exc:
        raise HTTPException(status_code=400, detail="Identifiant de prospect invalide.") from exc
    for candidate in session.scalars(select(Candidate).where(Candidate.id.in_(ids))):
        if not can_see_candidate(user, candidate):
            raise HTTPException(status_code=404)
    try:
        shortlist = build_shortlist(session, offer_id, ids, created_by=user.email, recipient_email=recipient_email)
    except ShortlistError as exc:
        session.rollback()
        offer = session.get(Offer, offer_id)
        if offer is None:
            raise HTTPException(status_code=404) from exc
        proposed = candidates_for_offer(session, offer.id, limit=30, user=user)
        return render(
            request,
            "staff/shortlist_new.html",
            {"offer": offer, "proposed": proposed, "found": [], "q": "", "error": str(exc),
             "recipient": recipient_email},
            status_code=400,
        )
    session.commit()
    return RedirectResponse(f"/equipe/listes/{shortlist.id}", status_code=303)


@router.get("/{shortlist_id}")
def shortlist_page(request: Request, session: SessionDep, user: StaffUser, shortlist_id: int) -> Response:
    shortlist = _shortlist_or_404(session, user, shortlist_id)
    offer = session.get(Offer, shortlist.offer_id)
    view = public_view(session, shortlist)
    names = {
        c.id: f"{c.first_name or ''} {c.last_name or ''}".strip()
        for c in session.scalars(select(Candidate).where(Candidate.id.in_([e.candidate_id for e in shortlist.entries])))
    }
    return render(
        request,
        "staff/shortlist.html",
        {"shortlist": shortlist, "offer": offer, "view": view, "names": names, "status_text": STATUS_TEXT,
         "message": request.query_params.get("message"), "error": request.query_params.get("erreur")},
    )


def _back(shortlist_id: int, *, message: str | None = None, error: str | None = None) -> RedirectResponse:
    params = {k: v for k, v in {"message": message, "erreur": error}.items() if v}
    return RedirectResponse(f"/equipe/listes/{shortlist_id}?{urlencode(params)}", status_code=303)


@router.post("/{shortlist_id}/approuver")
def approve(
    session: SessionDep, user: StaffWrite, shortlist_id: int, approver_name: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    shortlist = _shortlist_or_404(session, user, shortlist_id)
    try:
        approve_shortlist(session, shortlist, approver=f"{approver_name.strip()} <{user.email}>"
                          if approver_name.strip() else "")
    except ShortlistError as exc:
        session.rollback()
        return _back(shortlist_id, error=str(exc))
    session.commit()
    return _back(shortlist_id, message="Liste approuvée.")


@router.post("/{shortlist_id}/destinataire")
def set_recipient(
    session: SessionDep, user: StaffWrite, shortlist_id: int, recipient_email: Annotated[str, Form(max_length=320)]
) -> Response:
    shortlist = _shortlist_or_404(session, user, shortlist_id)
    email = recipient_email.strip()
    if "@" not in email or " " in email:
        return _back(shortlist_id, error=f"adresse invalide : {email}")
    if shortlist.recipient_email != email:
        shortlist.recipient_email = email
        if shortlist.status == "approved":
            # The approval named a recipient: a new one needs a new approval (P5).
            shortlist.status, shortlist.approved_by, shortlist.approved_at = "draft", None, None
        record(session, user.email, "shortlist_recipient", "shortlist", shortlist.id, {"recipient": email})
    session.commit()
    return _back(shortlist_id, message="Destinataire enregistré.")


@router.post("/{shortlist_id}/envoyer")
def send(session: SessionDep, settings: SettingsDep, user: StaffWrite, shortlist_id: int) -> Response:
    shortlist = _shortlist_or_404(session, user, shortlist_id)
    try:
        result = send_shortlist(session, shortlist, settings, actor=user.email)
    except ShortlistError as exc:
        session.rollback()
        record(session, user.email, "shortlist_send_refused", "shortlist", shortlist_id, {"reason": str(exc)})
        session.commit()
        return _back(shortlist_id, error=str(exc))
    session.commit()
    return _back(shortlist_id, message=f"Liste envoyée à {result.recipient}.")


@router.post("/{shortlist_id}/revoquer")
def revoke(session: SessionDep, user: StaffWrite, shortlist_id: int) -> Response:
    shortlist = _shortlist_or_404(session, user, shortlist_id)
    revoke_link(session, shortlist, actor=user.email)
    session.commit()
    return _back(shortlist_id, message="Lien révoqué : l'employeur ne peut plus l'ouvrir.")


@router.get("/{shortlist_id}/pdf")
def pdf(session: SessionDep, user: StaffUser, shortlist_id: int) -> Response:
    shortlist = _shortlist_or_404(session, user, shortlist_id)
    body = shortlist_pdf(public_view(session, shortlist))
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="liste-{shortlist.id}.pdf"'})
