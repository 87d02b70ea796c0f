"""Staff and référent pages of the welcome loop: a household's settling page, the local directory, ambassadors.

Thin routes: parse, call ``services.welcome`` / ``directory`` / ``ambassadors`` / ``referents``, render. A
référent sees the households of their territory only (``prospect_or_404``) and edits the directory of their
own EPCIs; staff and admins see everything.
"""

from __future__ import annotations

import tempfile
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from matching.ambassadors import FAMILY_LABELS
from matching.geo import get_gazetteer
from services.ambassadors import introduce, list_ambassadors, proposals_for
from services.audit import record
from services.auth import CurrentUser
from services.directory import (
    CATEGORIES,
    DirectoryImportReport,
    check_entry,
    import_directory,
    is_stale,
    list_entries,
    mark_checked,
    save_entry,
)
from services.errors import ServiceError
from services.referents import ReferentError, list_referents, reassign
from services.settings import WebSettings
from services.shortlists import deliver
from services.welcome import (
    CROW_FLIES,
    STEPS,
    WelcomeError,
    record_step,
    save_plan,
    settling_page,
    welcome_pack,
    welcome_pack_pdf,
)
from store.models import Ambassador, DirectoryEntry
from web.deps import SessionDep, SettingsDep, StaffUser, StaffWrite
from web.prospect_search import prospect_or_404
from web.templating import render

router = APIRouter(prefix="/equipe", include_in_schema=False)
MAX_UPLOAD = 5 * 1024 * 1024


def _back(url: str, message: str) -> RedirectResponse:
    separator = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{separator}message={quote(message)}", status_code=303)


def _territory(user: CurrentUser) -> list[str] | None:
    """The EPCIs a user may edit in the directory (None: all)."""
    return None if user.role in {"admin", "staff"} else list(user.territory or [])


def mailer(settings: WebSettings):  # type: ignore[no-untyped-def]
    """A ``send(message)`` for the services, through the web app's SMTP settings."""

    def send(message: EmailMessage) -> None:
        del message["From"]
        message["From"] = settings.smtp_from
        deliver(message, settings)

    return send


# --------------------------------------------------------------------------------------------------
# A household's settling page
# --------------------------------------------------------------------------------------------------


def _page_url(candidate_id: int) -> str:
    return f"/equipe/prospects/{candidate_id}/accueil"


@router.get("/prospects/{candidate_id}/accueil")
def settling(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    candidate_id: int,
    communes: Annotated[list[str] | None, Query()] = None,
    famille: str = "",
) -> Response:
    candidate = prospect_or_404(session, user, candidate_id)
    try:
        page = settling_page(session, candidate, [c for c in communes or [] if c.strip()] or None)
    except WelcomeError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    proposals = proposals_for(session, candidate, family_situation=famille or None)
    record(session, user.email, "view_settling", "candidate", candidate.id)
    session.commit()
    return render(
        request,
        "staff/welcome.html",
        {
            "page": page,
            "candidate": candidate,
            "steps": STEPS,
            "crow_flies": CROW_FLIES,
            "proposals": proposals,
            "referents": [u for u, _ in list_referents(session)] if user.role in {"admin", "staff"} else [],
            "families": FAMILY_LABELS,
            "famille": famille,
            "message": request.query_params.get("message"),
            "picked": set(page.plan.entry_ids) if page.plan else set(),
            "today": date.today().isoformat(),
        },
    )


@router.post("/prospects/{candidate_id}/accueil/etape")
def settling_step(
    session: SessionDep,
    user: StaffWrite,
    candidate_id: int,
    step: Annotated[str, Form()],
    done_on: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    candidate = prospect_or_404(session, user, candidate_id)
    try:
        day = date.fromisoformat(done_on) if done_on else None
        record_step(session, candidate, step, done_on=day, actor=user.email, note=note)
    except ValueError as exc:
        return _back(_page_url(candidate.id), str(exc) if isinstance(exc, WelcomeError) else "date illisible")
    session.commit()
    return _back(_page_url(candidate.id), f"Étape « {STEPS[step]} » enregistrée.")


@router.post("/prospects/{candidate_id}/accueil/referent")
def settling_referent(
    session: SessionDep,
    user: StaffWrite,
    candidate_id: int,
    referent_id: Annotated[str, Form()] = "",
) -> Response:
    if user.role not in {"admin", "staff"}:
        raise HTTPException(status_code=404)
    candidate = prospect_or_404(session, user, candidate_id)
    try:
        reassign(session, candidate, int(referent_id) if referent_id else None, actor=user.email)
    except (ReferentError, ValueError) as exc:
        return _back(_page_url(candidate.id), str(exc))
    session.commit()
    return _back(_page_url(candidate.id), "Référent enregistré.")


@router.post("/prospects/{candidate_id}/accueil/livret")
async def settling_plan(request: Request, session: SessionDep, user: StaffWrite, candidate_id: int) -> Response:
    candidate = prospect_or_404(session, user, candidate_id)
    form = await request.form()
    ids = [int(v) for v in form.getlist("entry_ids") if isinstance(v, str) and v.isdigit()]
    commune = str(form.get("commune") or "")
    try:
        save_plan(session, candidate, commune_insee=commune or None, entry_ids=ids, actor=user.email)
    except WelcomeError as exc:
        return _back(_page_url(candidate.id), str(exc))
    session.commit()
    return _back(_page_url(candidate.id), "Livret d'accueil mis à jour.")


@router.get("/prospects/{candidate_id}/accueil/livret.pdf")
def settling_pack(request: Request, session: SessionDep, user: StaffUser, candidate_id: int) -> Response:
    candidate = prospect_or_404(session, user, candidate_id)
    try:
        pack = welcome_pack(session, candidate)
    except WelcomeError as exc:
        return _back(_page_url(candidate.id), str(exc))
    pdf = welcome_pack_pdf(pack)
    record(session, user.email, "welcome_pack", "candidate", candidate.id)
    session.commit()
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="livret-accueil-oh-my-lot.pdf"'},
    )


@router.post("/prospects/{candidate_id}/accueil/mise-en-relation")
def settling_introduce(
    session: SessionDep,
    user: StaffWrite,
    settings: SettingsDep,
    candidate_id: int,
    ambassador_id: Annotated[int, Form()],
    famille: Annotated[str, Form()] = "",
) -> Response:
    candidate = prospect_or_404(session, user, candidate_id)
    proposed = {p.ambassador.id: p for p in proposals_for(session, candidate, family_situation=famille or None)}
    ambassador = session.get(Ambassador, ambassador_id)
    if ambassador is None:
        raise HTTPException(status_code=404)
    reasons = proposed[ambassador_id].proposal.reasons if ambassador_id in proposed else []
    try:
        introduce(
            session,
            candidate,
            ambassador,
            reasons=reasons,
            actor=user.email,
            secret_key=settings.secret_key or "",
            public_url=settings.public_url,
            send=mailer(settings),
        )
    except ServiceError as exc:  # refused, or the e-mail could not leave (ShortlistError): nothing is kept
        session.rollback()
        return _back(_page_url(candidate.id), str(exc))
    session.commit()
    return _back(_page_url(candidate.id), "Demande de mise en relation envoyée aux deux.")


# --------------------------------------------------------------------------------------------------
# The local directory
# --------------------------------------------------------------------------------------------------


def _entry_or_404(session: Session, user: CurrentUser, entry_id: int) -> DirectoryEntry:
    entry = session.get(DirectoryEntry, entry_id)
    territory = _territory(user)
    if entry is None or (territory is not None and entry.epci not in territory):
        raise HTTPException(status_code=404)
    return entry


def _directory_page(
    request: Request,
    session: Session,
    user: CurrentUser,
    *,
    categorie: str = "",
    message: str | None = None,
    report: DirectoryImportReport | None = None,
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    """The directory page of the user's territory: the list, and the form or import report to show again."""
    return render(
        request,
        "staff/directory.html",
        {
            "entries": list_entries(session, epcis=_territory(user), category=categorie or None),
            "is_stale": is_stale,
            "categories": CATEGORIES,
            "categorie": categorie,
            "epci_name": get_gazetteer().epci_name,
            "message": message,
            "report": report,
            "values": values or {},
            "errors": errors or [],
        },
        status_code=status_code,
    )


@router.get("/accueil/annuaire")
def directory(request: Request, session: SessionDep, user: StaffUser, categorie: str = "") -> Response:
    return _directory_page(request, session, user, categorie=categorie, message=request.query_params.get("message"))


@router.post("/accueil/annuaire")
async def directory_add(request: Request, session: SessionDep, user: StaffWrite) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check = check_entry(form, territory=_territory(user))
    if check.errors:
        return _directory_page(request, session, user, values=form, errors=check.errors, status_code=422)
    entry, outcome = save_entry(session, check, actor=user.email)
    record(session, user.email, "directory_entry_saved", "directory", entry.id, {"outcome": outcome})
    session.commit()
    return _back("/equipe/accueil/annuaire", f"Fiche « {entry.name} » enregistrée.")


@router.post("/accueil/annuaire/import")
async def directory_upload(
    request: Request,
    session: SessionDep,
    user: StaffWrite,
    file: Annotated[UploadFile, File()],
) -> Response:
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _back("/equipe/accueil/annuaire", "fichier trop volumineux (5 Mo au plus)")
    suffix = Path(file.filename or "annuaire.csv").suffix.lower()[:6] or ".csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{Path(file.filename or 'annuaire').stem[:60] or 'annuaire'}{suffix}"
        path.write_bytes(data)
        try:
            report = import_directory(session, path, territory=_territory(user), actor=user.email)
        except ServiceError as exc:  # an unreadable file or a refused import
            return _back("/equipe/accueil/annuaire", str(exc))
    session.commit()
    return _directory_page(request, session, user, report=report)


@router.post("/accueil/annuaire/{entry_id}/verifiee")
def directory_checked(session: SessionDep, user: StaffWrite, entry_id: int) -> Response:
    entry = _entry_or_404(session, user, entry_id)
    mark_checked(session, entry, actor=user.email)
    session.commit()
    return _back("/equipe/accueil/annuaire", f"« {entry.name} » vérifiée aujourd'hui.")


# --------------------------------------------------------------------------------------------------
# Ambassadors (staff)
# --------------------------------------------------------------------------------------------------


@router.get("/accueil/ambassadeurs")
def ambassadors(request: Request, session: SessionDep, user: StaffUser) -> Response:
    rows = list_ambassadors(session)
    gazetteer = get_gazetteer()
    return render(
        request,
        "staff/ambassadors.html",
        {
            "rows": rows,
            "commune": lambda code: gazetteer.commune(code).name if gazetteer.commune(code) else "",
            "families": FAMILY_LABELS,
        },
    )
