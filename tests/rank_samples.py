"""A small, realistic set of offers of the Lot and prospects, shared by the ranking tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

CAHORS, FIGEAC, GOURDON, GRAMAT, SAINT_CERE, PRADINES = "46042", "46102", "46127", "46128", "46251", "46224"
TOULOUSE, BRIVE = "31555", "19031"
GRAND_CAHORS, GRAND_FIGEAC = "200023737", "200067361"


def _offer(offer_id: str, title: str, description: str, insee: str | None, **fields: Any) -> dict[str, Any]:
    days = fields.pop("days", 5)
    data: dict[str, Any] = {
        "id": offer_id,
        "source": "test",
        "source_id": offer_id,
        "title": title,
        "title_clean": title,
        "description": description,
        "contract_type": fields.pop("contract", "CDI"),
        "working_time": fields.pop("time", "full_time"),
        "rome_code": fields.pop("rome", None),
        "published_at": (NOW - timedelta(days=days)).isoformat(),
        "expires_at": fields.pop("expires", None),
        "location": {"insee": insee},
        "flags": fields.pop("flags", []),
    }
    data.update(fields)
    return data


OFFERS: list[dict[str, Any]] = [
    _offer(
        "as-cahors",
        "Aide-soignant(e) H/F - EHPAD",
        "L'EHPAD Les Tilleuls recrute un aide-soignant diplômé d'État pour les soins d'hygiène et de confort, "
        "la toilette, l'aide aux repas et les transmissions. Travail en équipe, un week-end sur deux.",
        CAHORS,
        rome="J1501",
    ),
    _offer(
        "as-figeac-cdd",
        "Aide soignant de nuit",
        "Centre hospitalier de Figeac : aide-soignant de nuit en service de médecine, remplacement de 6 mois.",
        FIGEAC,
        contract="CDD",
        rome="J1501",
    ),
    _offer(
        "as-toulouse",
        "Aide-soignant H/F",
        "CHU de Toulouse, service de gériatrie, soins d'hygiène et de confort.",
        TOULOUSE,
        rome="J1501",
    ),
    _offer(
        "ash-gourdon",
        "Agent de service hospitalier",
        "Hôpital de Gourdon : bionettoyage des chambres, distribution des repas, hygiène des locaux.",
        GOURDON,
        contract="CDD",
        rome="J1301",
    ),
    _offer(
        "ide-cahors",
        "Infirmier diplômé d'État (IDE) H/F",
        "Le centre hospitalier de Cahors recrute un infirmier en soins généraux pour son service d'urgences. "
        "Soins techniques, surveillance, coordination avec les médecins.",
        CAHORS,
        rome="J1506",
    ),
    _offer(
        "ide-saint-cere-partiel",
        "Infirmière / Infirmier à temps partiel",
        "SSIAD de Saint-Céré : soins infirmiers à domicile, tournées en voiture, permis B indispensable.",
        SAINT_CERE,
        time="part_time",
        rome="J1506",
    ),
    _offer(
        "ide-closed",
        "Infirmier de bloc opératoire",
        "Clinique de Cahors, bloc opératoire.",
        CAHORS,
        rome="J1504",
        status="closed",
    ),
    _offer(
        "ide-expired",
        "Infirmier IDE de nuit",
        "EHPAD de Pradines, poste de nuit.",
        PRADINES,
        rome="J1506",
        expires=(NOW - timedelta(days=2)).isoformat(),
    ),
    _offer(
        "cuisinier-gramat",
        "Cuisinier / Cuisinière",
        "Restaurant traditionnel à Gramat : cuisine du terroir, produits frais, préparation des entrées et plats.",
        GRAMAT,
        contract="saisonnier",
        rome="G1602",
    ),
    _offer(
        "commis-cahors",
        "Commis de cuisine H/F",
        "Brasserie du centre de Cahors : mise en place, préparations froides, plonge.",
        CAHORS,
        contract="CDD",
        rome="G1602",
    ),
    _offer(
        "medecin-figeac",
        "Médecin généraliste",
        "Maison de santé pluriprofessionnelle du Grand-Figeac : exercice libéral ou salarié, patientèle assurée.",
        FIGEAC,
        contract="liberal",
        rome="J1102",
    ),
    _offer(
        "ingenieur-figeac",
        "Ingénieur méthodes aéronautique H/F",
        "Industriel de la Mecanic Vallée : industrialisation de pièces aéronautiques, amélioration continue, "
        "gammes de fabrication.",
        FIGEAC,
        rome="H1402",
    ),
    _offer(
        "agricole-gramat",
        "Ouvrier agricole polyvalent",
        "Exploitation en polyculture-élevage sur le causse : soins aux animaux, conduite du tracteur, clôtures.",
        GRAMAT,
        contract="CDD",
        rome="A1416",
    ),
    _offer(
        "as-brive",
        "Aide-soignante",
        "EHPAD de Brive-la-Gaillarde.",
        BRIVE,
        rome="J1501",
    ),
    _offer(
        "as-no-rome",
        "Aide-soignant à domicile",
        "Service de soins infirmiers à domicile de Gramat : toilette, aide à la mobilité.",
        GRAMAT,
        contract=None,
        time=None,
    ),
]


def candidate(candidate_id: str, desired_jobs: str, **fields: Any) -> dict[str, Any]:
    """A candidate JSON record (the documented input of ``ohmylot match``)."""
    data: dict[str, Any] = {
        "id": candidate_id,
        "desired_jobs": desired_jobs,
        "rome_codes": fields.pop("rome_codes", []),
        "skills": fields.pop("skills", ""),
        "contract_types": fields.pop("contract_types", []),
        "contract_required": fields.pop("contract_required", False),
        "working_time": fields.pop("working_time", None),
        "working_time_required": fields.pop("working_time_required", False),
        "location": fields.pop("location", {}),
        "target_area": fields.pop("target_area", {"departements": ["46"]}),
        "radius_km": fields.pop("radius_km", 30),
    }
    data.update(fields)
    return data
