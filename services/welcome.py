"""The welcome of a household: what each commune it considers offers, its settling steps, its welcome pack.

- ``commune_summary``: for one commune, the nearest schools (each level, public / private, canteen),
  passenger stations (with their class), hospitals, and the local directory of its EPCI. Distances are
  as the crow flies ("à vol d'oiseau") from the commune's centre (``matching.amenities``).
- ``household_communes``: the communes a household considers: those of its members' target areas (the main
  commune of a target EPCI) and of their best matched offers, in that order, at most ``MAX_COMMUNES``.
- ``settling_page``: those summaries side by side with the distance from each commune to each member's
  matched workplaces.
- Settling steps (``STEPS``): dated and attributed; ``record_step`` / ``remove_step``.
- ``welcome_pack``: the chosen commune, its schools and stations, the référent's contact, the introduced
  ambassador and the directory entries the référent picked; rendered as a French PDF by the web layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.amenities import LEVEL_LABELS, SCHOOL_DEPARTEMENTS, STATION_CLASSES, get_amenities
from matching.geo import distance_km, get_gazetteer
from matching.types import Place
from services import documents
from services.directory import CATEGORIES, is_stale, list_entries
from services.errors import ServiceError
from services.pdf import html_to_pdf
from store.audit import audit
from store.candidates import household_members, set_status
from store.models import (
    Ambassador,
    Candidate,
    DirectoryEntry,
    Introduction,
    Match,
    Offer,
    SettlingStep,
    User,
    WelcomePlan,
    utcnow,
)

MAX_COMMUNES = 4
CROW_FLIES = "distances à vol d'oiseau depuis le centre de la commune (la route est plus longue)"
STEPS = {
    "first_visit": "Première visite",
    "housing": "Logement trouvé",
    "childcare": "Garde d'enfants / école trouvée",
    "contract": "Contrat de travail signé",
    "moved_in": "Installation",
    "checkin_6m": "Point à 6 mois",
}


class WelcomeError(ServiceError, ValueError):
    """A welcome action that cannot be done; the message is French, one line."""


@dataclass
class CommuneSummary:
    insee: str
    name: str
    epci: str | None
    epci_name: str | None
    schools: list[dict[str, Any]] = field(default_factory=list)
    stations: list[dict[str, Any]] = field(default_factory=list)
    hospitals: list[dict[str, Any]] = field(default_factory=list)
    directory: list[dict[str, Any]] = field(default_factory=list)
    schools_note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "insee": self.insee,
            "name": self.name,
            "epci": self.epci,
            "epci_name": self.epci_name,
            "distances": "à vol d'oiseau",
            "schools": self.schools,
            "stations": self.stations,
            "hospitals": self.hospitals,
            "directory": self.directory,
            "schools_note": self.schools_note,
        }


def find_commune(insee: str) -> Place:
    """The commune of an INSEE code (a former commune's code gives today's commune), else ``WelcomeError``."""
    code = (insee or "").strip().upper()
    place = get_gazetteer().commune(code) if len(code) == 5 else None
    if place is None:
        raise WelcomeError(f"code INSEE inconnu : « {insee} » (5 caractères, ex. 46042 pour Cahors)")
    if place.lat is None or place.lon is None:
        raise WelcomeError(f"{place.name} ({place.insee}) n'a pas de coordonnées connues")
    return place


def directory_item(entry: DirectoryEntry, place: Place | None = None, today: date | None = None) -> dict[str, Any]:
    """One directory entry as shown on a page, in the JSON output and in the pack."""
    commune = get_gazetteer().commune(entry.commune_insee) if entry.commune_insee else None
    km = distance_km(place, commune) if place is not None and commune is not None else None
    return {
        "id": entry.id,
        "name": entry.name,
        "category": entry.category,
        "category_label": CATEGORIES.get(entry.category, entry.category),
        "commune": entry.commune_name,
        "contact": entry.contact_name,
        "phone": entry.phone,
        "email": entry.email,
        "website": entry.website,
        "address": entry.address,
        "notes": entry.notes,
        "last_checked": entry.last_checked.isoformat() if entry.last_checked else None,
        "stale": is_stale(entry, today),
        "distance_km": None if km is None else round(km, 1),
    }


def commune_summary(session: Session | None, insee: str) -> CommuneSummary:
    """What a commune offers a household (see module docstring); ``session`` None: no directory."""
    place = find_commune(insee)
    amenities = get_amenities()
    gazetteer = get_gazetteer()
    summary = CommuneSummary(place.insee or "", place.name, place.epci, gazetteer.epci_name(place.epci))
    if place.departement not in SCHOOL_DEPARTEMENTS:
        summary.schools_note = "hors Occitanie : les écoles de ce département ne sont pas dans les données"
    for near in amenities.nearest_schools(place.lat, place.lon):  # type: ignore[arg-type]
        school = near.item
        summary.schools.append(
            {
                "name": school.name,
                "type": school.type,
                "levels": list(school.levels),
                "levels_label": ", ".join(LEVEL_LABELS[level] for level in school.levels),
                "public": school.public,
                "canteen": school.canteen,
                "commune": _commune_name(school.insee),
                "distance_km": round(near.km, 1),
            }
        )
    for near in amenities.nearest_stations(place.lat, place.lon):  # type: ignore[arg-type]
        summary.stations.append(
            {
                "name": near.item.name,
                "class": near.item.drg_class,
                "class_label": STATION_CLASSES.get(near.item.drg_class, ""),
                "distance_km": round(near.km, 1),
            }
        )
    for near in amenities.nearest_hospitals(place.lat, place.lon):  # type: ignore[arg-type]
        summary.hospitals.append(
            {
                "name": near.item.name.title(),
                "type": near.item.type,
                "status": near.item.status,
                "city": near.item.city.title(),
                "distance_km": round(near.km, 1),
            }
        )
    if session is not None and place.epci:
        items = [directory_item(e, place) for e in list_entries(session, epcis=[place.epci])]
        summary.directory = sorted(items, key=lambda i: (i["distance_km"] is None, i["distance_km"] or 0, i["name"]))
    return summary


def _commune_name(insee: str) -> str | None:
    place = get_gazetteer().commune(insee)
    return place.name if place else None


def _main_commune(epci: str) -> str | None:
    communes = get_gazetteer().communes_in_epci(epci)
    if not communes:
        return None
    populations = get_gazetteer().communes
    return max(communes, key=lambda p: populations[p.insee].population if p.insee in populations else 0).insee


def _best_offers(session: Session, members: list[Candidate], limit: int = 3) -> dict[int, list[Offer]]:
    found: dict[int, list[Offer]] = {}
    for member in members:
        rows = session.execute(
            select(Offer)
            .join(Match, Match.offer_id == Offer.id)
            .where(Match.candidate_id == member.id)
            .order_by(Match.score.desc())
            .limit(limit)
        ).scalars()
        found[member.id] = list(rows)
    return found


def household_communes(session: Session, candidate: Candidate) -> list[str]:
    """INSEE codes the household considers: target areas first, then its best offers' communes."""
    members = household_members(session, candidate)
    codes: list[str] = []
    for member in members:
        area = member.target_area or {}
        codes += [str(c) for c in area.get("communes", [])]
        codes += [c for c in (_main_commune(str(e)) for e in area.get("epcis", [])) if c]
    for offers in _best_offers(session, members).values():
        codes += [o.commune_insee for o in offers if o.commune_insee]
    plan = session.get(WelcomePlan, candidate.id)
    if plan is not None and plan.commune_insee:
        codes.insert(0, plan.commune_insee)
    gazetteer = get_gazetteer()
    unique = [c for c in dict.fromkeys(codes) if gazetteer.commune(c) is not None]
    return unique[:MAX_COMMUNES]


@dataclass
class SettlingPage:
    candidate: Candidate
    members: list[Candidate]
    communes: list[CommuneSummary]
    # commune INSEE → [(member first name, offer title, offer commune, km)]
    workplaces: dict[str, list[dict[str, Any]]]
    steps: list[SettlingStep]
    referent: User | None
    plan: WelcomePlan | None
    introductions: list[Introduction]


def settling_page(session: Session, candidate: Candidate, communes: list[str] | None = None) -> SettlingPage:
    """Everything the household's settling page shows (staff and its référent only)."""
    members = household_members(session, candidate)
    codes = communes or household_communes(session, candidate)
    summaries = [commune_summary(session, code) for code in codes]
    offers = _best_offers(session, members)
    workplaces: dict[str, list[dict[str, Any]]] = {}
    for summary in summaries:
        place = get_gazetteer().commune(summary.insee)
        rows = []
        for member in members:
            for offer in offers.get(member.id, []):
                km = distance_km(place, (offer.lat, offer.lon))
                rows.append(
                    {
                        "member": member.first_name or f"n° {member.id}",
                        "title": offer.title,
                        "commune": offer.commune_name,
                        "distance_km": None if km is None else round(km, 1),
                    }
                )
        workplaces[summary.insee] = rows
    return SettlingPage(
        candidate=candidate,
        members=members,
        communes=summaries,
        workplaces=workplaces,
        steps=steps_of(session, candidate),
        referent=session.get(User, candidate.referent_id) if candidate.referent_id else None,
        plan=session.get(WelcomePlan, candidate.id),
        introductions=list(
            session.scalars(
                select(Introduction).where(Introduction.candidate_id == candidate.id).order_by(Introduction.id)
            )
        ),
    )


# --------------------------------------------------------------------------------------------------
# Steps and the welcome plan
# --------------------------------------------------------------------------------------------------


def steps_of(session: Session, candidate: Candidate) -> list[SettlingStep]:
    order = list(STEPS)
    steps = session.scalars(select(SettlingStep).where(SettlingStep.candidate_id == candidate.id))
    return sorted(steps, key=lambda s: order.index(s.step) if s.step in order else len(order))


def record_step(
    session: Session,
    candidate: Candidate,
    step: str,
    *,
    done_on: date | None,
    actor: str | None,
    note: str | None = None,
) -> SettlingStep:
    """Record (or re-date) a settling step; moving in marks the prospect ``settled``."""
    if step not in STEPS:
        raise WelcomeError(f"étape inconnue : « {step} » ({', '.join(STEPS)})")
    done_on = done_on or datetime.now(UTC).date()
    if done_on > datetime.now(UTC).date():
        raise WelcomeError("la date d'une étape ne peut pas être dans le futur")
    row = session.scalars(
        select(SettlingStep).where(SettlingStep.candidate_id == candidate.id, SettlingStep.step == step)
    ).first()
    if row is None:
        row = SettlingStep(candidate_id=candidate.id, step=step)
        session.add(row)
    row.done_on, row.staff, row.note, row.recorded_at = done_on, actor, (note or "").strip() or None, utcnow()
    if step == "moved_in" and candidate.status != "settled":
        set_status(session, candidate, "settled", staff=actor, note=STEPS[step])
    audit(session, actor, "settling_step", "candidate", candidate.id, {"step": step, "on": done_on.isoformat()})
    session.flush()
    return row


def save_plan(
    session: Session, candidate: Candidate, *, commune_insee: str | None, entry_ids: list[int], actor: str | None
) -> WelcomePlan:
    """The chosen commune and the directory entries the référent picked for the welcome pack."""
    if commune_insee:
        commune_insee = find_commune(commune_insee).insee
    known = set(session.scalars(select(DirectoryEntry.id).where(DirectoryEntry.id.in_(entry_ids))))
    plan = session.get(WelcomePlan, candidate.id) or WelcomePlan(candidate_id=candidate.id)
    plan.commune_insee = commune_insee or None
    plan.entry_ids = [i for i in entry_ids if i in known]
    plan.updated_by, plan.updated_at = actor, utcnow()
    session.add(plan)
    session.flush()
    return plan


@dataclass
class WelcomePack:
    household: str
    commune: CommuneSummary
    referent: dict[str, str | None] | None
    ambassador: dict[str, str | None] | None
    entries: list[dict[str, Any]]
    steps: list[dict[str, str]]
    made_on: date


def welcome_pack(session: Session, candidate: Candidate, *, today: date | None = None) -> WelcomePack:
    """The contents of the household's welcome pack (see module docstring)."""
    plan = session.get(WelcomePlan, candidate.id)
    codes = [plan.commune_insee] if plan and plan.commune_insee else household_communes(session, candidate)
    if not codes:
        raise WelcomeError("choisissez d'abord la commune du foyer (page d'installation)")
    summary = commune_summary(session, codes[0])
    place = get_gazetteer().commune(codes[0])
    picked = list(session.scalars(select(DirectoryEntry).where(DirectoryEntry.id.in_(plan.entry_ids)))) if plan else []
    referent = session.get(User, candidate.referent_id) if candidate.referent_id else None
    accepted = session.scalars(
        select(Introduction)
        .where(Introduction.candidate_id == candidate.id, Introduction.status == "accepted")
        .order_by(Introduction.introduced_at.desc())
    ).first()
    ambassador: Ambassador | None = accepted.ambassador if accepted else None
    names = " et ".join(m.first_name or "" for m in household_members(session, candidate) if m.first_name)
    return WelcomePack(
        household=names or "votre foyer",
        commune=summary,
        referent={"name": referent.full_name, "email": referent.email} if referent else None,
        ambassador=None
        if ambassador is None or ambassador.withdrawn_at
        else {
            "name": f"{ambassador.first_name or ''} {ambassador.last_name or ''}".strip(),
            "email": ambassador.email,
            "phone": ambassador.phone,
            "commune": _commune_name(ambassador.commune_insee or ""),
        },
        entries=[directory_item(e, place, today) for e in picked],
        steps=[{"label": STEPS.get(s.step, s.step), "on": s.done_on.isoformat()} for s in steps_of(session, candidate)],
        made_on=today or datetime.now(UTC).date(),
    )


def welcome_pack_pdf(pack: WelcomePack) -> bytes:
    """The welcome pack as a French PDF (WeasyPrint, like the employers' shortlist; fetches nothing)."""
    return html_to_pdf(documents.render("welcome_pack_pdf.html", pack=pack, crow_flies=CROW_FLIES))
