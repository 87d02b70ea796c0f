"""The booth form (``/equipe/salon``): a tablet page at a job-fair stand where a visitor leaves their details.

It feeds the same validation as the spreadsheet import (``services.candidate_import.validate_prospect``) and the
same upsert (``store.candidates``): a known person (same e-mail or phone) is updated and linked to the event,
not duplicated. Consent is recorded with its date and channel (``salon : <event>``); without consent to be
contacted nothing is stored (P2). After saving, the form comes back empty: the next visitor must not see
the previous one's details.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from services.audit import record
from services.candidate_import import validate_prospect
from store.candidates import assign_referent, get_or_create_event, link_event, link_pending_partners, upsert_candidate
from store.models import Event
from web.deps import SessionDep, StaffUser, StaffWrite
from web.templating import render

router = APIRouter(prefix="/equipe/salon", include_in_schema=False)

# Form fields (names are those of ``services.candidate_import.FIELDS``) in display order, with their input type.
TEXT_FIELDS = [
    ("first_name", "Prénom", "text", "given-name"),
    ("last_name", "Nom", "text", "family-name"),
    ("email", "Courriel", "email", "email"),
    ("phone", "Téléphone", "tel", "tel"),
    ("desired_jobs", "Métier(s) recherché(s)", "text", "off"),
    ("skills", "Compétences", "text", "off"),
    ("experience_years", "Expérience (années)", "number", "off"),
    ("diplomas", "Diplômes", "text", "off"),
    ("languages", "Langues", "text", "off"),
    ("current_place", "Commune où vous vivez aujourd'hui", "text", "address-level2"),
    ("target_zone", "Où aimeriez-vous vivre dans le Lot ?", "text", "off"),
    ("radius_km", "Jusqu'à combien de km pour aller travailler ?", "number", "off"),
    ("contract_types", "Contrat souhaité (CDI, CDD, saisonnier…)", "text", "off"),
    ("availability", "Disponible à partir du", "text", "off"),
    ("partner", "Conjoint(e) : nom ou courriel (s'il ou elle cherche aussi)", "text", "off"),
]
CHECKBOXES = [
    ("driving_licence", "J'ai le permis B"),
]
CONSENTS = [
    ("consent_contact", "J'accepte que l'équipe Oh my Lot ! me recontacte au sujet de mon projet d'installation "
                        "et d'emploi dans le Lot (obligatoire pour enregistrer la fiche)."),
    ("consent_share", "J'accepte que mon profil (sans mes coordonnées) soit proposé à des employeurs du Lot "
                      "pour des offres qui me correspondent."),
]
ALL_FIELDS = [name for name, *_ in TEXT_FIELDS] + ["notes"] + [n for n, _ in CHECKBOXES] + [n for n, _ in CONSENTS]


def _context(event: str, values: dict[str, str], errors: list[str], warnings: list[str], events, saved: bool):  # type: ignore[no-untyped-def]
    return {"event": event, "values": values, "errors": errors, "warnings": warnings, "events": events,
            "saved": saved, "text_fields": TEXT_FIELDS, "checkboxes": CHECKBOXES, "consents": CONSENTS}


def _events(session) -> list[Event]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Event).order_by(Event.date.desc().nulls_last(), Event.name).limit(50)))


@router.get("")
def booth_form(
    request: Request, session: SessionDep, user: StaffUser, evenement: str = "",
    ok: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    return render(request, "staff/booth.html", _context(evenement, {}, [], [], _events(session), bool(ok)))


@router.post("")
async def booth_submit(request: Request, session: SessionDep, user: StaffWrite) -> Response:
    form = await request.form()
    event_name = " ".join(str(form.get("event") or "").split())[:300]
    values = {name: str(form.get(name) or "").strip()[:2000] for name in ALL_FIELDS}
    fields = dict(values)
    for name, _label in CHECKBOXES + CONSENTS:
        fields[name] = "oui" if values[name] else "non"
    errors: list[str] = []
    if not event_name:
        errors.append("indiquez l'événement (salon, forum…)")
    check = validate_prospect(fields, today=datetime.now(UTC).date())
    errors += check.errors
    if errors:
        return render(
            request, "staff/booth.html",
            _context(event_name, values, errors, check.warnings, _events(session), False), status_code=400,
        )
    now = datetime.now(UTC)
    event, _created = get_or_create_event(session, event_name, day=now.date())
    result = upsert_candidate(session, check.values, met_at=now, channel=f"salon : {event.name}"[:80], now=now)
    candidate = result.candidate
    link_event(session, candidate, event, now)
    assign_referent(session, candidate, list(check.values.get("target_epcis") or []) +
                    list(check.values.get("home_epcis") or []))
    if candidate.partner_hint:
        link_pending_partners(session, [candidate])
    record(session, user.email, "booth_prospect", "candidate", candidate.id,
           {"event": event.name, "outcome": result.outcome})
    session.commit()

    return RedirectResponse(f"/equipe/salon?{urlencode({'evenement': event.name, 'ok': 1})}", status_code=303)
