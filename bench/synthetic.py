"""Realistic synthetic French job postings, with the ground truth of which postings are one vacancy.

Used by the deduplication benchmark (``bench/dedup.py``), to build the labelled pairs of
``tests/data/dedup/`` and by anyone who needs many believable postings (ranking benchmarks).

How it works: employers of the Lot's real sectors (hospitals, EHPAD, town halls, agri-food, hotels and
campsites, farms, aeronautics, home care, transport, retail) are placed in real communes
(``matching/data/communes.csv``); each employer opens *vacancies* built from job templates (title, ROME code,
contract, hours, salary, missions and profile sentences with two phrasings each). Some vacancies get a
*sibling*: the same employer and title for another service, another site, another contract, other hours or
a later date (the hard non-duplicates). Each vacancy is then *published* on one to four sources (the
employer's site, France Travail, HelloWork, Indeed-style boards, the public-sector job site), each source
rewriting it the way real cross-posting does: H/F marks, upper case, reworded title, truncated or
reformatted description, employer name abbreviated or missing, place given as a département only, dates
shifted, salary on one source only, France Travail ``partners`` pointing at the employer's page, a repost
weeks later. Every posting is the JSON form of ``NormalizedPosting.as_json()`` plus ``id``.

Usage::

    from bench.synthetic import generate
    for item in generate(2000, seed=1):          # Lot and neighbours
        item.data, item.vacancy, item.kind
    generate(1_000_000, seed=1, scope="france")  # national scale, lazily

``python -m bench.synthetic 1000 > postings.jsonl`` writes postings (with ``vacancy`` and ``kind``).

Size (issue 20): over 600 lines on purpose: most of it is the job and employer templates the generator
draws from, in one place with the draws, so that the order of the random draws (hence every corpus) stays
readable and stable.
"""

from __future__ import annotations

import csv
import itertools
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from matching.dedup_records import _EMPLOYER_KIND_WORDS, employer_key
from matching.text import fold

DATA = Path(__file__).resolve().parent.parent / "matching" / "data"
LOT_AREA = ("46", "12", "15", "19", "24", "47", "82")
EPOCH = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Commune:
    insee: str
    name: str
    postal_code: str
    lat: float
    lon: float
    departement: str
    epci: str
    population: int


@lru_cache(maxsize=4)
def communes(scope: str = "lot") -> tuple[list[Commune], list[float]]:
    """Communes of the scope (``lot``: the Lot and its neighbours, ``france``: all), cumulative weights."""
    found: list[Commune] = []
    with (DATA / "communes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if scope == "lot" and row["departement"] not in LOT_AREA:
                continue
            try:
                commune = Commune(
                    row["insee"],
                    row["name"],
                    (row["postal_codes"] or "").split(";")[0][:5],
                    float(row["lat"]),
                    float(row["lon"]),
                    row["departement"],
                    row["epci"],
                    int(row["population"] or 0),
                )
            except ValueError:
                continue
            found.append(commune)
    weights = [max(c.population, 50) ** 1.1 for c in found]
    if scope == "lot":  # the Lot itself carries most offers
        weights = [w * (6 if c.departement == "46" else 1) for c, w in zip(found, weights, strict=True)]
    return found, list(itertools.accumulate(weights))


# --------------------------------------------------------------------------------------------------
# Employers and job templates
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmployerKind:
    kind: str
    names: tuple[str, ...]  # "{town}" is replaced by the commune name; "{name}" by a proper name
    proper: tuple[str, ...]
    abbreviations: tuple[tuple[str, str], ...]  # (long form, short form)
    jobs: tuple[str, ...]
    public: bool = False
    intro: str = ""


@dataclass(frozen=True, slots=True)
class Job:
    key: str
    rome: str
    titles: tuple[str, ...]  # first = canonical; the others are rewordings used by other sources
    missions: tuple[tuple[str, str], ...]
    profile: tuple[tuple[str, str], ...]
    contracts: tuple[str, ...]
    salary: tuple[float, float, str]  # min, max, period
    services: tuple[str, ...] = ()
    hours: tuple[float, ...] = (35.0,)


JOBS: dict[str, Job] = {
    j.key: j
    for j in [
        Job(
            "ide",
            "J1506",
            ("Infirmier", "Infirmier diplômé d'État", "IDE", "Infirmier en soins généraux"),
            (
                (
                    "Vous assurez les soins techniques et relationnels auprès des patients",
                    "Vous réalisez les soins infirmiers techniques et relationnels",
                ),
                (
                    "Vous surveillez l'état clinique des patients et alertez le médecin",
                    "Vous assurez la surveillance clinique et transmettez les alertes au médecin",
                ),
                (
                    "Vous tracez les soins dans le dossier de soins informatisé",
                    "La traçabilité des soins se fait dans le dossier patient informatisé",
                ),
                (
                    "Vous encadrez les aides-soignants et les stagiaires",
                    "Vous accompagnez les aides-soignants et accueillez les étudiants en soins infirmiers",
                ),
                (
                    "Vous participez aux transmissions et aux réunions de service",
                    "Vous prenez part aux transmissions orales et écrites de l'équipe",
                ),
            ),
            (
                ("Diplôme d'État d'infirmier exigé", "Vous êtes titulaire du DE infirmier"),
                ("Sens du travail en équipe et rigueur", "Rigoureux, vous aimez travailler en équipe"),
                ("Débutant accepté, tutorat assuré", "Les jeunes diplômés sont les bienvenus"),
            ),
            ("CDI", "CDD", "titulaire"),
            (2050, 2600, "month"),
            (
                "médecine polyvalente",
                "pneumologie",
                "cardiologie",
                "urgences",
                "soins de suite et de réadaptation",
                "chirurgie ambulatoire",
                "gériatrie",
                "psychiatrie adulte",
            ),
            (35.0, 28.0),
        ),
        Job(
            "as",
            "J1501",
            ("Aide-soignant", "Aide soignant diplômé", "AS", "Aide-soignant diplômé d'État"),
            (
                (
                    "Vous accompagnez les résidents dans les actes de la vie quotidienne",
                    "Vous aidez les résidents dans les gestes du quotidien",
                ),
                (
                    "Vous réalisez les soins d'hygiène et de confort",
                    "Les soins d'hygiène et de confort vous sont confiés",
                ),
                (
                    "Vous participez aux transmissions écrites et orales",
                    "Vous prenez part aux transmissions de l'équipe",
                ),
                (
                    "Vous veillez à la prévention des chutes et des escarres",
                    "La prévention des risques (chutes, escarres) fait partie de vos missions",
                ),
                ("Vous aidez à la prise des repas", "Vous accompagnez les repas des résidents"),
            ),
            (
                ("Diplôme d'État d'aide-soignant exigé", "DEAS obligatoire"),
                ("Bienveillance et patience", "Vous êtes bienveillant et patient"),
                ("Permis B apprécié", "Le permis B est un plus"),
            ),
            ("CDI", "CDD"),
            (1850, 2150, "month"),
            ("unité Alzheimer", "unité de vie protégée", "hébergement permanent", "nuit", "accueil de jour"),
            (35.0, 28.0, 24.5),
        ),
        Job(
            "ash",
            "J1301",
            ("Agent de service hospitalier", "ASH", "Agent des services hospitaliers", "Agent de service"),
            (
                (
                    "Vous assurez l'entretien des chambres et des locaux communs",
                    "Le bionettoyage des chambres et des parties communes vous est confié",
                ),
                ("Vous participez au service des repas", "Vous aidez au service des repas en salle"),
                ("Vous respectez les protocoles d'hygiène", "Vous appliquez les protocoles d'hygiène en vigueur"),
            ),
            (
                ("Une première expérience en collectivité est appréciée", "Expérience en établissement souhaitée"),
                ("Discrétion et sens du service", "Vous êtes discret et avez le sens du service"),
            ),
            ("CDD", "CDI"),
            (1800, 1850, "month"),
            ("hébergement", "cuisine", "lingerie"),
            (35.0, 24.5),
        ),
        Job(
            "secretaire_mairie",
            "M1602",
            (
                "Secrétaire de mairie",
                "Secrétaire général de mairie",
                "Secrétaire administratif de mairie",
                "Secrétaire de mairie polyvalent",
            ),
            (
                (
                    "Vous assurez l'accueil du public et la gestion de l'état civil",
                    "Accueil du public, état civil et urbanisme sont au cœur de vos missions",
                ),
                ("Vous préparez le budget et suivez son exécution", "Vous élaborez et exécutez le budget communal"),
                ("Vous rédigez les délibérations et arrêtés", "La rédaction des actes administratifs vous revient"),
                ("Vous assistez le maire et les élus", "Vous êtes l'interlocuteur privilégié des élus"),
            ),
            (
                ("Connaissance des collectivités territoriales", "Vous maîtrisez le fonctionnement des communes"),
                ("Maîtrise des outils bureautiques", "À l'aise avec l'informatique"),
            ),
            ("titulaire", "contractuel"),
            (1900, 2300, "month"),
            (),
            (35.0, 28.0, 17.5),
        ),
        Job(
            "agent_technique",
            "I1203",
            (
                "Agent technique polyvalent",
                "Agent des services techniques",
                "Agent d'entretien polyvalent",
                "Agent technique",
            ),
            (
                (
                    "Vous entretenez les bâtiments communaux et la voirie",
                    "L'entretien des bâtiments et de la voirie communale vous est confié",
                ),
                ("Vous assurez l'entretien des espaces verts", "Vous entretenez les espaces verts de la commune"),
                ("Vous participez à la logistique des manifestations", "Vous installez le matériel des fêtes"),
            ),
            (
                ("Permis B obligatoire, permis C apprécié", "Titulaire du permis B"),
                ("Polyvalence et autonomie", "Vous êtes polyvalent et autonome"),
            ),
            ("titulaire", "contractuel", "CDD"),
            (1800, 1950, "month"),
            ("espaces verts", "bâtiments", "voirie"),
            (35.0,),
        ),
        Job(
            "conducteur_ligne",
            "H2102",
            (
                "Conducteur de ligne",
                "Conducteur de ligne de production",
                "Conducteur de ligne agroalimentaire",
                "Pilote de ligne de production",
            ),
            (
                ("Vous réglez et conduisez la ligne de production", "Vous pilotez et réglez la ligne"),
                (
                    "Vous contrôlez la qualité des produits en cours de fabrication",
                    "Le contrôle qualité en cours de production fait partie du poste",
                ),
                ("Vous assurez la maintenance de premier niveau", "Vous réalisez la maintenance de niveau 1"),
                ("Vous respectez les règles d'hygiène et de sécurité alimentaire", "Vous appliquez les normes HACCP"),
            ),
            (
                ("Expérience en industrie agroalimentaire souhaitée", "Une expérience en agroalimentaire est un plus"),
                ("Travail en 2x8", "Poste en équipes alternées 2x8"),
            ),
            ("CDI", "CDD", "interim"),
            (1900, 2200, "month"),
            ("conditionnement", "cuisson", "stérilisation"),
            (35.0,),
        ),
        Job(
            "cuisinier",
            "G1602",
            ("Cuisinier", "Cuisinier polyvalent", "Cuisinier confirmé", "Cuisinier traditionnel"),
            (
                (
                    "Vous préparez les entrées, plats et desserts de la carte",
                    "Vous réalisez les plats de la carte, de l'entrée au dessert",
                ),
                (
                    "Vous travaillez des produits frais et locaux",
                    "La cuisine est faite maison avec des produits du terroir",
                ),
                ("Vous assurez la mise en place et le nettoyage du poste", "Mise en place et plonge du poste"),
            ),
            (
                ("Expérience d'une saison minimum", "Une première saison réussie est demandée"),
                ("Logement possible", "Possibilité de logement sur place"),
            ),
            ("saisonnier", "CDD", "CDI"),
            (1850, 2300, "month"),
            (),
            (39.0, 35.0),
        ),
        Job(
            "serveur",
            "G1803",
            ("Serveur", "Serveur en restauration", "Serveur polyvalent", "Employé de salle"),
            (
                ("Vous accueillez et conseillez la clientèle", "Accueil et conseil des clients en salle"),
                ("Vous assurez le service en salle et en terrasse", "Le service en salle et en terrasse vous revient"),
                ("Vous dressez et débarrassez les tables", "Vous mettez en place la salle"),
            ),
            (
                ("Anglais apprécié", "Notions d'anglais souhaitées"),
                ("Sourire et dynamisme", "Vous êtes souriant et dynamique"),
            ),
            ("saisonnier", "CDD"),
            (1800, 1950, "month"),
            ("restaurant", "bar", "petit-déjeuner"),
            (39.0, 35.0),
        ),
        Job(
            "receptionniste",
            "G1703",
            ("Réceptionniste", "Réceptionniste tournant", "Employé de réception", "Réceptionniste en hôtellerie"),
            (
                ("Vous accueillez les clients et gérez les arrivées et départs", "Check-in, check-out et accueil"),
                ("Vous gérez les réservations", "La gestion du planning des réservations vous est confiée"),
                (
                    "Vous renseignez sur les activités touristiques du Lot",
                    "Vous conseillez les visiteurs sur la région",
                ),
            ),
            (
                ("Anglais courant exigé", "Vous parlez anglais couramment"),
                ("Maîtrise d'un logiciel de réservation", "Connaissance d'un PMS appréciée"),
            ),
            ("saisonnier", "CDD", "CDI"),
            (1850, 2000, "month"),
            (),
            (35.0,),
        ),
        Job(
            "ouvrier_agricole",
            "A1405",
            ("Ouvrier agricole", "Ouvrier agricole polyvalent", "Salarié agricole", "Agent agricole"),
            (
                ("Vous participez à la taille et à l'entretien des vergers", "Taille et entretien du verger"),
                ("Vous participez aux récoltes", "Vous prenez part à la cueillette"),
                ("Vous conduisez le tracteur", "Conduite d'engins agricoles"),
            ),
            (
                ("Expérience agricole souhaitée", "Une expérience en exploitation est un plus"),
                ("Résistance physique", "Travail physique en extérieur"),
            ),
            ("saisonnier", "CDD"),
            (11.88, 12.5, "hour"),
            ("noyers", "pommiers", "vigne"),
            (35.0, 39.0),
        ),
        Job(
            "usineur",
            "H2903",
            ("Technicien d'usinage", "Technicien usinage CN", "Usineur", "Opérateur usinage commande numérique"),
            (
                (
                    "Vous usinez des pièces aéronautiques sur centre 5 axes",
                    "Vous réalisez l'usinage de pièces aéronautiques sur machines 5 axes",
                ),
                ("Vous réglez les machines et contrôlez les pièces", "Réglage des machines et autocontrôle des pièces"),
                ("Vous lisez les plans et gammes de fabrication", "Vous travaillez à partir de plans et de gammes"),
            ),
            (
                ("Bac pro ou BTS productique", "Formation en usinage (Bac pro, BTS)"),
                ("Expérience sur commande numérique Fanuc ou Siemens", "Vous connaissez les commandes Fanuc"),
            ),
            ("CDI", "interim", "CDD"),
            (2100, 2700, "month"),
            ("tournage", "fraisage", "rectification"),
            (35.0,),
        ),
        Job(
            "ajusteur",
            "H2901",
            (
                "Ajusteur-monteur aéronautique",
                "Monteur structure aéronautique",
                "Ajusteur monteur",
                "Compagnon ajusteur",
            ),
            (
                ("Vous assemblez des sous-ensembles de structure", "Assemblage de sous-ensembles aéronautiques"),
                ("Vous réalisez perçage, rivetage et ajustage", "Perçage, rivetage, ajustage sont votre quotidien"),
                ("Vous renseignez les documents de suivi qualité", "Vous complétez les documents qualité"),
            ),
            (("CAP ou Bac pro aéronautique", "Formation aéronautique de niveau CAP à Bac pro"),),
            ("CDI", "interim"),
            (2000, 2500, "month"),
            ("cellule", "trains d'atterrissage"),
            (35.0,),
        ),
        Job(
            "auxiliaire_vie",
            "K1302",
            ("Auxiliaire de vie", "Aide à domicile", "Assistant de vie", "Auxiliaire de vie sociale"),
            (
                ("Vous accompagnez des personnes âgées à leur domicile", "Vous intervenez chez des personnes âgées"),
                ("Vous aidez à la toilette, aux repas et aux courses", "Aide à la toilette, aux repas et aux courses"),
                ("Vous entretenez le logement", "Entretien du cadre de vie"),
            ),
            (
                ("Permis B et véhicule indispensables", "Véhicule personnel exigé"),
                ("DEAVS ou expérience", "Diplôme du secteur ou expérience auprès de personnes âgées"),
            ),
            ("CDI", "CDD"),
            (11.88, 12.8, "hour"),
            ("secteur nord", "secteur sud"),
            (24.0, 28.0, 30.0),
        ),
        Job(
            "educateur",
            "K1207",
            (
                "Éducateur spécialisé",
                "Educateur specialise",
                "Éducateur spécialisé diplômé",
                "Éducateur spécialisé DEES",
            ),
            (
                (
                    "Vous accompagnez des adultes en situation de handicap",
                    "Vous accompagnez des personnes adultes handicapées",
                ),
                ("Vous élaborez les projets personnalisés", "Vous construisez les projets d'accompagnement"),
                ("Vous animez des activités éducatives", "Animation d'ateliers éducatifs"),
            ),
            (("DEES exigé", "Diplôme d'État d'éducateur spécialisé"),),
            ("CDI", "CDD"),
            (2000, 2400, "month"),
            ("foyer de vie", "foyer d'hébergement", "SAVS"),
            (35.0, 28.0),
        ),
        Job(
            "chauffeur_pl",
            "N4101",
            ("Chauffeur poids lourd", "Conducteur PL", "Chauffeur SPL", "Conducteur routier"),
            (
                ("Vous livrez nos clients en régional", "Livraisons régionales"),
                ("Vous chargez et déchargez la marchandise", "Chargement et déchargement"),
                ("Vous vérifiez votre véhicule", "Contrôle du véhicule avant départ"),
            ),
            (("Permis C ou CE et FIMO à jour", "Permis CE, FCO à jour"),),
            ("CDI", "interim", "CDD"),
            (2100, 2400, "month"),
            ("frigorifique", "citerne", "messagerie"),
            (39.0, 35.0),
        ),
        Job(
            "preparateur",
            "N1103",
            (
                "Préparateur de commandes",
                "Opérateur logistique",
                "Préparateur de commandes cariste",
                "Agent logistique préparateur",
            ),
            (
                ("Vous préparez les commandes à l'aide d'un terminal", "Préparation des commandes par scanner"),
                ("Vous réceptionnez et rangez les marchandises", "Réception et stockage des produits"),
            ),
            (("CACES 1 et 5 appréciés", "CACES apprécié"),),
            ("interim", "CDD", "CDI"),
            (1800, 1950, "month"),
            ("frais", "sec"),
            (35.0,),
        ),
        Job(
            "vendeur",
            "D1106",
            ("Vendeur", "Vendeur polyvalent", "Vendeur en alimentation", "Employé de commerce"),
            (
                ("Vous conseillez les clients", "Conseil à la clientèle"),
                ("Vous mettez en rayon les produits", "Mise en rayon et facing"),
            ),
            (("Sens du commerce", "Goût pour la vente"),),
            ("CDD", "CDI", "saisonnier"),
            (1800, 1900, "month"),
            ("fruits et légumes", "boucherie", "caisse"),
            (35.0, 30.0, 24.0),
        ),
    ]
}

EMPLOYER_KINDS: tuple[EmployerKind, ...] = (
    EmployerKind(
        "hospital",
        ("Centre hospitalier de {town}", "Centre hospitalier Jean Coulon de {town}"),
        (),
        (("Centre hospitalier", "CH"),),
        ("ide", "as", "ash"),
        True,
        "Établissement public de santé, le centre hospitalier de {town} compte 300 lits et places.",
    ),
    EmployerKind(
        "ehpad",
        ("EHPAD {name}", "EHPAD {name} de {town}", "Résidence {name}"),
        (
            "Les Tilleuls",
            "La Roseraie",
            "Le Bon Accueil",
            "Les Jardins du Quercy",
            "Le Mas des Causses",
            "Les Chênes",
            "La Vallée du Lot",
            "Saint-Joseph",
            "Les Cèdres",
            "Le Château",
        ),
        (("Résidence", "EHPAD"),),
        ("as", "ide", "ash"),
        False,
        "L'EHPAD accueille 80 résidents dans un cadre verdoyant.",
    ),
    EmployerKind(
        "townhall",
        ("Mairie de {town}", "Commune de {town}"),
        (),
        (("Mairie de", "Ville de"),),
        ("secretaire_mairie", "agent_technique"),
        True,
        "La commune de {town} recrute pour ses services.",
    ),
    EmployerKind(
        "agrifood",
        ("{name}", "{name} SAS", "Conserverie {name}"),
        (
            "Conserverie du Causse",
            "Salaisons du Haut-Quercy",
            "Fromagerie des Causses",
            "Foies Gras de la Bouriane",
            "Noix du Quercy",
            "Délices du Lot",
            "Truffes et Terroir",
        ),
        (),
        ("conducteur_ligne", "preparateur", "chauffeur_pl"),
        False,
        "Entreprise familiale de l'agroalimentaire, nous transformons les produits du terroir.",
    ),
    EmployerKind(
        "hotel",
        ("{name}", "Hôtel {name}", "Camping {name}"),
        (
            "Les Falaises",
            "Le Vieux Pont",
            "Domaine de la Rivière",
            "Les Rives du Célé",
            "Le Belvédère",
            "La Bergerie",
            "Le Moulin",
            "Les Bastides",
        ),
        (("Hôtel-restaurant", "Hôtel"),),
        ("cuisinier", "serveur", "receptionniste"),
        False,
        "Établissement touristique au cœur de la vallée, ouvert d'avril à octobre.",
    ),
    EmployerKind(
        "farm",
        ("EARL {name}", "GAEC {name}", "SCEA {name}"),
        (
            "des Trois Chênes",
            "du Mas de Vers",
            "des Causses",
            "de la Bouriane",
            "du Ségala",
            "des Vergers du Lot",
            "de Cournou",
        ),
        (),
        ("ouvrier_agricole",),
        False,
        "Exploitation familiale de noix, pommes et vigne.",
    ),
    EmployerKind(
        "aero",
        ("{name}", "{name} SAS"),
        (
            "Aéro Mécanique du Célé",
            "Usinage Aéronautique de Figeac",
            "Précision Aéro Quercy",
            "Structures Aéro Sud-Ouest",
        ),
        (),
        ("usineur", "ajusteur"),
        False,
        "Sous-traitant aéronautique de rang 1, 250 salariés.",
    ),
    EmployerKind(
        "homecare",
        ("Association {name}", "{name}"),
        ("Aide à domicile du Ségala", "Lot Aide à Domicile", "Soins et Services Bouriane", "Présence Verte Quercy"),
        (),
        ("auxiliaire_vie",),
        False,
        "Association d'aide à domicile intervenant sur le nord du Lot.",
    ),
    EmployerKind(
        "social",
        ("{name}", "Association {name}"),
        ("Foyer de vie Les Cèdres", "APF Quercy", "Institut Les Amandiers", "ESAT du Causse"),
        (),
        ("educateur",),
        False,
        "Association du secteur médico-social.",
    ),
    EmployerKind(
        "retail",
        ("{name}", "Supermarché {name}"),
        ("Le Causse", "Marché du Quercy", "U Express Bouriane", "Panier du Lot"),
        (),
        ("vendeur", "preparateur"),
        False,
        "Commerce de proximité.",
    ),
)

SOURCES = {
    "site": 0.9,  # the employer's own career page (JSON-LD)
    "francetravail": 0.7,
    "hellowork": 0.5,
    "indeed": 0.4,
    "fonction_publique": 0.8,
}


@dataclass(slots=True)
class Employer:
    name: str
    kind: EmployerKind
    siret: str
    home: Commune
    sites: list[Commune]
    domain: str


@dataclass(slots=True)
class Vacancy:
    id: int
    employer: Employer
    job: Job
    title: str
    service: str | None
    commune: Commune
    contract: str
    hours: float
    salary: tuple[float, float, str]
    missions: list[int]
    profile: list[int]
    published: datetime
    closed: datetime | None
    sibling_of: int | None = None
    sibling_kind: str | None = None


@dataclass(slots=True)
class SyntheticPosting:
    """One generated posting: its JSON (``data``), its vacancy id and the variation kind it carries."""

    data: dict[str, Any]
    vacancy: int
    kind: str
    vacancy_info: dict[str, Any] = field(default_factory=dict)


def _slug(text: str) -> str:
    return "-".join(w for w in "".join(c if c.isalnum() else " " for c in fold(text)).split())[:40]


def _core_name(name: str) -> str:
    """An employer name without the words of its kind (two employers may not share it)."""

    return " ".join(w for w in employer_key(name).split() if w not in _EMPLOYER_KIND_WORDS)


class Generator:
    """Stateful generator (seeded): employers, vacancies and their postings."""

    def __init__(self, seed: int = 1, scope: str = "lot", employers: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.scope = scope
        self.communes, self.weights = communes(scope)
        self.employers: list[Employer] = []
        self.n_employers = employers or (120 if scope == "lot" else 60_000)
        self.next_vacancy = 0
        self.next_posting = 0
        self._by_name: dict[str, Employer] = {}
        self._by_kind: dict[str, list[Employer]] = {}
        # the last vacancy of each (employer, job, service, commune): one post is recruited again only after
        # the previous recruitment closed (two open identical posts cannot be told apart by anyone)
        self._last: dict[tuple[str, str, str | None, str], Vacancy] = {}

    # employers ------------------------------------------------------------------------------------
    def _commune(self) -> Commune:
        return self.rng.choices(self.communes, cum_weights=self.weights)[0]

    def _near(self, commune: Commune, max_km: float) -> Commune:
        for _ in range(30):
            other = self._commune()
            if (
                other.insee != commune.insee
                and abs(other.lat - commune.lat) < max_km / 111
                and abs(other.lon - commune.lon) < max_km / 80
            ):
                return other
        return self._commune()

    def employer(self) -> Employer:
        if len(self.employers) < self.n_employers:
            kind = self.rng.choice(EMPLOYER_KINDS)
            home = self._commune()
            pattern = self.rng.choice(kind.names)
            proper = self.rng.choice(kind.proper) if kind.proper else ""
            name = pattern.format(town=home.name, name=proper)
            if self.scope != "lot" and "{town}" not in pattern:
                name = f"{name} {home.name}" if self.rng.random() < 0.7 else name
            existing = self._by_name.get(_core_name(name))
            if existing is not None:
                return existing
            sites = [home] + [self._near(home, 40) for _ in range(self.rng.choice((0, 0, 1, 2)))]
            siret = "".join(str(self.rng.randrange(10)) for _ in range(14))
            employer = Employer(name, kind, siret, home, sites, _slug(name).replace("-", "") + ".fr")
            self.employers.append(employer)
            self._by_name[_core_name(name)] = employer
            self._by_kind.setdefault(kind.kind, []).append(employer)
            return employer
        return self.rng.choice(self.employers)

    # vacancies ------------------------------------------------------------------------------------
    def vacancy(self, employer: Employer | None = None, published: datetime | None = None) -> Vacancy:
        rng = self.rng
        employer = employer or self.employer()
        job = JOBS[rng.choice(employer.kind.jobs)]
        contracts = [c for c in job.contracts if employer.kind.public or c not in ("titulaire", "contractuel")]
        contracts = contracts or ["CDD"]
        low, high, period = job.salary
        bump = rng.choice((0, 0, 50, 100, 150)) if period == "month" else rng.choice((0, 0.2, 0.5))
        self.next_vacancy += 1
        published = published or EPOCH + timedelta(days=rng.uniform(0, 300), hours=rng.uniform(0, 10))
        return Vacancy(
            id=self.next_vacancy,
            employer=employer,
            job=job,
            title=job.titles[0],
            service=rng.choice(job.services) if job.services and rng.random() < 0.45 else None,
            commune=rng.choice(employer.sites),
            contract=rng.choice(contracts),
            hours=rng.choice(job.hours),
            salary=(low + bump, high + bump, period),
            missions=sorted(rng.sample(range(len(job.missions)), k=min(len(job.missions), rng.randint(2, 4)))),
            profile=sorted(rng.sample(range(len(job.profile)), k=min(len(job.profile), rng.randint(1, 2)))),
            published=published,
            closed=published + timedelta(days=rng.uniform(25, 70)),
        )

    def settle(self, vacancy: Vacancy) -> None:
        """Open ``vacancy`` only after the previous identical post closed (recruiting again, not twice at once)."""
        key = (vacancy.employer.name, vacancy.job.key, vacancy.service, vacancy.commune.insee)
        previous = self._last.get(key)
        if previous is not None and previous is not vacancy and previous.closed is not None:
            if vacancy.published < previous.closed + timedelta(days=10):
                duration = (vacancy.closed - vacancy.published) if vacancy.closed else timedelta(days=40)
                vacancy.published = previous.closed + timedelta(days=self.rng.uniform(10, 120))
                vacancy.closed = vacancy.published + duration
        self._last[key] = vacancy

    def sibling(self, base: Vacancy) -> Vacancy | None:
        """A different vacancy that looks like ``base``: the hard non-duplicates."""
        rng = self.rng
        kinds = ["other_employer", "other_date"]
        if len(base.job.services) > 1:
            kinds += ["other_service"] * 3
        if len({c.insee for c in base.employer.sites}) > 1:
            kinds += ["other_site"] * 2
        if len(base.job.contracts) > 1:
            kinds.append("other_contract")
        if len(base.job.hours) > 1:
            kinds.append("other_hours")
        kind = rng.choice(kinds)
        other = self.vacancy(base.employer if kind != "other_employer" else None, published=base.published)
        other.job, other.title = base.job, base.title
        other.missions, other.profile = list(base.missions), list(base.profile)
        other.contract, other.hours, other.salary = base.contract, base.hours, base.salary
        other.service, other.commune = base.service, base.commune
        other.published = base.published + timedelta(days=rng.uniform(-5, 10))
        other.closed = other.published + timedelta(days=rng.uniform(25, 70))
        if kind == "other_service":
            other.service = rng.choice([s for s in base.job.services if s != base.service])
            if base.service is None:
                base.service = rng.choice([s for s in base.job.services if s != other.service])
        elif kind == "other_site":
            other.commune = rng.choice([c for c in base.employer.sites if c.insee != base.commune.insee])
        elif kind == "other_contract":
            other.contract = rng.choice([c for c in base.job.contracts if c != base.contract])
            if {other.contract, base.contract} <= {"titulaire", "contractuel"} or {other.contract, base.contract} <= {
                "CDD",
                "interim",
                "saisonnier",
            }:
                return None  # one vacancy may carry both labels: not a clear non-duplicate
        elif kind == "other_hours":
            other.hours = rng.choice([h for h in base.job.hours if h != base.hours])
        elif kind == "other_date":
            # The same post recruited again after the first one was filled (and its postings closed).
            other.published = base.closed + timedelta(days=rng.uniform(10, 200))  # type: ignore[operator]
            other.closed = other.published + timedelta(days=rng.uniform(25, 70))
        elif kind == "other_employer":
            if other.employer.kind.jobs == base.employer.kind.jobs and other.employer is not base.employer:
                pass
            else:
                candidates = self._by_kind.get(base.employer.kind.kind, [])
                other.employer = rng.choice(candidates) if len(candidates) > 1 else base.employer
                if other.employer is base.employer:
                    return None
            other.commune = rng.choice(other.employer.sites)
        other.sibling_of, other.sibling_kind = base.id, kind
        return other

    # rendering ------------------------------------------------------------------------------------
    def _title(self, v: Vacancy, source: str, reword: bool) -> str:
        rng = self.rng
        title = rng.choice(v.job.titles[1:]) if reword else v.title
        if v.service and (source in ("site", "fonction_publique") or rng.random() < 0.9):
            title = f"{title} - {v.service}" if rng.random() < 0.6 else f"{title} ({v.service})"
        mark = {
            "site": ("H/F", "(H/F)", "F/H"),
            "francetravail": ("(H/F)",),
            "hellowork": ("H/F",),
            "indeed": ("H/F", "(F/H)", ""),
            "fonction_publique": ("(F/H)", ""),
        }[source]
        title = f"{title} {rng.choice(mark)}".strip()
        if source == "francetravail" and rng.random() < 0.5:
            title = title.upper()
        if source == "indeed" and rng.random() < 0.3:
            title = f"{title} - {v.commune.name}"
        if rng.random() < 0.1:
            title = f"URGENT - {title}"
        return title

    def _description(self, v: Vacancy, source: str, paraphrase: bool, partial: bool) -> str:
        rng, job = self.rng, v.job
        pick = 1 if paraphrase else 0
        intro = v.employer.kind.intro.format(town=v.employer.home.name)
        service = f" pour son service {v.service}" if v.service else ""
        head = f"{v.employer.name} recrute un {v.title.lower()}{service} à {v.commune.name}."
        missions = [job.missions[i][pick] + "." for i in v.missions]
        profile = [job.profile[i][pick] + "." for i in v.profile]
        hours = f"{v.hours:g} h par semaine" if v.hours else "temps plein"
        low, high, period = v.salary
        pay = f"{low:g} à {high:g} € brut {'par mois' if period == 'month' else 'de l’heure'}"
        conditions = f"Contrat : {v.contract}, {hours}. Rémunération : {pay}."
        if paraphrase:
            rng.shuffle(missions)
        if source in ("hellowork", "indeed") and rng.random() < 0.5:
            body = [head, "Vos missions :", *("- " + m for m in missions), "Profil :", *("- " + p for p in profile)]
        else:
            body = [head, " ".join(missions), " ".join(profile)]
        if source in ("site", "fonction_publique"):
            body = [intro, *body]
        body.append(conditions)
        text = "\n".join(body)
        if partial:
            cut = rng.randint(int(len(text) * 0.3), int(len(text) * 0.6))
            text = text[:cut].rsplit(" ", 1)[0] + "…"
        return text

    def _employer_name(self, v: Vacancy, source: str) -> str | None:
        """The employer's name as a source writes it (upper case, abbreviated, or missing on Indeed)."""
        employer_name: str | None = v.employer.name
        if source != "site":
            roll = self.rng.random()
            if roll < 0.2:
                employer_name = employer_name.upper()
            elif roll < 0.35:
                for long, short in v.employer.kind.abbreviations:
                    employer_name = employer_name.replace(long, short)
            elif roll < 0.4 and source == "indeed":
                employer_name = None
        return employer_name

    def _place(self, commune: Commune, source: str) -> dict[str, Any]:
        """The place as a source gives it: the commune, or the département only on job boards."""
        if source in ("hellowork", "indeed") and self.rng.random() < 0.15:
            return {
                "label": f"{commune.departement} - Lot",
                "insee": None,
                "name": None,
                "postal_code": None,
                "departement": commune.departement,
                "epci": None,
                "lat": None,
                "lon": None,
                "level": "departement",
            }
        return {
            "label": f"{commune.name} ({commune.postal_code})",
            "insee": commune.insee,
            "name": commune.name,
            "postal_code": commune.postal_code,
            "departement": commune.departement,
            "epci": commune.epci,
            "lat": commune.lat,
            "lon": commune.lon,
            "level": "commune",
        }

    def _salary(self, v: Vacancy, source: str) -> dict[str, Any]:
        """The salary, left out by most job-board postings."""
        low, high, period = v.salary
        salary = {"min": low, "max": high, "period": period, "text": None}
        if source in ("hellowork", "indeed") and self.rng.random() < 0.7:
            salary = {"min": None, "max": None, "period": None, "text": None}
        return salary

    def _contract(self, v: Vacancy, source: str) -> str:
        """The contract as a source names it."""
        contract = v.contract
        if source == "francetravail" and contract == "saisonnier":
            contract = "CDD"
        if source == "fonction_publique" and contract == "titulaire" and self.rng.random() < 0.5:
            contract = "contractuel"
        return contract

    def render(self, v: Vacancy, source: str, kind: str, published: datetime) -> SyntheticPosting:
        rng = self.rng
        self.next_posting += 1
        ref = f"{source[:2].upper()}{self.next_posting:07d}"
        # The order of the draws below is the generator's: changing it changes every corpus.
        employer_name = self._employer_name(v, source)
        place = self._place(v.commune, source)
        salary = self._salary(v, source)
        contract = self._contract(v, source)
        site_url = f"https://www.{v.employer.domain}/recrutement/offre-{v.id}"
        urls = {
            "site": site_url,
            "francetravail": f"https://candidat.francetravail.fr/offres/recherche/detail/{ref}",
            "hellowork": f"https://www.hellowork.com/fr-fr/emplois/{ref[2:]}.html",
            "indeed": f"https://fr.indeed.com/viewjob?jk={ref.lower()}",
            "fonction_publique": f"https://choisirleservicepublic.gouv.fr/offre-emploi/{ref.lower()}/",
        }
        partners = []
        if source == "francetravail" and rng.random() < 0.4:
            partners = [{"nom": v.employer.name, "url": site_url, "logo": None}]
        apply_url = site_url if source != "site" and rng.random() < 0.25 else None
        title = self._title(v, source, reword=kind in ("semantic", "near") and rng.random() < 0.7)
        description = self._description(v, source, paraphrase=kind == "semantic", partial=kind == "partial")
        if kind == "exact":
            title = self._cache_title.get(v.id, title)
            description = self._cache_desc.get(v.id, description)
        self._cache_title.setdefault(v.id, title)
        self._cache_desc.setdefault(v.id, description)
        rome = v.job.rome if source in ("francetravail", "site") or rng.random() < 0.8 else None
        data = {
            "id": f"{source}:{ref}",
            "source": source,
            "source_id": ref,
            "url": urls[source],
            "title": title,
            "title_clean": title,
            "employer": employer_name,
            "employer_siret": v.employer.siret if source == "francetravail" and rng.random() < 0.7 else None,
            "description": description,
            "description_html": None,
            "contract_type": contract,
            "contract_duration_months": None,
            "working_time": "part_time" if v.hours < 35 else "full_time",
            "hours_per_week": v.hours,
            "salary": salary,
            "experience": None,
            "published_at": published.isoformat(),
            "expires_at": None,
            "rome_code": rome,
            "rome_label": None,
            "location": place,
            "remote": None,
            "positions": None,
            "apply_url": apply_url,
            "partners": partners,
            "flags": [],
        }
        if v.closed is not None:
            data["closed_at"] = v.closed.isoformat()
        info = {
            "employer": v.employer.name,
            "job": v.job.key,
            "sibling_of": v.sibling_of,
            "sibling_kind": v.sibling_kind,
        }
        return SyntheticPosting(data, v.id, kind, info)

    def publish(self, v: Vacancy) -> list[SyntheticPosting]:
        """The postings of one vacancy on 1–4 sources, each with a variation kind."""
        rng = self.rng
        self._cache_title: dict[int, str] = getattr(self, "_cache_title", {})
        self._cache_desc: dict[int, str] = getattr(self, "_cache_desc", {})
        sources = ["site"] if rng.random() < 0.8 else []
        others = ["francetravail", "hellowork", "indeed"]
        if v.employer.kind.public:
            others.append("fonction_publique")
        count = rng.choices((0, 1, 2, 3), weights=(0.3, 0.35, 0.25, 0.1))[0]
        sources += rng.sample(others, k=min(count, len(others)))
        if not sources:
            sources = [rng.choice(others)]
        out = []
        for index, source in enumerate(sources):
            if index == 0:
                kind, published = "original", v.published
            else:
                kind = rng.choices(
                    ("exact", "near", "semantic", "temporal", "partial"), weights=(0.15, 0.35, 0.2, 0.1, 0.2)
                )[0]
                shift = rng.uniform(15, 50) if kind == "temporal" else rng.uniform(0, 8)
                published = v.published + timedelta(days=shift)
                if v.closed is not None and published > v.closed:
                    published = v.closed - timedelta(days=1)
            out.append(self.render(v, source, kind, published))
        return out


def generate(
    n_postings: int, seed: int = 1, scope: str = "lot", sibling_rate: float = 0.25, employers: int | None = None
) -> Iterator[SyntheticPosting]:
    """Yield about ``n_postings`` postings (lazily), vacancies published on 1–4 sources, with siblings."""
    gen = Generator(seed, scope, employers)
    produced = 0
    while produced < n_postings:
        base = gen.vacancy()
        group = [base]
        if gen.rng.random() < sibling_rate:
            sibling = gen.sibling(base)
            if sibling is not None:
                group.append(sibling)
        for vacancy in group:
            gen.settle(vacancy)
        for vacancy in group:
            for item in gen.publish(vacancy):
                yield item
                produced += 1
                if produced >= n_postings:
                    return
        if len(gen._cache_title) > 5000:
            gen._cache_title.clear()
            gen._cache_desc.clear()


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.synthetic N [SEED] [SCOPE]``: postings as JSON lines on stdout."""
    args = argv if argv is not None else sys.argv[1:]
    n = int(args[0]) if args else 1000
    seed = int(args[1]) if len(args) > 1 else 1
    scope = args[2] if len(args) > 2 else "lot"
    for item in generate(n, seed, scope):
        sys.stdout.write(json.dumps({**item.data, "vacancy": item.vacancy, "kind": item.kind}, ensure_ascii=False))
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
