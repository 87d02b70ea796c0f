"""The welcome part of ``ohmylot demo``: référents for the Lot's EPCIs, a small directory, 20 ambassadors, and
one household's settling summary. Idempotent: a second run finds the same accounts, entries and ambassadors.

The people are invented (``.invalid`` e-mail addresses); the places are real communes of the Lot.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from matching.geo import get_gazetteer
from services.ambassadors import proposals_for, sign_up
from services.directory import check_entry, save_entry
from services.referents import assign_from_target_area
from services.welcome import commune_summary, household_communes
from store.models import Ambassador, Candidate, CandidateEvent, DirectoryEntry, Event, Introduction, User

LOT = "46"
DEMO_DOMAIN = "@demo.ohmylot.invalid"  # every account and ambassador the demo creates; see remove_demo_welcome
DEMO_ACTOR = "demo"
DIRECTORY = [
    {"name": "Crèche Les Petits Loups", "category": "crèche", "commune": "Figeac", "phone": "05 65 00 10 01"},
    {"name": "Relais petite enfance du Grand-Figeac", "category": "petite enfance", "commune": "Figeac"},
    {"name": "Maison de santé pluriprofessionnelle", "category": "MSP", "commune": "Figeac"},
    {"name": "Association Accueil des villes françaises", "category": "association", "commune": "Cahors"},
    {"name": "Cahors Habitat", "category": "logement", "commune": "Cahors", "phone": "05 65 00 20 02"},
    {"name": "Crèche Le Nid", "category": "crèche", "commune": "Cahors", "last_checked": "01/01/2024"},
    {"name": "Médiathèque de Gourdon", "category": "médiathèque", "commune": "Gourdon"},
    {"name": "Rugby club de Gramat", "category": "sport", "commune": "Gramat"},
    {"name": "Maison de santé de Saint-Céré", "category": "maison de santé", "commune": "Saint-Céré"},
]
FIRST_NAMES = [
    "Anne",
    "Bruno",
    "Chloé",
    "Didier",
    "Émilie",
    "Fabien",
    "Gaëlle",
    "Hugo",
    "Inès",
    "Jules",
    "Karine",
    "Louis",
    "Maëlle",
    "Nicolas",
    "Odile",
    "Pierre",
    "Rose",
    "Samuel",
    "Téa",
    "Victor",
]
COMMUNES = [
    "Figeac",
    "Cahors",
    "Gourdon",
    "Gramat",
    "Saint-Céré",
    "Souillac",
    "Capdenac-Gare",
    "Lacapelle-Marival",
    "Puy-l'Évêque",
    "Prayssac",
]
TRADES = [
    ("G", "restauratrice"),
    ("J", "infirmier"),
    ("K", "professeure des écoles"),
    ("H", "technicien"),
    ("A", "viticulteur"),
]
FAMILIES = ["couple_enfants", "couple", "seul", "parent_seul"]


def lot_epcis() -> list[str]:
    """The SIRENs of the EPCIs with at least one commune in the Lot (10)."""
    gazetteer = get_gazetteer()
    return sorted({c.epci for c in gazetteer.communes.values() if c.departement == LOT and c.epci})


def seed_referents(session: Session) -> int:
    """One référent accueil per EPCI of the Lot (accounts without password: staff set one); returns how many."""
    gazetteer = get_gazetteer()
    for index, siren in enumerate(lot_epcis(), start=1):
        email = f"accueil-{siren}{DEMO_DOMAIN}"
        if session.scalars(select(User).where(User.email == email)).first() is None:
            session.add(
                User(
                    email=email,
                    role="referent",
                    territory=[siren],
                    full_name=f"Référent accueil n° {index} ({gazetteer.epci_name(siren)})",
                )
            )
    session.flush()
    return len(lot_epcis())


def seed_directory(session: Session) -> int:
    for row in DIRECTORY:
        check = check_entry(row)
        if not check.errors:
            save_entry(session, check, actor=DEMO_ACTOR)
    return len(DIRECTORY)


def seed_ambassadors(session: Session, count: int = 20) -> int:
    for index in range(count):
        sector, trade = TRADES[index % len(TRADES)]
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        sign_up(
            session,
            {
                "first_name": first,
                "last_name": f"Démo{index + 1}",
                "email": f"ambassadeur{index + 1}{DEMO_DOMAIN}",
                "commune": COMMUNES[index % len(COMMUNES)],
                "sector": sector,
                "trade": trade,
                "family_situation": FAMILIES[index % len(FAMILIES)],
                "availability": str(1 + index % 3),
                "languages": "français, anglais" if index % 2 else "français",
            },
            consent=True,
        )
    return count


def seed_welcome(session: Session, event_name: str | None = None) -> dict[str, Any]:
    """Seed the welcome loop and return one household's settling summary (for the demo's printout).

    Only the prospects met at ``event_name`` (the demo's job fair; None: every prospect) get a référent.
    """
    referents = seed_referents(session)
    entries = seed_directory(session)
    ambassadors = seed_ambassadors(session)
    query = select(Candidate).where(Candidate.anonymized_at.is_(None)).order_by(Candidate.id)
    if event_name is not None:
        met = select(CandidateEvent.candidate_id).join(Event).where(Event.name == event_name)
        query = query.where(Candidate.id.in_(met))
    prospects = list(session.scalars(query))
    for candidate in prospects:
        assign_from_target_area(session, candidate)
    session.flush()
    chosen = next((c for c in prospects if household_communes(session, c)), None)
    result: dict[str, Any] = {
        "referents": referents,
        "directory_entries": entries,
        "ambassadors": ambassadors,
        "household": None,
    }
    if chosen is None:
        return result
    commune = household_communes(session, chosen)[0]
    summary = commune_summary(session, commune).as_dict()
    referent = session.get(User, chosen.referent_id) if chosen.referent_id else None
    result["household"] = {
        "candidate_id": chosen.id,
        "name": f"{chosen.first_name or ''} {chosen.last_name or ''}".strip(),
        "referent": referent.full_name if referent else None,
        "summary": summary,
        "ambassadors": [
            {"name": f"{p.ambassador.first_name} {p.ambassador.last_name}", "reasons": p.proposal.reasons}
            for p in proposals_for(session, chosen, limit=3)
        ],
    }
    return result


def remove_demo_welcome(session: Session) -> dict[str, int]:
    """Take the demo's référents, ambassadors (and their introductions) and directory entries out again."""
    users = select(User.id).where(User.email.endswith(DEMO_DOMAIN))
    session.execute(update(Candidate).where(Candidate.referent_id.in_(users)).values(referent_id=None))
    ambassadors = select(Ambassador.id).where(Ambassador.email.endswith(DEMO_DOMAIN))
    session.execute(delete(Introduction).where(Introduction.ambassador_id.in_(ambassadors)))
    return {
        "ambassadors": session.execute(delete(Ambassador).where(Ambassador.email.endswith(DEMO_DOMAIN))).rowcount,
        "referents": session.execute(delete(User).where(User.email.endswith(DEMO_DOMAIN))).rowcount,
        "directory_entries": session.execute(
            delete(DirectoryEntry).where(DirectoryEntry.updated_by == DEMO_ACTOR)
        ).rowcount,
    }
