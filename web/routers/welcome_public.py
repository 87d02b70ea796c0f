"""Public pages of the welcome loop: ambassador sign-up (``/ambassadeurs``), one-click withdrawal
(``/ambassadeurs/retrait/{token}``) and the double opt-in answer (``/accueil/mise-en-relation/{token}``).

No session here: a signed token is the only credential, a GET never changes anything (mail scanners follow
links), the change happens on the button's POST. Nothing about a household is shown on these pages beyond
what the introduction needs (the ambassador side sees "un foyer" and the communes it considers).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from matching.ambassadors import FAMILY_LABELS
from services.ambassadors import (
    CONSENT_TEXT,
    AmbassadorError,
    LinkGone,
    LinkNotFound,
    answer_introduction,
    public_view,
    resolve_introduction,
    sign_up,
    withdraw,
    withdrawal_token,
)
from services.shortlists import ShortlistError
from web.deps import SessionDep, SettingsDep
from web.routers.welcome import mailer
from web.templating import render

router = APIRouter(include_in_schema=False)
SECTORS = {
    "A": "Agriculture, espaces verts, animaux",
    "B": "Arts, artisanat d'art",
    "C": "Banque, assurance, immobilier",
    "D": "Commerce, vente",
    "E": "Communication, médias",
    "F": "Bâtiment, travaux publics",
    "G": "Hôtellerie, restauration, tourisme",
    "H": "Industrie",
    "I": "Installation, maintenance",
    "J": "Santé",
    "K": "Services à la personne, social, enseignement",
    "L": "Spectacle",
    "M": "Support à l'entreprise",
    "N": "Transport, logistique",
}


def _gone(request: Request, exc: Exception) -> Response:
    if isinstance(exc, LinkNotFound):
        raise HTTPException(status_code=404, detail="Lien invalide.")
    return render(request, "public/welcome_link_gone.html", {}, status_code=410)


def _form_context(values: dict[str, str], error: str | None) -> dict[str, object]:
    return {
        "values": values,
        "error": error,
        "families": FAMILY_LABELS,
        "sectors": SECTORS,
        "consent_text": CONSENT_TEXT,
    }


@router.get("/ambassadeurs")
def ambassador_form(request: Request) -> Response:
    return render(request, "public/ambassador_join.html", _form_context({}, None))


@router.post("/ambassadeurs")
async def ambassador_join(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        ambassador = sign_up(session, values, consent=values.get("consent") == "oui")
    except AmbassadorError as exc:
        return render(request, "public/ambassador_join.html", _form_context(values, str(exc)), status_code=422)
    session.commit()
    link = f"/ambassadeurs/retrait/{withdrawal_token(ambassador, settings.secret_key or '')}"
    return render(request, "public/ambassador_thanks.html", {"first_name": ambassador.first_name, "link": link})


@router.get("/ambassadeurs/retrait/{token}")
def ambassador_withdraw_page(request: Request, token: str) -> Response:
    return render(request, "public/ambassador_withdraw.html", {"token": token, "done": False})


@router.post("/ambassadeurs/retrait/{token}")
def ambassador_withdraw(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> Response:
    try:
        withdraw(session, token, settings.secret_key or "")
    except (LinkNotFound, LinkGone) as exc:
        return _gone(request, exc)
    session.commit()
    return render(request, "public/ambassador_withdraw.html", {"token": token, "done": True})


@router.get("/accueil/mise-en-relation/{token}")
def introduction_page(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> Response:
    try:
        intro, side = resolve_introduction(session, token, settings.secret_key or "")
    except (LinkNotFound, LinkGone) as exc:
        return _gone(request, exc)
    return render(
        request,
        "public/introduction.html",
        {"token": token, "view": public_view(session, intro, side), "answered": None},
    )


@router.post("/accueil/mise-en-relation/{token}")
async def introduction_answer(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> Response:
    form = await request.form()
    try:
        intro, side = resolve_introduction(session, token, settings.secret_key or "")
    except (LinkNotFound, LinkGone) as exc:
        return _gone(request, exc)
    accepted = form.get("answer") == "oui"
    view = public_view(session, intro, side)
    try:
        answer_introduction(session, intro, side, accepted, send=mailer(settings))
    except ShortlistError:  # the other side's contact could not be sent: nothing recorded, the link still works
        session.rollback()
        return render(request, "public/welcome_link_gone.html", {"retry": True}, status_code=503)
    session.commit()
    return render(
        request,
        "public/introduction.html",
        {"token": token, "view": view, "answered": accepted, "status": intro.status},
    )
