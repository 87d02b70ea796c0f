"""Public pages of the employers' network: the join form (``/reseau/adherer``), the "ce profil m'intéresse"
answer behind a signed digest link (``/reseau/interet/{token}``) and the prospects' unsubscribe link
(``/desinscription/{token}``).

These pages have no session: a signed token is the only credential, and a GET never changes anything (mail
scanners follow links) — the change happens on the confirmation button's POST.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from services.abuse import carried_stamp, check_form, form_stamp
from services.network.common import INTEREST_LINK_DAYS, NetworkError, unsign
from services.network.digests import record_interest
from services.network.members import check_join_form, sector_choices, submit_join
from services.network.selections import unsubscribe
from store.models import Candidate, NetworkMember
from web.deps import SessionDep, SettingsDep
from web.templating import render

router = APIRouter(include_in_schema=False)

UNSUBSCRIBE_LINK_DAYS = 3650


async def form_fields(request: Request) -> dict[str, str]:
    """The submitted form as plain strings (files and repeated keys ignored)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


@router.get("/reseau/adherer")
def join_form(request: Request, settings: SettingsDep) -> Response:
    return render(request, "network/join.html", {"values": {}, "errors": {}, "sectors": sector_choices(),
                                                 "stamp": form_stamp(settings.secret_key or "")})


@router.post("/reseau/adherer")
async def join(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    fields = await form_fields(request)
    secret = settings.secret_key or ""
    check = check_join_form(fields)
    # A form with errors stores and sends nothing: it is shown again with its errors (and the stamp it was
    # first shown with) before any robot check, which applies to what would be stored.
    if check.ok:
        ip = request.client.host if request.client else None
        refused = check_form(session, "network_join", ip=ip, secret=secret, fields=fields)
        if refused is not None:
            session.commit()
            if refused == "rate_ip":
                return render(request, "network/join.html", {
                    "values": fields, "errors": {}, "sectors": sector_choices(),
                    "stamp": carried_stamp(secret, fields),
                    "refused": "Trop de demandes depuis votre adresse : réessayez dans une heure.",
                }, status_code=429)
            return RedirectResponse("/reseau/merci", status_code=303)  # a robot learns nothing
        try:
            submit_join(session, check)
        except NetworkError as exc:
            check.errors["siret"] = str(exc)
        else:
            session.commit()
            return RedirectResponse("/reseau/merci", status_code=303)
    return render(
        request,
        "network/join.html",
        {"values": fields, "errors": check.errors, "sectors": sector_choices(),
         "stamp": carried_stamp(secret, fields)},
        status_code=422,
    )


@router.get("/reseau/merci")
def join_thanks(request: Request) -> Response:
    return render(request, "network/thanks.html", {})


def _interest_payload(token: str, settings) -> dict:  # type: ignore[no-untyped-def]
    payload = unsign(settings.secret_key or "", "interest", token, max_age_days=INTEREST_LINK_DAYS)
    if payload is None:
        raise HTTPException(status_code=410, detail="Ce lien a expiré ou n'est pas valide.")
    return payload


@router.get("/reseau/interet/{token}")
def interest_page(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> Response:
    payload = _interest_payload(token, settings)
    member = session.query(NetworkMember).filter_by(employer_id=payload.get("e")).one_or_none()
    if member is None:
        raise HTTPException(status_code=404)
    return render(
        request,
        "network/interest.html",
        {"token": token, "profile_id": payload.get("c"), "member": member, "done": False},
    )


@router.post("/reseau/interet/{token}")
def interest_answer(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> Response:
    payload = _interest_payload(token, settings)
    member = session.query(NetworkMember).filter_by(employer_id=payload.get("e")).one_or_none()
    if member is None:
        raise HTTPException(status_code=404)
    try:
        record_interest(
            session,
            int(payload["e"]),
            int(payload["c"]),
            digest_id=payload.get("d"),
            channel="link",
            actor=member.contact_email,
        )
    except (NetworkError, KeyError, TypeError, ValueError) as exc:
        raise HTTPException(status_code=410, detail="Ce profil n'est plus disponible.") from exc
    session.commit()
    return render(
        request,
        "network/interest.html",
        {"token": token, "profile_id": payload.get("c"), "member": member, "done": True},
    )


def _unsubscribe_candidate(session, settings, token: str) -> Candidate:  # type: ignore[no-untyped-def]
    payload = unsign(settings.secret_key or "", "unsubscribe", token, max_age_days=UNSUBSCRIBE_LINK_DAYS)
    candidate = session.get(Candidate, payload.get("c")) if payload else None
    if candidate is None:
        raise HTTPException(status_code=404, detail="Ce lien de désinscription n'est pas valide.")
    return candidate


@router.get("/desinscription/{token}")
def unsubscribe_page(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> Response:
    candidate = _unsubscribe_candidate(session, settings, token)
    return render(
        request,
        "network/unsubscribe.html",
        {
            "token": token,
            "done": candidate.unsubscribed_at is not None,
            "already": candidate.unsubscribed_at is not None,
        },
    )


@router.post("/desinscription/{token}")
def unsubscribe_confirm(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> Response:
    """Also the RFC 8058 one-click target (``List-Unsubscribe-Post``)."""
    candidate = _unsubscribe_candidate(session, settings, token)
    unsubscribe(session, candidate.id)
    session.commit()
    return render(request, "network/unsubscribe.html", {"token": token, "done": True, "already": False})
