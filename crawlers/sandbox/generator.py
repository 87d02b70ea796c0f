"""Realistic offers of the Lot and prospects met at a job fair, for the demo sandbox.

Deterministic for a seed and a reference day. About 300 vacancies from the kinds of employers that publish
in the Lot (hospitals, care homes, local government, agri-food and aeronautics plants, hotels and
campsites, farms, building firms, home care), in real communes of the Lot, with titles as employers write
them (mapped to ROME codes), contracts, salaries and dates. About a fifth of the vacancies are cross-posted
on two or three sources with the variations real cross-posting produces: the title reworded or with gender
marks, the description truncated or flattened to text, the place written another way, dates shifted, the
salary missing on one source, France Travail's ``origineOffre.partenaires`` pointing at the employer's page.

The ground truth (which postings are the same vacancy) is kept in ``Vacancy.key`` for evaluation.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "matching" / "data"

# ------------------------------------------------------------------------------------------------
# Occupations: (ROME code, titles as offers write them, sector key)
# ------------------------------------------------------------------------------------------------
OCCUPATIONS: dict[str, list[tuple[str, list[str]]]] = {
    "hopital": [
        ("J1506", ["Infirmier / Infirmière", "Infirmier(e) diplômé(e) d'État", "IDE H/F", "Infirmier de nuit H/F"]),
        ("J1501", ["Aide-soignant / Aide-soignante", "Aide-soignant(e) H/F", "Aide-soignant de nuit (H/F)"]),
        ("J1301", ["Agent de service hospitalier (ASH) H/F", "Agent des services hospitaliers", "Brancardier H/F"]),
        ("J1102", ["Médecin généraliste H/F", "Médecin urgentiste", "Praticien hospitalier - Médecine polyvalente"]),
        ("J1404", ["Masseur-kinésithérapeute H/F", "Kinésithérapeute"]),
        ("J1104", ["Sage-femme H/F"]),
        ("J1306", ["Manipulateur en électroradiologie médicale H/F", "Manipulateur radio (H/F)"]),
        ("J1307", ["Préparateur en pharmacie hospitalière H/F"]),
        ("J1502", ["Cadre de santé H/F", "Cadre de santé - pôle gériatrie"]),
        ("M1609", ["Secrétaire médical(e) H/F", "Secrétaire médicale"]),
        ("K1104", ["Psychologue clinicien H/F"]),
        ("J1403", ["Ergothérapeute H/F"]),
    ],
    "ehpad": [
        ("J1501", ["Aide-soignant(e) en EHPAD", "Aide-soignant H/F - EHPAD", "AS de nuit en EHPAD"]),
        ("J1506", ["Infirmier coordinateur H/F", "IDE en EHPAD (H/F)", "Infirmière EHPAD"]),
        ("K1301", ["Accompagnant éducatif et social (AES) H/F", "Aide médico-psychologique H/F"]),
        ("J1301", ["Agent de service hospitalier en EHPAD", "ASH H/F"]),
        ("G1602", ["Cuisinier en EHPAD H/F", "Cuisinier(e) collectivité"]),
        ("K1206", ["Animateur en EHPAD H/F"]),
    ],
    "aide_domicile": [
        ("K1302", ["Auxiliaire de vie H/F", "Auxiliaire de vie sociale", "Aide à domicile H/F"]),
        ("K1304", ["Aide ménager(ère) à domicile", "Aide à domicile - secteur de Gramat"]),
        ("J1501", ["Aide-soignant à domicile (SSIAD) H/F"]),
    ],
    "collectivite": [
        ("K1404", ["Secrétaire de mairie H/F", "Secrétaire général de mairie"]),
        ("K1303", ["ATSEM H/F", "Agent territorial spécialisé des écoles maternelles"]),
        ("A1203", ["Agent d'entretien des espaces verts H/F", "Jardinier - espaces verts"]),
        ("K2204", ["Agent d'entretien des locaux H/F", "Agent de propreté des bâtiments communaux"]),
        ("M1601", ["Agent d'accueil H/F", "Chargé d'accueil France Services"]),
        ("K1707", ["Policier municipal H/F"]),
        ("M1203", ["Comptable public H/F", "Gestionnaire comptable"]),
        ("K1206", ["Animateur périscolaire H/F", "Animateur enfance-jeunesse"]),
        ("F1701", ["Agent technique polyvalent bâtiment H/F"]),
        ("E1103", ["Chargé de communication H/F"]),
    ],
    "agroalimentaire": [
        ("H2102", ["Conducteur de ligne de production H/F", "Conducteur de ligne conditionnement"]),
        ("H3302", ["Opérateur de production H/F", "Opérateur de conditionnement (H/F)"]),
        ("I1304", ["Technicien de maintenance industrielle H/F", "Électromécanicien de maintenance"]),
        ("N1101", ["Cariste H/F", "Préparateur de commandes cariste"]),
        ("H1502", ["Responsable qualité H/F", "Technicien qualité agroalimentaire"]),
        ("D1101", ["Boucher H/F", "Désosseur (H/F)"]),
    ],
    "aeronautique": [
        ("H2901", ["Ajusteur-monteur aéronautique H/F", "Monteur structure aéronautique"]),
        ("H2903", ["Usineur commande numérique H/F", "Régleur usineur CN"]),
        ("H2913", ["Soudeur H/F", "Soudeur TIG aéronautique"]),
        ("H1404", ["Ingénieur méthodes industrialisation H/F", "Technicien méthodes"]),
        ("H1502", ["Ingénieur qualité H/F"]),
    ],
    "hotellerie": [
        ("G1602", ["Cuisinier H/F", "Commis de cuisine (H/F)", "Second de cuisine"]),
        ("G1803", ["Serveur H/F", "Serveur en restauration (saison 2027)", "Chef de rang H/F"]),
        ("G1703", ["Réceptionniste H/F", "Réceptionniste hôtel 3*"]),
        ("G1605", ["Plongeur H/F", "Plongeur - aide de cuisine"]),
        ("G1501", ["Femme de chambre / Valet de chambre", "Employé d'étage H/F"]),
        ("G1601", ["Chef de cuisine H/F"]),
    ],
    "agriculture": [
        ("A1416", ["Ouvrier agricole H/F", "Ouvrier agricole polyvalent", "Saisonnier récolte des noix"]),
        ("A1405", ["Ouvrier viticole H/F", "Ouvrier de chai - vignoble de Cahors"]),
        ("A1407", ["Agent d'élevage ovin H/F", "Salarié agricole - élevage"]),
        ("I1603", ["Mécanicien agricole H/F", "Mécanicien machinisme agricole"]),
    ],
    "btp": [
        ("F1703", ["Maçon H/F", "Maçon qualifié", "Maçon pierre - restauration du bâti ancien"]),
        ("F1602", ["Électricien bâtiment H/F", "Électricien du bâtiment"]),
        ("F1603", ["Plombier chauffagiste H/F"]),
        ("F1607", ["Menuisier poseur H/F"]),
        ("N4101", ["Chauffeur poids lourd H/F", "Conducteur PL benne"]),
    ],
    "commerce": [
        ("D1102", ["Boulanger H/F", "Ouvrier boulanger"]),
        ("D1106", ["Vendeur en boulangerie H/F"]),
        ("D1507", ["Employé de libre-service H/F", "Employé commercial"]),
        ("M1805", ["Développeur web H/F"]),
        ("M1810", ["Technicien informatique H/F"]),
    ],
}

SECTOR_TEXT = {
    "hopital": ("établissement public de santé", "le service de {service}", ["médecine", "chirurgie", "urgences",
                "gériatrie", "soins de suite et de réadaptation", "maternité", "psychiatrie", "imagerie"]),
    "ehpad": ("établissement d'hébergement pour personnes âgées dépendantes", "l'unité {service}",
              ["de vie protégée", "Alzheimer", "d'hébergement permanent", "de soins"]),
    "aide_domicile": ("service d'aide et d'accompagnement à domicile", "le secteur de {service}",
                      ["Gramat", "Souillac", "Figeac", "Cahors", "Gourdon"]),
    "collectivite": ("collectivité territoriale", "le service {service}", ["technique", "enfance-jeunesse",
                     "accueil", "finances", "espaces verts"]),
    "agroalimentaire": ("entreprise agroalimentaire", "l'atelier {service}", ["conserverie", "conditionnement",
                        "découpe", "expédition"]),
    "aeronautique": ("entreprise de l'industrie aéronautique", "l'atelier {service}", ["usinage",
                     "assemblage", "traitement de surface", "contrôle"]),
    "hotellerie": ("établissement de tourisme et d'hôtellerie", "{service}", ["le restaurant", "l'hôtel",
                   "le camping", "la brasserie"]),
    "agriculture": ("exploitation agricole", "{service}", ["la noyeraie", "le vignoble", "l'élevage",
                    "les vergers"]),
    "btp": ("entreprise du bâtiment", "les chantiers de {service}", ["rénovation", "construction neuve",
            "restauration du patrimoine"]),
    "commerce": ("commerce de proximité", "{service}", ["le magasin", "l'atelier", "le point de vente"]),
}


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    postal_code: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Employer:
    name: str
    sector: str
    commune_insee: str
    siret: str
    naf: str
    site: str | None = None  # career-site slug in the sandbox, when the employer has one


@dataclass
class Vacancy:
    """One real vacancy and where it is published (``sources``: ``site``, ``hellowork``, ``francetravail``)."""

    key: str
    title: str
    rome_code: str
    employer: Employer
    commune: Commune
    contract: str  # France Travail codes: CDI, CDD, MIS, SAI, LIB
    duration_months: int | None
    full_time: bool
    hours: float
    salary: tuple[float, float | None, str] | None  # (min, max, period: hour|month|year)
    published: date
    expires: date
    service: str
    missions: list[str]
    profile: list[str]
    positions: int
    sources: list[str] = field(default_factory=list)


@dataclass
class Prospect:
    """A person met at a job fair (all data invented)."""

    last_name: str
    first_name: str
    email: str
    phone: str
    desired_job: str
    skills: str
    commune: str
    target_zone: str
    radius_km: int | None
    contract: str
    partner_email: str | None
    consent_contact: str
    consent_share: str
    experience_years: int
    licence: str


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@cache
def lot_communes() -> list[Commune]:
    """The communes of the Lot with coordinates, most populated first."""
    with (DATA / "communes.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["departement"] == "46" and r["lat"]]
    rows.sort(key=lambda r: -int(r["population"] or 0))
    return [Commune(r["insee"], r["name"], r["postal_codes"].split("|")[0], float(r["lat"]), float(r["lon"]))
            for r in rows]


@cache
def _skills() -> dict[str, list[str]]:
    skills: dict[str, list[str]] = {}
    with (DATA / "rome_skills.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["type"] in ("savoir_faire", "savoir"):
                skills.setdefault(row["code"], []).append(row["skill"])
    return skills


def _commune(insee: str) -> Commune:
    return next(c for c in lot_communes() if c.insee == insee)


def _siret(rng: random.Random) -> str:
    """A SIRET with a valid Luhn checksum."""
    digits = [rng.randrange(10) for _ in range(13)]
    for check in range(10):
        candidate = [*digits, check]
        total = 0
        for i, d in enumerate(reversed(candidate)):
            total += sum(divmod(d * 2, 10)) if i % 2 else d
        if total % 10 == 0:
            return "".join(map(str, candidate))
    raise AssertionError("unreachable")


EMPLOYERS_SPEC: list[tuple[str, str, str, str, str | None]] = [
    # name, sector, commune INSEE, NAF, career-site slug
    ("Centre hospitalier de Cahors", "hopital", "46042", "86.10Z", "sante-lot"),
    ("Centre hospitalier de Figeac", "hopital", "46102", "86.10Z", "sante-lot"),
    ("Centre hospitalier de Gourdon", "hopital", "46127", "86.10Z", "sante-lot"),
    ("Centre hospitalier de Saint-Céré", "hopital", "46251", "86.10Z", "sante-lot"),
    ("EHPAD Les Tilleuls", "ehpad", "46128", "87.10A", "sante-lot"),
    ("EHPAD Résidence du Causse", "ehpad", "46309", "87.10A", "sante-lot"),
    ("EHPAD Le Val de Cère", "ehpad", "46029", "87.10A", None),
    ("EHPAD La Roseraie", "ehpad", "46225", "87.10A", None),
    ("ADMR du Lot", "aide_domicile", "46042", "88.10A", None),
    ("Lot Aide à Domicile", "aide_domicile", "46128", "88.10A", None),
    ("Département du Lot", "collectivite", "46042", "84.11Z", "lot-territoires"),
    ("Mairie de Cahors", "collectivite", "46042", "84.11Z", "lot-territoires"),
    ("Communauté de communes Grand-Figeac", "collectivite", "46102", "84.11Z", "lot-territoires"),
    ("Mairie de Souillac", "collectivite", "46309", "84.11Z", "lot-territoires"),
    ("Mairie de Gramat", "collectivite", "46128", "84.11Z", None),
    ("Conserverie Quercy Gourmand", "agroalimentaire", "46128", "10.13A", "quercy-industrie"),
    ("Laiterie du Ségala", "agroalimentaire", "46143", "10.51A", "quercy-industrie"),
    ("Aéro-Mécanique du Célé", "aeronautique", "46102", "30.30Z", "quercy-industrie"),
    ("Composites de la Vallée du Lot", "aeronautique", "46015", "30.30Z", "quercy-industrie"),
    ("Confitures de Biars", "agroalimentaire", "46029", "10.39B", None),
    ("Hôtel du Vieux Quercy", "hotellerie", "46240", "55.10Z", "vallee-dordogne-tourisme"),
    ("Camping Les Rives du Lot", "hotellerie", "46256", "55.30Z", "vallee-dordogne-tourisme"),
    ("Restaurant La Table de Padirac", "hotellerie", "46213", "56.10A", "vallee-dordogne-tourisme"),
    ("Brasserie du Pont Valentré", "hotellerie", "46042", "56.10A", None),
    ("GAEC du Causse de Gramat", "agriculture", "46128", "01.45Z", None),
    ("EARL Noix du Quercy", "agriculture", "46185", "01.25Z", None),
    ("Domaine des Vignes de Parnac", "agriculture", "46214", "01.21Z", None),
    ("SARL Bâti-Lot", "btp", "46224", "43.99C", None),
    ("Électricité Quercynoise", "btp", "46063", "43.21A", None),
    ("Transports du Haut-Quercy", "btp", "46309", "49.41A", None),
    ("Boulangerie du Marché", "commerce", "46102", "10.71C", None),
    ("Numérique en Quercy", "commerce", "46042", "62.01Z", None),
]

SITES = {
    "sante-lot": "Santé Lot — hôpitaux et EHPAD publics du Lot",
    "lot-territoires": "Lot Territoires — emplois des collectivités du Lot",
    "quercy-industrie": "Quercy Industrie — les industriels du Lot recrutent",
    "vallee-dordogne-tourisme": "Vallée de la Dordogne Tourisme — emplois saisonniers et permanents",
}


def employers(seed: int = 46) -> list[Employer]:
    rng = random.Random(seed)
    known = {c.insee for c in lot_communes()}
    result = []
    for name, sector, insee, naf, site in EMPLOYERS_SPEC:
        if insee not in known:  # a commune merged since: fall back on Cahors
            insee = "46042"
        result.append(Employer(name, sector, insee, _siret(rng), naf, site))
    return result


def _salary(rng: random.Random, sector: str, rome: str) -> tuple[float, float | None, str] | None:
    if rng.random() < 0.2:
        return None
    if rome.startswith("J11"):
        base = rng.choice([6500, 7200, 8000])
        return (float(base), float(base + 1500), "month")
    if sector in ("hotellerie", "agriculture", "commerce") and rng.random() < 0.6:
        return (round(rng.choice([11.88, 12.02, 12.5, 13.0]), 2), None, "hour")
    base = round(rng.uniform(1800, 2600), 2)
    if rng.random() < 0.5:
        return (base, round(base + rng.choice([150, 200, 300, 400]), 2), "month")
    return (base, None, "month")


def generate_vacancies(today: date | None = None, seed: int = 46, count: int = 300) -> list[Vacancy]:
    """About ``count`` vacancies; a fifth cross-posted on two or three sources."""
    today = today or date.today()
    rng = random.Random(seed)
    emps = employers(seed)
    communes = lot_communes()
    vacancies: list[Vacancy] = []
    weights = [5 if e.site else 3 for e in emps]
    for i in range(count):
        employer = rng.choices(emps, weights)[0]
        rome, titles = rng.choice(OCCUPATIONS[employer.sector])
        title = rng.choice(titles)
        # employers with several sites (home care, farms) sometimes post for a nearby commune
        commune = _commune(employer.commune_insee)
        if employer.sector in ("aide_domicile", "agriculture", "btp") and rng.random() < 0.5:
            commune = rng.choice(communes[:60])
        sector_label, service_fmt, services = SECTOR_TEXT[employer.sector]
        service = service_fmt.format(service=rng.choice(services))
        skills = _skills().get(rome, [])
        missions = rng.sample(skills, min(len(skills), rng.randint(3, 5))) if skills else []
        contract = rng.choices(["CDI", "CDD", "SAI", "MIS", "LIB"], [45, 35, 10, 6, 4])[0]
        if employer.sector == "hotellerie" or "Saisonnier" in title:
            contract = "SAI"
        if employer.sector in ("hopital", "ehpad", "collectivite") and contract in ("SAI", "MIS"):
            contract = "CDD"
        if rome == "J1102" and rng.random() < 0.4:
            contract = "LIB"
        duration = rng.choice([3, 6, 12]) if contract in ("CDD", "SAI", "MIS") else None
        full_time = rng.random() < 0.8
        published = today - timedelta(days=rng.randint(0, 40))
        profile = rng.sample(
            ["Diplôme d'État exigé" if employer.sector in ("hopital", "ehpad") else "Expérience appréciée",
             "Permis B indispensable" if employer.sector in ("aide_domicile", "agriculture", "btp") else
             "Sens du travail en équipe", "Rigueur et autonomie", "Débutant accepté",
             "Disponibilité week-ends et jours fériés", "Bienveillance et sens du service"], 3)
        vacancy = Vacancy(
            key=f"V{i + 1:04d}",
            title=title,
            rome_code=rome,
            employer=employer,
            commune=commune,
            contract=contract,
            duration_months=duration,
            full_time=full_time,
            hours=35.0 if full_time else float(rng.choice([17.5, 24, 28])),
            salary=_salary(rng, employer.sector, rome),
            published=published,
            expires=published + timedelta(days=rng.choice([45, 60, 90])),
            service=service,
            missions=missions,
            profile=profile,
            positions=rng.choices([1, 2, 3], [85, 10, 5])[0],
        )
        # Where it is published: the employer's own site when it has one, else a job board or France Travail;
        # about a fifth is cross-posted on two or three sources.
        home = "site" if employer.site else rng.choices(["hellowork", "francetravail"], [40, 60])[0]
        sources = [home]
        if rng.random() < 0.21:
            others = [s for s in ("site", "hellowork", "francetravail") if s != home and (s != "site" or employer.site)]
            rng.shuffle(others)
            sources += others[: rng.choice([1, 1, 2]) if len(others) > 1 else 1]
        vacancy.sources = sources
        vacancies.append(vacancy)
    # A hospital posting the same job for several services: distinct vacancies that must never merge.
    return vacancies


def description_html(v: Vacancy) -> str:
    """The employer's own description (HTML), as a career site shows it."""
    sector_label = SECTOR_TEXT[v.employer.sector][0]
    missions = "".join(f"<li>{m}</li>" for m in v.missions) or "<li>Missions confiées selon le poste</li>"
    profile = "".join(f"<li>{p}</li>" for p in v.profile)
    contract = {"CDI": "CDI", "CDD": f"CDD de {v.duration_months} mois", "SAI": f"contrat saisonnier de "
                f"{v.duration_months} mois", "MIS": f"mission d'intérim de {v.duration_months} mois",
                "LIB": "exercice libéral"}[v.contract]
    time = "temps plein (35 h)" if v.full_time else f"temps partiel ({v.hours:g} h par semaine)"
    return (
        f"<p><strong>{v.employer.name}</strong>, {sector_label} de {v.commune.name} (Lot), recrute un(e) "
        f"<em>{v.title}</em> pour {v.service}.</p>"
        f"<p>Vos missions :</p><ul>{missions}</ul>"
        f"<p>Profil recherché :</p><ul>{profile}</ul>"
        f"<p>Poste en {contract}, à {time}. Poste{'s' if v.positions > 1 else ''} à pourvoir : {v.positions}.</p>"
        "<p>Le Lot vous attend : cadre de vie préservé, accompagnement à l'installation par le programme "
        "Oh my Lot !</p>"
    )


def salary_label_ft(v: Vacancy) -> str | None:
    """France Travail's free-text salary label ("Mensuel de 1880,71 Euros sur 12 mois")."""
    if not v.salary:
        return None
    low, high, period = v.salary

    def euros(x: float) -> str:
        return f"{x:.2f}".replace(".", ",")

    kind = {"month": "Mensuel", "hour": "Horaire", "year": "Annuel"}[period]
    months = " sur 12 mois" if period == "month" else ""
    if high:
        return f"{kind} de {euros(low)} Euros à {euros(high)} Euros{months}"
    return f"{kind} de {euros(low)} Euros{months}"


# ------------------------------------------------------------------------------------------------
# Prospects
# ------------------------------------------------------------------------------------------------
FIRST_NAMES = ["Camille", "Léa", "Manon", "Chloé", "Inès", "Julie", "Sarah", "Emma", "Lucie", "Marie", "Hugo",
               "Lucas", "Thomas", "Nicolas", "Julien", "Maxime", "Antoine", "Karim", "Mehdi", "Pierre", "Sophie",
               "Nathalie", "Isabelle", "Claire", "Aurélie", "Romain", "Kevin", "Yann", "Élodie", "Amandine"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
              "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
              "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand"]
WISHES = [
    ("Infirmière", "soins infirmiers, pansements, gestion des traitements", "CDI", 5),
    ("Aide-soignante", "toilette, aide aux repas, transmissions", "CDI", 3),
    ("aide soignante de nuit", "soins d'hygiène et de confort, travail de nuit", "CDD", 2),
    ("ASH", "bionettoyage, hygiène des locaux, service des repas", "CDD", 1),
    ("Médecin généraliste", "consultations, urgences, suivi des patients chroniques", "LIB", 10),
    ("Kinésithérapeute", "rééducation, massages, gériatrie", "CDI", 4),
    ("Auxiliaire de vie", "aide à domicile, accompagnement des personnes âgées, courses", "CDI", 2),
    ("Cuisinier", "cuisine traditionnelle, HACCP, gestion des stocks", "SAI", 6),
    ("Serveur en restauration", "service en salle, bar, accueil clientèle", "SAI", 2),
    ("Réceptionniste", "accueil, réservations, anglais courant", "CDI", 3),
    ("Technicien de maintenance industrielle", "électromécanique, automatismes, maintenance préventive", "CDI", 7),
    ("Conducteur de ligne", "conduite de ligne, réglages, conditionnement", "CDI", 4),
    ("Ingénieur méthodes aéronautique", "industrialisation, gammes de fabrication, lean", "CDI", 8),
    ("Ajusteur monteur aéronautique", "montage de structures, lecture de plans", "CDI", 5),
    ("Ouvrier agricole", "conduite de tracteur, récolte, taille", "SAI", 2),
    ("Ouvrier viticole", "taille de la vigne, vendanges, travail en cave", "CDD", 3),
    ("Secrétaire de mairie", "état civil, urbanisme, comptabilité publique", "CDI", 6),
    ("ATSEM", "accompagnement des enfants, hygiène, animation", "CDD", 2),
    ("Agent d'entretien des espaces verts", "tonte, taille des haies, fleurissement", "CDD", 3),
    ("Maçon", "maçonnerie pierre, enduits à la chaux, coffrage", "CDI", 10),
    ("Électricien du bâtiment", "installation électrique, mise aux normes, habilitations", "CDI", 6),
    ("Chauffeur poids lourd", "permis C, transport de marchandises, FIMO", "CDI", 8),
    ("Boulanger", "panification, viennoiserie, four", "CDI", 5),
    ("Développeur web", "Python, JavaScript, bases de données", "CDI", 4),
    ("Comptable", "comptabilité générale, paie, déclarations fiscales", "CDI", 7),
    ("Psychologue", "entretiens cliniques, gériatrie, bilans", "CDD", 3),
]
#: where prospects want to settle: the whole Lot, a town, or two towns
TARGET_ZONES = ["Lot", "Lot", "Lot", "Cahors", "Figeac", "Cahors, Figeac", "Gourdon", "Souillac", "Gramat",
                "Saint-Céré"]
HOME_PLACES = ["Toulouse", "Bordeaux", "Paris 15e", "Lyon", "Montauban", "Brive-la-Gaillarde", "Cahors",
               "Figeac (46100)", "Nantes", "Lille", "Montpellier", "Agen", "Rodez", "Clermont-Ferrand", "Limoges"]


def generate_prospects(seed: int = 46, count: int = 40) -> list[Prospect]:
    """About 40 prospects met at a job fair, including couples (the partner's e-mail in "Conjoint")."""
    rng = random.Random(seed + 1)
    people: list[Prospect] = []
    used: set[str] = set()
    while len(people) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{_fold(first).lower()}.{_fold(last).lower().replace(' ', '')}@exemple.fr"
        if email in used:
            continue
        used.add(email)
        job, skills, contract, years = rng.choice(WISHES)
        phone = "06 " + " ".join(f"{rng.randrange(100):02d}" for _ in range(4))
        people.append(Prospect(
            last_name=last, first_name=first, email=email, phone=phone, desired_job=job, skills=skills,
            commune=rng.choice(HOME_PLACES), target_zone=rng.choice(TARGET_ZONES),
            radius_km=rng.choice([20, 30, 40, 50, 80, None]),
            contract=contract, partner_email=None, consent_contact="oui",
            consent_share=rng.choice(["oui", "oui", "oui", "non"]), experience_years=years,
            licence=rng.choice(["oui", "oui", "non"]),
        ))
    # Six couples: the second person of each pair names the first as partner, and they come from the same city.
    for i in range(0, 12, 2):
        a, b = people[i], people[i + 1]
        b.partner_email = a.email
        while b.desired_job == a.desired_job:  # partners rarely seek the same job
            b.desired_job, b.skills, b.contract, b.experience_years = rng.choice(WISHES)
        b.commune = a.commune
        b.target_zone = a.target_zone
        b.last_name = a.last_name
    return people


PROSPECT_HEADERS = [
    "Nom", "Prénom", "Courriel", "Téléphone", "Métier recherché", "Compétences", "Commune actuelle", "Zone souhaitée",
    "Rayon de mobilité (km)", "Contrat souhaité", "Expérience (années)", "Permis", "Conjoint", "Consentement contact",
    "Consentement partage employeurs",
]


def prospect_rows(people: list[Prospect]) -> list[list[str]]:
    """Rows of the job-fair spreadsheet, with the headers above."""
    contract_label = {"CDI": "CDI", "CDD": "CDD", "SAI": "Saisonnier", "LIB": "Libéral"}
    return [
        [p.last_name, p.first_name, p.email, p.phone, p.desired_job, p.skills, p.commune, p.target_zone,
         "" if p.radius_km is None else str(p.radius_km), contract_label.get(p.contract, p.contract),
         str(p.experience_years), p.licence, p.partner_email or "", p.consent_contact, p.consent_share]
        for p in people
    ]
