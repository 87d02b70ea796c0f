"""Jinja2 environment: autoescaping everywhere, French formatting filters, the one way to show HTML.

Scraped descriptions are the only HTML ever marked safe, and only after ``matching.sanitize.sanitize_html``
(the project's single nh3 allowlist) has run on them again at render time (W1): a description stored by
an older or buggy crawler cannot bring a script with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from matching.sanitize import sanitize_html

# One French format for dates, numbers, years and contracts in pages and documents.
from services.documents import CONTRACT_LABELS, fr_date, fr_number, years_text
from services.documents import TEMPLATES_DIR as DOCUMENTS_DIR
from services.reference import epci_name  # its tables load on first use, not at import
from store.candidates import STATUS_LABELS  # one list of path statuses, shared with the commands

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

PERIOD_LABELS = {"hour": "de l'heure", "month": "par mois", "year": "par an"}
ROLE_LABELS = {"admin": "administration", "staff": "équipe", "referent": "référent", "employer": "employeur"}


CRAWL_STATUS_LABELS = {"running": "en cours", "success": "réussie", "partial": "partielle", "failed": "échouée",
                       "interrupted": "interrompu"}
FINISH_REASON_LABELS = {
    "finished": "",
    "shutdown": "arrêtée à la main",
    "cancelled": "annulée",
    "closespider_timeout": "arrêtée : durée maximale atteinte",
    "closespider_errorcount": "arrêtée : trop d'erreurs",
    "closespider_itemcount": "arrêtée : nombre maximal d'offres atteint",
    "closespider_pagecount": "arrêtée : nombre maximal de pages atteint",
    "heartbeat_lost": "plus aucun signe de vie",
    "setup_failed": "lancement impossible",
}


def crawl_state(status: str | None, finish_reason: str | None = None) -> str:
    """A crawl run's state in French: ``réussie``, ``échouée (arrêtée : trop d'erreurs)``."""
    text = CRAWL_STATUS_LABELS.get(status or "", status or "—")
    if finish_reason:
        reason = FINISH_REASON_LABELS.get(finish_reason, f"motif « {finish_reason} »")
        if reason:
            text += f" ({reason})"
    return text


# What normalisation flags on a posting (matching.normalize.FLAG_*), as staff read it.
FLAG_LABELS = {
    "place_unresolved": "lieu non reconnu",
    "place_departement_only": "lieu connu au département seulement",
    "outside_territory": "hors du territoire",
    "expired": "date limite dépassée",
    "rome_uncertain": "métier ROME proposé automatiquement, incertain",
}


def flags_text(flags: Any) -> str:
    """A posting's or offer's flags in French, joined: ``lieu non reconnu, date limite dépassée``."""
    return ", ".join(FLAG_LABELS.get(str(flag), str(flag)) for flag in flags or [])


MISSING_EMPLOYER = "Employeur non communiqué"


def employer_text(name: str | None) -> str:
    """An offer's employer, with one wording everywhere when the source did not name it."""
    return (name or "").strip() or MISSING_EMPLOYER


def salary_text(offer: Any) -> str:
    """A readable salary from the offer's normalised fields (or its raw text)."""
    low, high, period = getattr(offer, "salary_min", None), getattr(offer, "salary_max", None), None
    period = PERIOD_LABELS.get(getattr(offer, "salary_period", None) or "", "")
    if low and high and abs(low - high) > 0.01:
        amount = f"de {fr_number(low)} à {fr_number(high)} €"
    elif low or high:
        amount = f"{fr_number(low or high)} €"
    else:
        return getattr(offer, "salary_text", None) or ""
    return f"{amount} {period}".strip()


def render_description(html: str | None, text: str | None = None) -> Markup:
    """A stored description as safe markup: re-sanitised with the project allowlist, never raw."""
    if html:
        return Markup(sanitize_html(html))  # noqa: S704 - the one allowlist, applied right here
    if text:
        paragraphs = [p.strip() for p in str(text).split("\n\n") if p.strip()]
        return Markup("".join(f"<p>{escape(p)}</p>" for p in paragraphs).replace("\n", "<br>"))  # noqa: S704
    return Markup("")


def json_script(data: object) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` block: ``<``, ``>``, ``&`` escaped so that no
    string inside can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)  # noqa: S704 - escaped above


def query_with(request: Request, **changes: object) -> str:
    """The current query string with some parameters changed (pagination, filter links)."""
    params = {k: v for k, v in request.query_params.items()}
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


# The pages, then the documents' templates: a page may include a block it shares with a PDF or an e-mail
# (``_candidate_facts.html``), so that both say the same thing.
templates = Jinja2Templates(directory=[str(TEMPLATES_DIR), str(DOCUMENTS_DIR)])
templates.env.filters.update(
    fr_date=fr_date,
    fr_number=fr_number,
    years=years_text,
    employer=employer_text,
    flags=flags_text,
    crawl_state=crawl_state,
    salary=salary_text,
    description=render_description,
    json_script=json_script,
    contract=lambda v: CONTRACT_LABELS.get(v or "", v or "—"),
    status_label=lambda v: STATUS_LABELS.get(v or "", v or "—"),
    role_label=lambda v: ROLE_LABELS.get(v or "", v or "—"),
    epci_name=epci_name,
)
templates.env.globals.update(
    query_with=query_with,
    CONTRACT_LABELS=CONTRACT_LABELS,
    STATUS_LABELS=STATUS_LABELS,
)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page; ``user`` and ``csrf_token`` come from the request state when signed in."""
    context = dict(context or {})
    user = getattr(request.state, "user", None)
    context.setdefault("user", user)
    context.setdefault("csrf_token", user.csrf_token if user is not None else "")
    return templates.TemplateResponse(request, name, context, status_code=status_code)
