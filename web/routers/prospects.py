"""Staff prospect pages: the list, one prospect (profile, events, path, proposed offers + feedback), a
household (places where both partners find work)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from services.audit import record
from services.followup import (
    FollowUpError,
    add_note,
    change_step,
    complete_task,
    hand_over,
    person_name,
    referents,
    timeline,
    todo,
)
from services.match_data import offers_for_candidate, record_feedback
from services.matching import household_places
from services.prospect_merges import MergeError, source_label, sources_with_events, split_source, splittable_source
from services.reference import area_text
from services.shortlists import tell_new_referent
from services.visibility import can_see_candidate, candidate_scope
from store.candidates import STATUS_LABELS, household_members
from store.models import Candidate, Event, Household, Offer, User
from web.deps import SessionDep, SettingsDep, StaffUser, StaffWrite
from web.prospect_search import prospect_or_404, search_prospects
from web.templating import fr_date, render

router = APIRouter(prefix="/equipe", include_in_schema=False)


@router.get("/prospects")
def prospects_list(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    q: str = "",
    statut: str = "",
    evenement: str = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    # "Tous les événements" sends an empty value: the search is then over every event, never an error.
    event_id = int(evenement) if evenement.strip().isdigit() else None
    result = search_prospects(session, user, q=q, status=statut, event_id=event_id, page=page)
    events = list(session.scalars(select(Event).order_by(Event.date.desc().nulls_last(), Event.name)))
    return render(
        request,
        "staff/prospects.html",
        {"result": result, "q": q, "statut": statut, "evenement": event_id, "events": events},
    )


@router.get("/prospects/{candidate_id}")
def prospect_page(request: Request, session: SessionDep, user: StaffUser, candidate_id: int) -> Response:
    candidate = prospect_or_404(session, user, candidate_id)
    matches = offers_for_candidate(session, candidate.id, limit=10)
    partners = []
    if candidate.household_id:
        partners = [
            c for c in session.scalars(
                select(Candidate).where(Candidate.household_id == candidate.household_id, Candidate.id != candidate.id)
                .order_by(Candidate.id)
            )
        ]
    referent = session.get(User, candidate.referent_id) if candidate.referent_id else None
    record(session, user.email, "view_prospect", "candidate", candidate.id)
    session.commit()
    return render(
        request,
        "staff/prospect.html",
        {"candidate": candidate, "matches": matches, "partners": partners, "referent": referent,
         "timeline": timeline(session, candidate), "area": area_text(candidate.target_area, candidate.radius_km),
         "sources": sources_with_events(session, candidate.id),
         "referents": referents(session, except_id=candidate.referent_id), "today": date.today(),
         "saved": request.query_params.get("avis") == "ok", "message": request.query_params.get("message"),
         "error": request.query_params.get("erreur")},
    )


def _to_prospect(candidate_id: int, *, message: str | None = None, error: str | None = None,
                 anchor: str = "suivi") -> RedirectResponse:
    params = urlencode({k: v for k, v in {"message": message, "erreur": error}.items() if v})
    return RedirectResponse(f"/equipe/prospects/{candidate_id}?{params}#{anchor}", status_code=303)


def _follow_up(session, candidate_id: int, action: Callable[[], object], message: str) -> Response:  # type: ignore[no-untyped-def]
    """Run one follow-up action: committed and the message shown, or rolled back and its error shown."""
    try:
        action()
    except FollowUpError as exc:
        session.rollback()
        return _to_prospect(candidate_id, error=str(exc).capitalize() + ".")
    session.commit()
    return _to_prospect(candidate_id, message=message)


@router.post("/prospects/{candidate_id}/etape")
def prospect_step(
    session: SessionDep, user: StaffWrite, candidate_id: int,
    status: Annotated[str, Form(max_length=20)], note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    candidate = prospect_or_404(session, user, candidate_id)
    return _follow_up(session, candidate_id, lambda: change_step(session, candidate, status,
                                                                 actor=user.display_name, note=note),
                      f"Étape enregistrée : {STATUS_LABELS.get(status, status)}.")


@router.post("/prospects/{candidate_id}/notes")
def prospect_note(
    session: SessionDep, user: StaffWrite, candidate_id: int,
    text: Annotated[str, Form(max_length=2000)] = "", due_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    candidate = prospect_or_404(session, user, candidate_id)
    try:
        due = date.fromisoformat(due_on) if due_on.strip() else None
    except ValueError:
        return _to_prospect(candidate_id, error="Date de la tâche invalide (jj/mm/aaaa).")
    return _follow_up(session, candidate_id,
                      lambda: add_note(session, candidate, text, actor=user.display_name, due_on=due),
                      f"Tâche enregistrée pour le {fr_date(due)}." if due else "Note ajoutée.")


@router.post("/prospects/{candidate_id}/taches/{note_id}/faite")
def prospect_task_done(
    session: SessionDep, user: StaffWrite, candidate_id: int, note_id: int,
    retour: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    candidate = prospect_or_404(session, user, candidate_id)
    try:
        complete_task(session, candidate, note_id, actor=user.display_name)
    except FollowUpError as exc:
        raise HTTPException(status_code=404) from exc
    session.commit()
    if retour == "a-faire":
        return RedirectResponse("/equipe/a-faire?message=T%C3%A2che%20faite.", status_code=303)
    return _to_prospect(candidate_id, message="Tâche faite.")


@router.post("/prospects/{candidate_id}/confier")
def prospect_hand_over(
    session: SessionDep, settings: SettingsDep, user: StaffWrite, candidate_id: int,
    referent_id: Annotated[int, Form()], note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Hand the prospect's household to another territory's référent, with a note (and an e-mail to them)."""
    candidate = prospect_or_404(session, user, candidate_id)
    members = household_members(session, candidate)
    try:
        referent = hand_over(session, members, referent_id, note, actor=user.display_name)
    except FollowUpError as exc:
        session.rollback()
        return _to_prospect(candidate_id, error=str(exc).capitalize() + ".", anchor="confier")
    session.commit()
    told = tell_new_referent(session, settings, referent, members, note, sender=user.user)
    name = referent.full_name or referent.email
    message = f"Foyer confié à {name}" + (" (prévenu par e-mail)." if told else ".")
    if user.role == "referent" and not can_see_candidate(user, candidate):
        return RedirectResponse(f"/equipe/prospects?{urlencode({'message': message})}", status_code=303)
    return _to_prospect(candidate_id, message=message)


def _source_to_split(session, user, candidate_id: int, source_id: int):  # type: ignore[no-untyped-def]
    """The source and its event name, when it belongs to this prospect and can be split off; else 404."""
    prospect_or_404(session, user, candidate_id)
    try:
        source, candidate = splittable_source(session, source_id)
    except MergeError as exc:
        raise HTTPException(status_code=404) from exc
    if candidate.id != candidate_id:
        raise HTTPException(status_code=404)
    event = session.get(Event, source.event_id) if source.event_id else None
    return source, candidate, source_label(source, event.name if event else None)


@router.get("/prospects/{candidate_id}/sources/{source_id}/separer")
def prospect_split_page(request: Request, session: SessionDep, user: StaffUser, candidate_id: int,
                        source_id: int) -> Response:
    """Confirmation: what the new prospect will hold, before a wrongly merged source is split off."""
    source, candidate, label = _source_to_split(session, user, candidate_id, source_id)
    record(session, user.email, "view_prospect", "candidate", candidate.id)
    session.commit()
    return render(request, "staff/prospect_split.html",
                  {"candidate": candidate, "source": source, "label": label, "fields": source.fields})


@router.post("/prospects/{candidate_id}/sources/{source_id}/separer")
def prospect_split(session: SessionDep, user: StaffWrite, candidate_id: int, source_id: int) -> Response:
    """Split the source off into its own prospect; the page of the new prospect says what was done."""
    _source_to_split(session, user, candidate_id, source_id)
    result = split_source(session, source_id, staff=user.email)
    session.commit()
    return _to_prospect(result.created.id, anchor="sources", message=(
        f"Fiche séparée : cette personne a maintenant sa propre fiche ; la fiche n° {result.kept.id} a retrouvé "
        f"ses propres informations ({len(result.restored)} champ(s))."))


@router.get("/a-faire")
def todo_page(request: Request, session: SessionDep, user: StaffUser) -> Response:
    """Today's tasks (and late ones) and the employers' answers nobody has opened yet."""
    result = todo(session, today=date.today(), visible=candidate_scope(session, user))
    return render(request, "staff/todo.html", {"todo": result, "today": date.today(),
                                               "message": request.query_params.get("message")})


@router.post("/prospects/{candidate_id}/avis")
def prospect_feedback(
    session: SessionDep,
    user: StaffWrite,
    candidate_id: int,
    offer_id: Annotated[int, Form()],
    relevant: Annotated[str, Form(pattern="^(oui|non)$")],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Mark a proposed match relevant or not, with a reason (kept apart from the ranking: MatchFeedback)."""
    candidate = prospect_or_404(session, user, candidate_id)
    if session.get(Offer, offer_id) is None:
        raise HTTPException(status_code=404)
    record_feedback(session, candidate.id, offer_id, relevant == "oui", reason.strip() or None, user.display_name)
    record(session, user.email, "match_feedback", "candidate", candidate.id,
           {"offer_id": offer_id, "relevant": relevant == "oui"})
    session.commit()
    return RedirectResponse(f"/equipe/prospects/{candidate.id}?avis=ok#offre-{offer_id}", status_code=303)


@router.get("/foyers/{household_id}")
def household_page(request: Request, session: SessionDep, user: StaffUser, household_id: int) -> Response:
    household = session.get(Household, household_id)
    if household is None:
        raise HTTPException(status_code=404)
    members = list(session.scalars(
        select(Candidate).where(Candidate.household_id == household.id).order_by(Candidate.id)))
    # A référent sees a household only when every member is in their territory.
    if not members or not all(can_see_candidate(user, m) for m in members):
        raise HTTPException(status_code=404)
    places = list(household_places(session, household.id, limit=5))
    record(session, user.email, "view_household", "household", household.id)
    session.commit()
    names = {m.id: person_name(m) for m in members}
    return render(
        request,
        "staff/household.html",
        {"household": household, "members": members, "places": places,
         "title": " et ".join(names.values()), "named": lambda text: with_names(text, names)},
    )


def with_names(text: str, names: dict[int, str]) -> str:
    """The matcher's reasons name members by number ("prospect n° 12"); staff read their names."""
    return re.sub(r"prospect n° (\d+)", lambda m: names.get(int(m.group(1)), m.group(0)), text)
