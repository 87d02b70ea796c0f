"""Partner sources managed by admins (``/equipe/sources``): list, add with the probe's preview, pause, remove.

The use cases are ``services.managed_sources``; this router only reads forms and renders pages. Admins only
(other roles get the 404 of ``web.deps.admin_user``); every POST carries the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from crawlers.registry import PLATFORMS
from services.managed_sources import (
    ManagedSourceError,
    SourceForm,
    keep_pending,
    list_sources,
    preview,
    proposed_form,
    remove_source,
    replace_sample,
    save_source,
    set_paused,
)
from services.sources import FIELD_LABELS, MAX_BYTES
from store.crawls import RUN_STATUS_LABELS, recent_runs
from web.deps import AdminUser, AdminWrite, SessionDep
from web.templating import render

router = APIRouter(prefix="/equipe/sources", include_in_schema=False)

FAMILY_LABELS = {"xml": "XML", "rss": "RSS/Atom", "json": "JSON", "csv": "tableau CSV/XLSX"}


def _back(message: str) -> Response:
    return RedirectResponse(f"/equipe/sources?message={quote(message, safe='')}", status_code=303)


@router.get("")
def sources_page(request: Request, session: SessionDep, user: AdminUser, message: str = "") -> Response:
    file_sources, staff_sources, error = list_sources(session)
    last = {}
    for listed in [*file_sources, *staff_sources]:
        source_id = listed.entry.id if listed.entry else listed.row.id  # type: ignore[union-attr]
        runs = recent_runs(session, source_id, limit=1)
        last[source_id] = runs[0] if runs else None
    return render(request, "staff/sources.html", {
        "file_sources": file_sources, "staff_sources": staff_sources, "file_error": error, "last": last,
        "labels": RUN_STATUS_LABELS, "message": message[:300],
    })


@router.get("/nouvelle")
def new_source(request: Request, user: AdminUser) -> Response:
    return render(request, "staff/source_new.html", {"url": "", "error": None, "max_mib": MAX_BYTES // 2**20})


def _preview_page(request: Request, report: object, form: SourceForm, error: str | None = None) -> Response:
    return render(request, "staff/source_preview.html", {
        "report": report, "form": form, "error": error, "platforms": PLATFORMS, "labels": FIELD_LABELS,
        "families": FAMILY_LABELS,
    }, status_code=422 if error else 200)


@router.post("/nouvelle")
async def examine(
    request: Request,
    user: AdminWrite,
    url: Annotated[str, Form(max_length=2000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Probe the uploaded file (kept until the save) or the address, and show the preview and the form."""
    token, name = "", ""
    try:
        if file is not None and file.filename:
            data = await file.read(MAX_BYTES + 1)
            token, name = keep_pending(data), file.filename
        report = preview(url=url, token=token, name=f"« {name} »" if name else "le fichier")
    except ManagedSourceError as exc:
        return render(request, "staff/source_new.html", {"url": url, "error": str(exc),
                                                         "max_mib": MAX_BYTES // 2**20}, status_code=422)
    return _preview_page(request, report, proposed_form(report, url=url.strip(), token=token, sample_name=name))


@router.post("/enregistrer")
def save(
    request: Request,
    session: SessionDep,
    user: AdminWrite,
    source_id: Annotated[str, Form(alias="id", max_length=80)],
    name: Annotated[str, Form(max_length=200)] = "",
    platform: Annotated[str, Form(max_length=40)] = "feed",
    url: Annotated[str, Form(max_length=2000)] = "",
    schedule: Annotated[str, Form(max_length=100)] = "",
    trust: Annotated[str, Form(max_length=10)] = "0.7",
    employer: Annotated[str, Form(max_length=300)] = "",
    format_text: Annotated[str, Form(max_length=20000)] = "",
    sample_token: Annotated[str, Form(max_length=40)] = "",
    sample_name: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    form = SourceForm(id=source_id, name=name, platform=platform, url=url, schedule=schedule, trust=trust,
                      employer=employer, format_text=format_text, sample_token=sample_token, sample_name=sample_name)
    try:
        save_source(session, form, actor=user.email)
    except ManagedSourceError as exc:
        session.rollback()
        try:
            report = preview(url=url, token=sample_token, name=sample_name or "le fichier")
        except ManagedSourceError:
            report = None
        return _preview_page(request, report, form, str(exc))
    session.commit()
    return _back(f"Source « {form.id.strip()} » enregistrée : elle sera collectée selon sa planification "
                 f"(ou tout de suite avec « ohmylot crawl {form.id.strip()} »).")


def _act(session: SessionDep, action: Callable[[], object], done: str) -> Response:
    """Run one change of a staff source and come back to the list with its message (or its French error)."""
    try:
        action()
    except ManagedSourceError as exc:
        return _back(str(exc))
    session.commit()
    return _back(done)


@router.post("/{source_id}/pause")
def pause(session: SessionDep, user: AdminWrite, source_id: str) -> Response:
    return _act(session, lambda: set_paused(session, source_id, True, actor=user.email),
                f"Source « {source_id} » en pause : elle n'est plus collectée.")


@router.post("/{source_id}/reprendre")
def resume(session: SessionDep, user: AdminWrite, source_id: str) -> Response:
    return _act(session, lambda: set_paused(session, source_id, False, actor=user.email),
                f"Source « {source_id} » reprise : elle est de nouveau collectée.")


@router.post("/{source_id}/retirer")
def remove(session: SessionDep, user: AdminWrite, source_id: str) -> Response:
    return _act(session, lambda: remove_source(session, source_id, actor=user.email),
                f"Source « {source_id} » retirée : ses offres et son historique sont conservés.")


@router.post("/{source_id}/fichier")
async def new_sample(
    session: SessionDep, user: AdminWrite, source_id: str, file: Annotated[UploadFile, File()]
) -> Response:
    """The partner sent a newer file: it replaces the one the source reads (a bad file is refused)."""
    data = await file.read(MAX_BYTES + 1)
    name = file.filename or "offres"
    return _act(session, lambda: replace_sample(session, source_id, data, name, actor=user.email),
                f"Fichier de la source « {source_id} » remplacé par {name} : la prochaine collecte le lira.")
