"""Staff pages of the employers' network (``/equipe/reseau``): directory and validation of members, review of
the offers they type in, the communication kit, talent digests and interests, offer selections to prospects.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, or_, select

from matching.employers import naf_divisions, naf_sections
from services import mail
from services.auth import NotFoundForRole
from services.errors import ServiceError
from services.kit import KitError, max_bytes, store_upload
from services.letters import signer_of
from services.match_data import offers_for_candidate
from services.network.common import NetworkError, OutreachSettings
from services.network.digests import (
    PROFILE_FIELDS,
    PROFILE_LABELS,
    check_sector,
    digest_profiles,
    digest_recipients,
    profile_card,
    send_digest,
)
from services.network.members import approve_member, refuse_member, send_login_link
from services.network.offers import review_member_offer
from services.network.selections import send_selection
from services.visibility import can_see_candidate, can_see_member, candidate_scope, member_scope
from store.audit import audit
from store.models import (
    AuditLog,
    Candidate,
    Employer,
    KitFile,
    MemberOffer,
    NetworkMember,
    Offer,
    OfferSelection,
    Posting,
    TalentDigest,
    TalentInterest,
    utcnow,
)
from web.deps import SessionDep, SettingsDep, StaffUser, StaffWrite
from web.templating import render

router = APIRouter(prefix="/equipe/reseau", include_in_schema=False)

def _digest_role(user: StaffUser) -> None:
    """Digests present prospects from every territory: admins and staff only, not territorial référents."""
    if user.role not in {"admin", "staff"}:
        raise NotFoundForRole


DigestRole = Annotated[None, Depends(_digest_role)]


def _kit_role(user: StaffUser) -> None:
    """The communication kit is the département's: admins and staff change it, référents only read it."""
    if user.role not in {"admin", "staff"}:
        raise NotFoundForRole


KitRole = Annotated[None, Depends(_kit_role)]

STATUS_LABELS = {"pending": "demande à valider", "member": "membre", "refused": "refusée"}


def _back(path: str, message: str) -> Response:
    """Redirect after a POST with a message shown on the next page."""
    return RedirectResponse(f"{path}?message={quote(message, safe='')}", status_code=303)


def outreach_settings(settings) -> OutreachSettings:  # type: ignore[no-untyped-def]
    """The outreach settings of the running app (its secret key and public URL)."""
    return OutreachSettings(secret_key=settings.secret_key, public_url=settings.public_url)


def _member_or_404(session, member_id: int, user) -> NetworkMember:  # type: ignore[no-untyped-def]
    """The member, if ``user`` may see it (a référent: a member of their territory), else 404."""
    member = session.get(NetworkMember, member_id)
    if member is None or not can_see_member(user, member):
        raise HTTPException(status_code=404)
    return member


@router.get("")
def directory(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    statut: str = "",
    secteur: str = "",
    dep: str = "",
    q: str = "",
) -> Response:
    query = select(NetworkMember, Employer).join(Employer, Employer.id == NetworkMember.employer_id)
    counted = select(NetworkMember.status, func.count()).group_by(NetworkMember.status)
    departements = select(NetworkMember.departement).distinct()
    scope = member_scope(user)
    if scope is not None:
        # A territorial référent sees the members of their territory, not the whole département.
        query, counted, departements = query.where(scope), counted.where(scope), departements.where(scope)
    if statut in STATUS_LABELS:
        query = query.where(NetworkMember.status == statut)
    if secteur:
        if len(secteur) == 1:
            query = query.where(NetworkMember.sector == secteur.upper())
        else:
            query = query.where(NetworkMember.naf_code == secteur[:2])
    if dep:
        query = query.where(NetworkMember.departement == dep.strip()[:3])
    if q.strip():
        like = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Employer.name).like(like),
                func.lower(NetworkMember.commune_name).like(like),
                Employer.siret.like(like),
            )
        )
    rows = list(session.execute(query.order_by(NetworkMember.status.desc(), Employer.name).limit(500)))
    counts = dict(session.execute(counted).all())
    departements = sorted(d for d in session.scalars(departements) if d)
    return render(
        request,
        "network/directory.html",
        {
            "rows": rows,
            "counts": counts,
            "status_labels": STATUS_LABELS,
            "sections": naf_sections(),
            "divisions": naf_divisions(),
            "departements": departements,
            "filters": {"statut": statut, "secteur": secteur, "dep": dep, "q": q},
        },
    )


@router.get("/membres/{member_id}")
def member_page(request: Request, session: SessionDep, user: StaffUser, member_id: int, message: str = "") -> Response:
    member = _member_or_404(session, member_id, user)
    offers = list(session.scalars(select(MemberOffer).where(MemberOffer.employer_id == member.employer_id)))
    downloads = list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.action == "network.kit_download", AuditLog.actor == member.contact_email)
            .order_by(AuditLog.at.desc())
            .limit(50)
        )
    )
    return render(
        request,
        "network/member.html",
        {
            "member": member,
            "status_labels": STATUS_LABELS,
            "divisions": naf_divisions(),
            "sections": naf_sections(),
            "offers": offers,
            "downloads": downloads,
            "message": message,
        },
    )


@router.post("/membres/{member_id}/valider")
def member_approve(
    request: Request, session: SessionDep, settings: SettingsDep, user: StaffWrite, member_id: int
) -> Response:
    member = _member_or_404(session, member_id, user)
    try:
        approve_member(session, member, user.email)
    except NetworkError as exc:
        session.rollback()
        return _back(f"/equipe/reseau/membres/{member_id}", f"{exc}")
    try:
        send_login_link(session, member, outreach_settings(settings), welcome=True)
        message = f"Adhésion validée : lien de connexion envoyé à {member.contact_email}."
    except mail.MailNotConfigured:
        message = "Adhésion validée, mais aucun serveur d'e-mail n'est configuré : le lien n'est pas parti."
    except OSError as exc:
        message = f"Adhésion validée, mais l'e-mail n'a pas pu partir ({exc}) : renvoyez le lien plus tard."
    session.commit()
    return _back(f"/equipe/reseau/membres/{member_id}", f"{message}")


@router.post("/membres/{member_id}/lien")
def member_send_link(session: SessionDep, settings: SettingsDep, user: StaffWrite, member_id: int) -> Response:
    member = _member_or_404(session, member_id, user)
    if member.status != "member":
        raise HTTPException(status_code=404)
    try:
        send_login_link(session, member, outreach_settings(settings), welcome=False)
        message = f"Lien de connexion envoyé à {member.contact_email}."
    except (mail.MailNotConfigured, OSError) as exc:
        message = f"Le lien n'a pas pu partir : {exc}."
    session.commit()
    return _back(f"/equipe/reseau/membres/{member_id}", f"{message}")


@router.post("/membres/{member_id}/refuser")
def member_refuse(
    session: SessionDep, user: StaffWrite, member_id: int, note: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    member = _member_or_404(session, member_id, user)
    try:
        refuse_member(session, member, user.email, note)
        message = "Demande refusée."
    except NetworkError as exc:
        message = str(exc)
    session.commit()
    return _back(f"/equipe/reseau/membres/{member_id}", f"{message}")


# --------------------------------------------------------------------------------------------------
# Member offers to review
# --------------------------------------------------------------------------------------------------


@router.get("/offres")
def offers_to_review(request: Request, session: SessionDep, user: StaffUser, etat: str = "pending") -> Response:
    query = (
        select(MemberOffer, Posting, Employer)
        .join(Posting, Posting.id == MemberOffer.posting_id)
        .join(Employer, Employer.id == MemberOffer.employer_id)
        .order_by(MemberOffer.updated_at.desc())
    )
    scope = member_scope(user)
    if scope is not None:
        query = query.join(NetworkMember, NetworkMember.employer_id == MemberOffer.employer_id).where(scope)
    if etat in {"pending", "approved", "rejected"}:
        query = query.where(MemberOffer.review == etat)
    rows = list(session.execute(query.limit(300)))
    offers = {o.id: o for o in session.scalars(select(Offer).where(Offer.id.in_([p.offer_id for _, p, _ in rows])))}
    sizes = dict(
        session.execute(
            select(Posting.offer_id, func.count()).where(Posting.offer_id.in_(list(offers))).group_by(Posting.offer_id)
        ).all()
    )
    return render(request, "network/offers.html", {"rows": rows, "offers": offers, "sizes": sizes, "etat": etat})


@router.post("/offres/{member_offer_id}/{decision}")
def offer_review(
    session: SessionDep,
    user: StaffWrite,
    member_offer_id: int,
    decision: str,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    member_offer = session.get(MemberOffer, member_offer_id)
    if member_offer is None or decision not in {"publier", "refuser"}:
        raise HTTPException(status_code=404)
    member = session.scalar(select(NetworkMember).where(NetworkMember.employer_id == member_offer.employer_id))
    if user.role not in {"admin", "staff"} and (member is None or not can_see_member(user, member)):
        raise HTTPException(status_code=404)
    review_member_offer(session, member_offer, approve=decision == "publier", staff=user.email, note=note)
    session.commit()
    return RedirectResponse("/equipe/reseau/offres?etat=pending", status_code=303)


# --------------------------------------------------------------------------------------------------
# Communication kit
# --------------------------------------------------------------------------------------------------


@router.get("/kit")
def kit_admin(request: Request, session: SessionDep, user: StaffUser, message: str = "") -> Response:
    files = list(session.scalars(select(KitFile).where(KitFile.active.is_(True)).order_by(KitFile.uploaded_at.desc())))
    downloads = select(AuditLog).where(AuditLog.action == "network.kit_download")
    scope = member_scope(user)
    if scope is not None:
        # A référent sees who downloaded the kit among the members of their territory.
        downloads = downloads.where(AuditLog.actor.in_(select(NetworkMember.contact_email).where(scope)))
    names = {f.id: f.title for f in session.scalars(select(KitFile))}
    return render(
        request, "network/kit_admin.html",
        {"files": files, "downloads": list(session.scalars(downloads.order_by(AuditLog.at.desc()).limit(300))),
         "names": names, "message": message, "can_change": scope is None},
    )


@router.post("/kit")
async def kit_upload(
    session: SessionDep,
    user: StaffWrite,
    _: KitRole,
    file: Annotated[UploadFile, File()],
    title: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    data = await file.read(max_bytes() + 1)
    try:
        row = store_upload(title, file.filename or "", data, staff=user.email)
    except KitError as exc:
        return _back("/equipe/reseau/kit", f"{exc}")
    session.add(row)
    session.flush()
    audit(session, user.email, "network.kit_upload", "kit_file", row.id, {"size": row.size})
    session.commit()
    return _back("/equipe/reseau/kit", f"Fichier ajouté : {row.title}.")


@router.post("/kit/{file_id}/retirer")
def kit_remove(session: SessionDep, user: StaffWrite, _: KitRole, file_id: int) -> Response:
    row = session.get(KitFile, file_id)
    if row is None:
        raise HTTPException(status_code=404)
    row.active = False
    audit(session, user.email, "network.kit_remove", "kit_file", row.id)
    session.commit()
    return _back("/equipe/reseau/kit", "Fichier retiré du kit.")


# --------------------------------------------------------------------------------------------------
# Talent digests and interests
# --------------------------------------------------------------------------------------------------


@router.get("/profils")
def digest_form(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    _: DigestRole,
    secteur: str = "",
    territoire: str = "",
    jours: int = 30,
    rome: str = "",
    message: str = "",
) -> Response:
    error = None
    try:
        sector = check_sector(secteur)
    except NetworkError as exc:
        sector, error = None, str(exc)
    members = digest_recipients(session, sector=sector, territory=territoire or None)
    profiles = digest_profiles(session, days=max(1, min(jours, 365)), rome_prefixes=rome.split(","))
    digests = list(session.scalars(select(TalentDigest).order_by(TalentDigest.sent_at.desc()).limit(20)))
    return render(
        request,
        "network/digest.html",
        {
            "members": members,
            "cards": [(c.id, profile_card(c)) for c in profiles],
            "fields": PROFILE_FIELDS,
            "labels": PROFILE_LABELS,
            "sections": naf_sections(),
            "digests": digests,
            "error": error,
            "message": message,
            "filters": {"secteur": secteur, "territoire": territoire, "jours": jours, "rome": rome},
        },
    )


@router.post("/profils")
def digest_send(
    session: SessionDep,
    settings: SettingsDep,
    user: StaffWrite,
    _: DigestRole,
    secteur: Annotated[str, Form(max_length=10)] = "",
    territoire: Annotated[str, Form(max_length=20)] = "",
    jours: Annotated[int, Form()] = 30,
    rome: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        report = send_digest(
            session,
            outreach_settings(settings),
            sector=secteur or None,
            territory=territoire or None,
            days=max(1, min(jours, 365)),
            rome_prefixes=rome.split(","),
            actor=user.email,
        )
    except ServiceError as exc:  # a refused digest or no mail server
        session.rollback()
        return _back("/equipe/reseau/profils", f"Envoi impossible : {exc}")
    session.commit()
    if not report.members or not report.profiles:
        message = "Rien à envoyer : aucun membre ou aucun profil ne correspond."
    else:
        message = f"Envoyé à {report.sent} membre(s) ({len(report.profiles)} profil(s) au plus)."
        if report.up_to_date:
            message += f" {report.up_to_date} membre(s) avaient déjà reçu ces profils."
        if report.failures:
            message += f" Échecs : {len(report.failures)}."
    return _back("/equipe/reseau/profils", f"{message}")


@router.get("/interets")
def interests(request: Request, session: SessionDep, user: StaffUser) -> Response:
    """Interests in the prospects ``user`` may see (a référent: their territory's, whichever the employer),
    with a link to the employer's page where ``user`` may open it."""
    query = (
        select(TalentInterest, NetworkMember, Candidate)
        .join(NetworkMember, NetworkMember.employer_id == TalentInterest.employer_id)
        .join(Candidate, Candidate.id == TalentInterest.candidate_id)
        .order_by(TalentInterest.handled_at.is_not(None), TalentInterest.created_at.desc())
    )
    scope = candidate_scope(session, user)
    if scope is not None:
        query = query.where(scope)
    rows = list(session.execute(query.limit(300)))
    openable = {member.id for _, member, _ in rows if can_see_member(user, member)}
    return render(request, "network/interests.html", {"rows": rows, "openable": openable})


@router.post("/interets/{interest_id}/traite")
def interest_handled(session: SessionDep, user: StaffWrite, interest_id: int) -> Response:
    row = session.get(TalentInterest, interest_id)
    candidate = session.get(Candidate, row.candidate_id) if row is not None else None
    if row is None or candidate is None or not can_see_candidate(user, candidate):
        raise HTTPException(status_code=404)

    row.handled_at, row.handled_by = utcnow(), user.email
    audit(session, user.email, "network.interest_handled", "talent_interest", row.id)
    session.commit()
    return RedirectResponse("/equipe/reseau/interets", status_code=303)


# --------------------------------------------------------------------------------------------------
# Offer selections to a prospect
# --------------------------------------------------------------------------------------------------


def _candidate_for(session, user, candidate_id: int) -> Candidate:  # type: ignore[no-untyped-def]
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.anonymized_at is not None or not can_see_candidate(user, candidate):
        raise HTTPException(status_code=404)
    return candidate


@router.get("/selection/{candidate_id}")
def selection_form(
    request: Request, session: SessionDep, user: StaffUser, candidate_id: int, message: str = ""
) -> Response:
    candidate = _candidate_for(session, user, candidate_id)
    rows = [
        r
        for r in offers_for_candidate(session, candidate.id, limit=20)
        if r.offer is not None and r.offer.status == "open" and r.offer.published
    ]
    sent = list(
        session.scalars(
            select(OfferSelection)
            .where(OfferSelection.candidate_id == candidate.id)
            .order_by(OfferSelection.sent_at.desc())
        )
    )
    return render(
        request, "network/selection.html", {"candidate": candidate, "rows": rows, "sent": sent, "message": message}
    )


@router.post("/selection/{candidate_id}")
async def selection_send(
    request: Request, session: SessionDep, settings: SettingsDep, user: StaffWrite, candidate_id: int
) -> Response:
    candidate = _candidate_for(session, user, candidate_id)
    form = await request.form()
    ids = [int(v) for v in form.getlist("offer_id") if isinstance(v, str) and v.isdigit()]
    note = str(form.get("note") or "")[:2000]
    try:
        send_selection(session, outreach_settings(settings), candidate, ids, staff=user.email, note=note or None,
                       signer=signer_of(user.user))
    except NetworkError as exc:
        session.rollback()
        return _back(f"/equipe/reseau/selection/{candidate_id}", f"{exc}")
    except (mail.MailNotConfigured, OSError) as exc:
        session.rollback()
        return _back(f"/equipe/reseau/selection/{candidate_id}", f"E-mail non envoyé : {exc}")
    session.commit()
    return _back(f"/equipe/reseau/selection/{candidate_id}", f"Sélection envoyée à {candidate.email}.")
