"""Staff shortlist pages: builder, preview of exactly what the employer sees, named approval, sending,
revocation, and the employer's answers."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from services.audit import record
from services.followup import mark_answers_seen
from services.match_data import candidates_for_offer
from services.shortlists import (
    ShortlistError,
    already_proposed,
    approve_shortlist,
    build_shortlist,
    public_view,
    revoke_link,
    send_shortlist,
    shortlist_pdf,
    suggested_recipient,
)
from services.visibility import can_see_candidate, candidate_scope
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
    query = (
        select(Shortlist, Offer.title, answered.c.n)
        .join(Offer, Offer.id == Shortlist.offer_id)
        .join(answered, answered.c.shortlist_id == Shortlist.id, isouter=True)
    )
    scope = candidate_scope(session, user)
    if scope is not None:
        # A référent lists only the shortlists they may open: every prospect of it in their territory.
        outside = select(ShortlistEntry.shortlist_id).where(
            ShortlistEntry.candidate_id.not_in(select(Candidate.id).where(scope))
        )
        query = query.where(Shortlist.id.not_in(outside))
    rows = list(session.execute(query.order_by(Shortlist.created_at.desc()).limit(200)))
    return render(request, "staff/shortlists.html", {"rows": rows, "status_text": STATUS_TEXT})


def _builder_page(
    request: Request, session, user, offer: Offer, *, q: str = "", ticked: list[int] | None = None,  # type: ignore[no-untyped-def]
    recipient: str | None = None, error: str | None = None, status_code: int = 200,
) -> Response:
    """The builder: proposed prospects, searched ones (never twice), the boxes already ticked kept, the
    prospects already proposed for this offer shown but not tickable, the recipient prefilled."""
    ticked = list(dict.fromkeys(ticked or []))
    proposed = candidates_for_offer(session, offer.id, limit=30, user=user)
    shown = {row.candidate.id for row in proposed if row.candidate is not None}
    found: list[Candidate] = []
    if q.strip():
        found = [c for c in search_prospects(session, user, q=q, page_size=20).prospects if c.id not in shown]
        shown |= {c.id for c in found}
    kept = [c for c in session.scalars(select(Candidate).where(Candidate.id.in_([i for i in ticked if i not in shown])))
            if can_see_candidate(user, c)]
    return render(
        request,
        "staff/shortlist_new.html",
        {"offer": offer, "proposed": proposed, "found": found, "kept": kept, "q": q, "error": error,
         "ticked": set(ticked), "already": already_proposed(session, offer.id),
         "recipient": suggested_recipient(session, offer) if recipient is None else recipient},
        status_code=status_code,
    )


def _ids(values: list[object]) -> list[int]:
    try:
        return [int(value) for value in values if isinstance(value, str) and value.strip()]
    except ValueError as exc:
        raise HTTPException(status_code=400, detail="Identifiant de prospect invalide.") from exc


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
    return _builder_page(request, session, user, offer, q=q, error=error)


@router.post("/nouvelle")
async def builder_search(request: Request, session: SessionDep, user: StaffWrite) -> Response:
    """"Chercher d'autres prospects" from inside the builder's form: the ticks and the address are kept."""
    form = await request.form()
    raw_offer = str(form.get("offer_id") or "")
    offer = session.get(Offer, int(raw_offer)) if raw_offer.isdigit() else None
    if offer is None:
        raise HTTPException(status_code=404)
    return _builder_page(request, session, user, offer, q=str(form.get("q") or "")[:200],
                         ticked=_ids(form.getlist("candidate_id")), recipient=str(form.get("recipient_email") or ""))


@router.post("")
async def create(
    request: Request,
    session: SessionDep,
    user: StaffWrite,
    offer_id: Annotated[int, Form()],
    recipient_email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    form = await request.form()
    ids = _ids(form.getlist("candidate_id"))
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
        return _builder_page(request, session, user, offer, ticked=ids, recipient=recipient_email, error=str(exc),
                             status_code=400)
    session.commit()
    return RedirectResponse(f"/equipe/listes/{shortlist.id}", status_code=303)


@router.get("/{shortlist_id}")
def shortlist_page(request: Request, session: SessionDep, user: StaffUser, shortlist_id: int) -> Response:
    shortlist = _shortlist_or_404(session, user, shortlist_id)
    offer = session.get(Offer, shortlist.offer_id)
    view = public_view(session, shortlist)
    if shortlist.status == "sent" and mark_answers_seen(session, shortlist, actor=user.email):
        session.commit()
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


def _valid_address(email: str) -> bool:
    return "@" in email and " " not in email and len(email) <= 320


@router.post("/{shortlist_id}/approuver")
def approve(
    session: SessionDep, user: StaffWrite, shortlist_id: int,
    approver_name: Annotated[str, Form(max_length=200)] = "",
    recipient_email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Approve the list and its recipient in one step (P5): nothing done after can silently undo it."""
    shortlist = _shortlist_or_404(session, user, shortlist_id)
    email = recipient_email.strip()
    if email and shortlist.status == "draft" and email != shortlist.recipient_email:
        if not _valid_address(email):
            return _back(shortlist_id, error=f"adresse invalide : {email}")
        shortlist.recipient_email = email
        record(session, user.email, "shortlist_recipient", "shortlist", shortlist.id, {"recipient": email})
    try:
        approve_shortlist(session, shortlist, approver=f"{approver_name.strip()} <{user.email}>"
                          if approver_name.strip() else "")
    except ShortlistError as exc:
        session.rollback()
        return _back(shortlist_id, error=str(exc))
    session.commit()
    message = f"Liste approuvée. Destinataire : {shortlist.recipient_email}. Vous pouvez l'envoyer."
    return _back(shortlist_id, message=message)


@router.post("/{shortlist_id}/destinataire")
def set_recipient(
    session: SessionDep, user: StaffWrite, shortlist_id: int, recipient_email: Annotated[str, Form(max_length=320)]
) -> Response:
    shortlist = _shortlist_or_404(session, user, shortlist_id)
    email = recipient_email.strip()
    if not _valid_address(email):
        return _back(shortlist_id, error=f"adresse invalide : {email}")
    if shortlist.recipient_email == email:
        return _back(shortlist_id, message="Destinataire inchangé.")
    shortlist.recipient_email = email
    message = "Destinataire enregistré."
    if shortlist.status == "approved":
        # The approval named a recipient: a new one needs a new approval (P5), and the page says so.
        shortlist.status, shortlist.approved_by, shortlist.approved_at = "draft", None, None
        message = "Destinataire changé : l'approbation précédente ne vaut plus, approuvez de nouveau la liste."
    record(session, user.email, "shortlist_recipient", "shortlist", shortlist.id, {"recipient": email})
    session.commit()
    return _back(shortlist_id, message=message)


@router.post("/{shortlist_id}/envoyer")
def send(session: SessionDep, settings: SettingsDep, user: StaffWrite, shortlist_id: int) -> Response:
    shortlist = _shortlist_or_404(session, user, shortlist_id)
    try:
        result = send_shortlist(session, shortlist, settings, actor=user.email, sender=user.user)
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
