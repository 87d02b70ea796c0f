"""Employer pages: the shortlist behind a signed link (``/employeur/{token}``), and for employer accounts
their own shortlists (``/employeur/listes``). Anything else answers 404 (W4, W5)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from services.auth import NotFoundForRole
from services.followup import employer_answered
from services.shortlists import (
    LinkGone,
    LinkNotFound,
    ShortlistError,
    notify_followers,
    public_view,
    resolve_link,
    save_answers,
)
from store.models import Offer, Shortlist
from web.deps import CurrentUserDep, SessionDep, SettingsDep, UserWrite
from web.templating import render

router = APIRouter(prefix="/employeur", include_in_schema=False)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _open(session, token: str, settings, request: Request) -> Shortlist:  # type: ignore[no-untyped-def]
    try:
        return resolve_link(session, token, settings, ip=_client_ip(request))
    except LinkNotFound as exc:
        session.commit()  # keep the audit row of the failed access
        raise HTTPException(status_code=404) from exc
    except LinkGone as exc:
        session.commit()
        raise HTTPException(status_code=410, detail=gone_text(settings)) from exc


def gone_text(settings) -> str:  # type: ignore[no-untyped-def]
    """What an employer with an old link should do, in French."""
    phone = f" ou appelez le {settings.contact_phone}" if settings.contact_phone else ""
    return (
        "Ce lien n'est plus valable : il a expiré, ou l'équipe Oh my Lot ! vous en a envoyé un plus récent. "
        "Regardez le dernier e-mail reçu de notre part, ou répondez-y pour demander un nouveau lien "
        f"(ou écrivez à {settings.contact_email}{phone}) : nous vous renverrons la liste des candidats."
    )


async def _answers_from_form(request: Request) -> dict[int, tuple[str | None, str | None]]:
    form = await request.form()
    answers: dict[int, tuple[str | None, str | None]] = {}
    for key in form.keys():
        prefix, _, raw_id = key.partition("_")
        if prefix not in {"answer", "comment"} or not raw_id.isdigit():
            continue
        entry_id = int(raw_id)
        answer = form.get(f"answer_{entry_id}")
        comment = form.get(f"comment_{entry_id}")
        answers[entry_id] = (answer if isinstance(answer, str) else None, comment if isinstance(comment, str) else None)
    return answers


@router.get("/listes")
def employer_lists(request: Request, session: SessionDep, user: CurrentUserDep) -> Response:
    if user.role != "employer" or not user.user.employer_id:
        raise NotFoundForRole
    rows = list(
        session.execute(
            select(Shortlist, Offer.title)
            .join(Offer, Offer.id == Shortlist.offer_id)
            .where(Shortlist.employer_id == user.user.employer_id, Shortlist.status == "sent")
            .order_by(Shortlist.sent_at.desc())
        )
    )
    return render(request, "employer/list.html", {"shortlists": rows})


def _own_shortlist(session, user, shortlist_id: int) -> Shortlist:  # type: ignore[no-untyped-def]
    shortlist = session.get(Shortlist, shortlist_id)
    if (
        user.role != "employer"
        or shortlist is None
        or shortlist.status != "sent"
        or not user.user.employer_id
        or shortlist.employer_id != user.user.employer_id
    ):
        raise NotFoundForRole
    return shortlist


@router.get("/listes/{shortlist_id}")
def employer_list_page(request: Request, session: SessionDep, user: CurrentUserDep, shortlist_id: int) -> Response:
    shortlist = _own_shortlist(session, user, shortlist_id)
    return render(
        request,
        "employer/shortlist.html",
        {"view": public_view(session, shortlist), "action": f"/employeur/listes/{shortlist.id}",
         "saved": request.query_params.get("enregistre") == "1"},
    )


@router.post("/listes/{shortlist_id}")
async def employer_list_answer(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserWrite, shortlist_id: int
) -> Response:
    shortlist = _own_shortlist(session, user, shortlist_id)
    action = f"/employeur/listes/{shortlist.id}"
    refused = await _save(request, session, settings, shortlist, actor=user.email, action=action)
    return refused or RedirectResponse(f"{action}?enregistre=1", status_code=303)


@router.get("/{token}")
def link_page(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> Response:
    shortlist = _open(session, token, settings, request)
    view = public_view(session, shortlist)
    session.commit()
    return render(
        request,
        "employer/shortlist.html",
        {"view": view, "action": f"/employeur/{token}", "saved": request.query_params.get("enregistre") == "1",
         "user": None, "csrf_token": ""},
    )


@router.post("/{token}")
async def link_answer(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> Response:
    # The unguessable token in the URL is the proof of the link; the middleware refuses other sites (W2).
    shortlist = _open(session, token, settings, request)
    refused = await _save(request, session, settings, shortlist, actor="employer-link",
                          action=f"/employeur/{token}")
    return refused or RedirectResponse(f"/employeur/{token}?enregistre=1", status_code=303)


async def _save(request: Request, session, settings, shortlist: Shortlist, *, actor: str,  # type: ignore[no-untyped-def]
                action: str) -> Response | None:
    """Store the answers, move the prospects on and tell their référents; a page when refused."""
    answers = await _answers_from_form(request)
    try:
        save_answers(session, shortlist, answers, actor=actor)
    except LinkNotFound as exc:
        session.rollback()
        raise HTTPException(status_code=404) from exc
    except ShortlistError as exc:
        session.rollback()
        return render(request, "employer/shortlist.html",
                      {"view": public_view(session, shortlist), "action": action, "saved": False,
                       "error": str(exc), **({"user": None, "csrf_token": ""} if actor == "employer-link" else {})},
                      status_code=400)
    answered = [entry_id for entry_id, (answer, _) in answers.items() if answer in {"interested", "not_interested"}]
    notices = employer_answered(session, shortlist, answered)
    session.commit()
    notify_followers(session, settings, notices)
    return None

