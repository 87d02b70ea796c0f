"""The member space of the employers' network (``/membre``): sign in by e-mailed link, offers typed in by the
member (submit, edit, see their review and every offer of theirs from any source), the shortlists sent to
them with their answers, talent profiles ("ce profil m'intéresse"), the communication kit, a password.

Only employer accounts whose membership is validated get in; anyone else gets a 404 (W4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import func, select

from services import mail
from services.abuse import check_form
from services.auth import CurrentUser, NotFoundForRole, hash_password
from services.kit import file_path
from services.network.common import CONTRACT_CHOICES, NetworkError
from services.network.digests import PROFILE_FIELDS, PROFILE_LABELS, profile_card, record_interest, shareable
from services.network.members import consume_login_token, send_login_link
from services.network.offers import check_offer_form, member_offers, member_source_id, submit_member_offer
from store.audit import audit
from store.models import (
    Candidate,
    Employer,
    KitFile,
    MemberOffer,
    NetworkMember,
    Offer,
    Posting,
    Shortlist,
    ShortlistEntry,
    TalentDigest,
    TalentInterest,
)
from web.deps import CurrentUserDep, SessionDep, SettingsDep, current_user, signed_in_redirect
from web.routers.network import form_fields
from web.routers.network_staff import _back, outreach_settings
from web.security import verify_csrf
from web.templating import render

router = APIRouter(prefix="/membre", include_in_schema=False)


@dataclass
class Member:
    """The signed-in member: their account, membership and employer."""

    user: CurrentUser
    member: NetworkMember
    employer: Employer


def member_of(session, user: CurrentUser) -> Member:  # type: ignore[no-untyped-def]
    if user.role != "employer" or not user.user.employer_id:
        raise NotFoundForRole
    member = session.scalar(select(NetworkMember).where(NetworkMember.employer_id == user.user.employer_id))
    if member is None or member.status != "member":
        raise NotFoundForRole
    return Member(user, member, member.employer)


def current_member(session: SessionDep, user: CurrentUserDep) -> Member:
    return member_of(session, user)


async def current_member_csrf(
    request: Request, session: SessionDep, user: Annotated[CurrentUser, Depends(current_user)]
) -> Member:
    member = member_of(session, user)
    await verify_csrf(request, user.csrf_token)
    return member


MemberDep = Annotated[Member, Depends(current_member)]
MemberWrite = Annotated[Member, Depends(current_member_csrf)]


# --------------------------------------------------------------------------------------------------
# Signing in
# --------------------------------------------------------------------------------------------------


@router.get("/connexion/{token}")
def link_page(request: Request, token: str) -> Response:
    """A page with a button: mail scanners that follow the link do not use it up."""
    return render(request, "member/link.html", {"token": token, "user": None})


@router.post("/connexion/{token}")
def link_login(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> Response:
    user = consume_login_token(session, token, settings.secret_key or "")
    if user is None:
        session.rollback()
        raise HTTPException(
            status_code=410, detail="Ce lien de connexion a expiré ou a déjà servi : demandez-en un autre."
        )
    return signed_in_redirect(request, session, settings, user, "/membre")  # type: ignore[return-value]


@router.get("/lien")
def link_request_form(request: Request, sent: bool = False) -> Response:
    return render(request, "member/link_request.html", {"sent": sent, "user": None})


@router.post("/lien")
def link_request(
    request: Request, session: SessionDep, settings: SettingsDep, email: Annotated[str, Form(max_length=320)]
) -> Response:
    """Same answer whether the address is a member or not (no enumeration), and whether the request was
    refused by the rate limits (services/abuse.py: no flooded mailbox)."""
    ip = request.client.host if request.client else None
    if check_form(session, "member_link", ip=ip, email=email, secret=settings.secret_key or "") is not None:
        session.commit()
        return RedirectResponse("/membre/lien?sent=1", status_code=303)
    member = session.scalar(
        select(NetworkMember).where(
            func.lower(NetworkMember.contact_email) == email.strip().lower(), NetworkMember.status == "member"
        )
    )
    if member is not None:
        try:
            send_login_link(session, member, outreach_settings(settings), welcome=False)
        except (mail.MailNotConfigured, OSError):
            pass
        session.commit()
    return RedirectResponse("/membre/lien?sent=1", status_code=303)


# --------------------------------------------------------------------------------------------------
# Home, offers
# --------------------------------------------------------------------------------------------------


@router.get("")
def home(request: Request, session: SessionDep, me: MemberDep, message: str = "") -> Response:
    own = {
        mo.posting_id: mo
        for mo in session.scalars(select(MemberOffer).where(MemberOffer.employer_id == me.employer.id))
    }
    offers = member_offers(session, me.employer)
    shortlists = list(
        session.execute(
            select(Shortlist, Offer.title)
            .join(Offer, Offer.id == Shortlist.offer_id)
            .where(Shortlist.employer_id == me.employer.id, Shortlist.status == "sent")
            .order_by(Shortlist.sent_at.desc())
        )
    )
    answers = {
        sid: (total, answered)
        for sid, total, answered in session.execute(
            select(ShortlistEntry.shortlist_id, func.count(), func.count(ShortlistEntry.answer))
            .where(ShortlistEntry.shortlist_id.in_([s.id for s, _ in shortlists]))
            .group_by(ShortlistEntry.shortlist_id)
        )
    }
    return render(
        request,
        "member/home.html",
        {
            "me": me,
            "offers": offers,
            "own": own,
            "own_source": member_source_id(me.employer.id),
            "shortlists": shortlists,
            "answers": answers,
            "message": message,
        },
    )


def _offer_form(
    request: Request,
    me: Member,
    values: dict,
    errors: dict,
    action: str,
    *,
    status: int = 200,
    member_offer: MemberOffer | None = None,
) -> Response:
    return render(
        request,
        "member/offer_form.html",
        {
            "me": me,
            "values": values,
            "errors": errors,
            "action": action,
            "contracts": CONTRACT_CHOICES,
            "member_offer": member_offer,
        },
        status_code=status,
    )


@router.get("/offres/nouvelle")
def new_offer_form(request: Request, me: MemberDep) -> Response:
    return _offer_form(request, me, {"place": me.member.commune_name or ""}, {}, "/membre/offres/nouvelle")


@router.post("/offres/nouvelle")
async def new_offer(request: Request, session: SessionDep, settings: SettingsDep, me: MemberWrite) -> Response:
    fields = await form_fields(request)
    check = check_offer_form(fields)
    if check.ok:
        try:
            submit_member_offer(
                session, me.employer, check, actor=me.user.email, base_url=settings.public_url.rstrip("/")
            )
        except NetworkError as exc:
            check.errors["title"] = str(exc)
        else:
            session.commit()
            return _back("/membre", "Offre envoyée : l'équipe Oh my Lot ! la relit avant publication.")
    return _offer_form(request, me, fields, check.errors, "/membre/offres/nouvelle", status=422)


def _own_member_offer(session, me: Member, member_offer_id: int) -> MemberOffer:  # type: ignore[no-untyped-def]
    member_offer = session.get(MemberOffer, member_offer_id)
    if member_offer is None or member_offer.employer_id != me.employer.id:
        raise NotFoundForRole
    return member_offer


@router.get("/offres/{member_offer_id}/modifier")
def edit_offer_form(request: Request, session: SessionDep, me: MemberDep, member_offer_id: int) -> Response:
    member_offer = _own_member_offer(session, me, member_offer_id)
    return _offer_form(
        request,
        me,
        dict(member_offer.form),
        {},
        f"/membre/offres/{member_offer_id}/modifier",
        member_offer=member_offer,
    )


@router.post("/offres/{member_offer_id}/modifier")
async def edit_offer(
    request: Request, session: SessionDep, settings: SettingsDep, me: MemberWrite, member_offer_id: int
) -> Response:
    member_offer = _own_member_offer(session, me, member_offer_id)
    fields = await form_fields(request)
    check = check_offer_form(fields)
    if check.ok:
        submit_member_offer(
            session,
            me.employer,
            check,
            actor=me.user.email,
            base_url=settings.public_url.rstrip("/"),
            existing=member_offer,
        )
        session.commit()
        return _back("/membre", "Offre modifiée : elle repasse en relecture avant publication.")
    return _offer_form(
        request,
        me,
        fields,
        check.errors,
        f"/membre/offres/{member_offer_id}/modifier",
        status=422,
        member_offer=member_offer,
    )


@router.get("/offres/{ref}")
def own_posting(request: Request, session: SessionDep, me: MemberDep, ref: str) -> Response:
    """The URL given to a member posting: the member sees it; for others, the public page once published."""
    posting = session.scalar(
        select(Posting).where(Posting.source_id == member_source_id(me.employer.id), Posting.source_ref == ref)
    )
    if posting is None:
        raise NotFoundForRole
    member_offer = session.scalar(select(MemberOffer).where(MemberOffer.posting_id == posting.id))
    if member_offer is None:
        raise NotFoundForRole
    return RedirectResponse(f"/membre/offres/{member_offer.id}/modifier", status_code=303)


# --------------------------------------------------------------------------------------------------
# Talent profiles, kit, account
# --------------------------------------------------------------------------------------------------


@router.get("/profils")
def profiles(request: Request, session: SessionDep, me: MemberDep, message: str = "") -> Response:
    """Profiles of the digests sent to this member (still shareable), newest digest first."""
    seen: dict[int, int] = {}
    for digest in session.scalars(select(TalentDigest).order_by(TalentDigest.sent_at.desc()).limit(50)):
        if me.member.id in (digest.member_ids or []):
            for candidate_id in digest.candidate_ids or []:
                seen.setdefault(int(candidate_id), digest.id)
    candidates = [c for c in session.scalars(select(Candidate).where(Candidate.id.in_(list(seen)))) if shareable(c)]
    interested = set(
        session.scalars(select(TalentInterest.candidate_id).where(TalentInterest.employer_id == me.employer.id))
    )
    return render(
        request,
        "member/profiles.html",
        {
            "me": me,
            "cards": [(c.id, seen[c.id], profile_card(c)) for c in candidates],
            "fields": PROFILE_FIELDS,
            "labels": PROFILE_LABELS,
            "interested": interested,
            "message": message,
        },
    )


@router.post("/profils/{candidate_id}/interet")
def profile_interest(
    session: SessionDep, me: MemberWrite, candidate_id: int, digest_id: Annotated[int | None, Form()] = None
) -> Response:
    try:
        record_interest(
            session, me.employer.id, candidate_id, digest_id=digest_id, channel="espace", actor=me.user.email
        )
    except NetworkError as exc:
        session.rollback()
        return _back("/membre/profils", str(exc))
    session.commit()
    return _back(
        "/membre/profils",
        f"Merci : l'équipe Oh my Lot ! est prévenue de votre intérêt pour le profil n° {candidate_id}.",
    )


@router.get("/kit")
def kit(request: Request, session: SessionDep, me: MemberDep) -> Response:
    files = list(session.scalars(select(KitFile).where(KitFile.active.is_(True)).order_by(KitFile.title)))
    return render(request, "member/kit.html", {"me": me, "files": files})


@router.get("/kit/{file_id}")
def kit_download(session: SessionDep, me: MemberDep, file_id: int) -> Response:
    row = session.get(KitFile, file_id)
    if row is None or not row.active or not file_path(row).is_file():
        raise HTTPException(status_code=404)
    audit(session, me.user.email, "network.kit_download", "kit_file", row.id, {"employer_id": me.employer.id})
    session.commit()
    return FileResponse(
        file_path(row), media_type=row.mime, filename=row.filename, headers={"X-Content-Type-Options": "nosniff"}
    )


@router.post("/compte")
def account(
    session: SessionDep,
    me: MemberWrite,
    password: Annotated[str, Form(max_length=1000)] = "",
    digests: Annotated[str, Form()] = "",
) -> Response:
    me.member.digests = digests == "oui"
    message = "Préférences enregistrées."
    if password:
        if len(password) < 12:
            return _back("/membre", "Mot de passe trop court : au moins 12 caractères.")
        me.user.user.password_hash = hash_password(password)
        message = "Mot de passe enregistré : vous pouvez aussi vous connecter par la page de connexion."
    audit(session, me.user.email, "network.account", "network_member", me.member.id)
    session.commit()
    return _back("/membre", message)
