# ruff: noqa: E501 - a data table reads better with one entry per line
"""The prospects of the relevance set, as staff type them at a job fair, with what they really look for.

Each row: id, ``desired_jobs`` as typed (abbreviations, typos, gender marks), the *intent* (trades of the
judge's table, never shown to the systems), the target area, the radius, contract and working-time wishes,
staff-validated ROME codes for some of them, skills, diplomas, household. Couples share a ``household``.
"""

from __future__ import annotations

from typing import Any

LOT = {"departements": ["46"]}
GRAND_CAHORS = {"epcis": ["200023737"]}
GRAND_FIGEAC = {"epcis": ["200067361"]}
DORDOGNE_VALLEE = {"epcis": ["200066371"]}
BOURIANE = {"epcis": ["244600482"]}
VALLEE_LOT = {"epcis": ["244600433"]}
CAHORS_FIGEAC = {"epcis": ["200023737", "200067361"]}


def p(pid: str, jobs: str, intent: list[str], area: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return {"id": pid, "desired_jobs": jobs, "intent": intent, "target_area": area if area is not None else LOT} | kw


PROSPECTS: list[dict[str, Any]] = [
    # ---- nurses
    p("P01", "infirmière H/F", ["infirmier"], radius_km=30, contract_types=["CDI"]),
    p("P02", "IDE", ["infirmier"], GRAND_CAHORS, radius_km=25, rome_codes=["J1506"], skills="soins techniques, urgences"),
    p("P03", "infimière de nuit", ["infirmier"], GRAND_FIGEAC, radius_km=30),
    p("P04", "Infirmier en psychiatrie", ["infirmier"], radius_km=20, contract_types=["CDI", "titulaire"], contract_required=True),
    p("P05", "infirmiere a domicile, SSIAD", ["infirmier"], DORDOGNE_VALLEE, radius_km=30, working_time="part_time"),
    p("P06", "IBODE", ["infirmier-bloc"], radius_km=40, rome_codes=["J1504"]),
    p("P07", "puéricultrice", ["puericulteur"], radius_km=60),
    p("P08", "cadre de santé", ["cadre-sante"], radius_km=40, rome_codes=["J1502"]),
    # ---- care workers
    p("P09", "aide soignante", ["aide-soignant"], radius_km=30),
    p("P10", "Aide-soignant(e) diplômé(e)", ["aide-soignant"], GRAND_CAHORS, radius_km=20, contract_types=["CDI"], contract_required=True),
    p("P11", "AS en EHPAD", ["aide-soignant"], GRAND_FIGEAC, radius_km=25, rome_codes=["J1501"]),
    p("P12", "aide-soigante", ["aide-soignant"], BOURIANE, radius_km=40),
    p("P13", "ASH", ["ash"], radius_km=30),
    p("P14", "agent de service hospitalier ou agent d'entretien", ["ash", "agent-entretien"], GRAND_CAHORS, radius_km=30),
    p("P15", "auxiliaire de vie", ["auxiliaire-vie"], radius_km=25, working_time="part_time"),
    p("P16", "aide à domicile", ["auxiliaire-vie"], DORDOGNE_VALLEE, radius_km=20),
    p("P17", "AES / AMP", ["aes"], radius_km=40, skills="accompagnement du handicap, activités"),
    # ---- doctors and other health professions
    p("P18", "médecin généraliste", ["medecin-generaliste"], radius_km=40, rome_codes=["J1102"]),
    p("P19", "medecin generaliste liberal", ["medecin-generaliste"], GRAND_FIGEAC, radius_km=30, contract_types=["liberal"]),
    p("P20", "Médecin urgentiste", ["medecin-urgentiste"], radius_km=60),
    p("P21", "médecin (généraliste ou coordonnateur EHPAD)", ["medecin-generaliste", "medecin-coordonnateur"], radius_km=50),
    p("P22", "kiné", ["kinesitherapeute"], radius_km=40),
    p("P23", "masseur kinésithérapeute salarié", ["kinesitherapeute"], radius_km=50, contract_types=["CDI"], contract_required=True),
    p("P24", "pharmacien adjoint", ["pharmacien"], radius_km=40),
    p("P25", "préparatrice en pharmacie", ["preparateur-pharmacie"], radius_km=40),
    p("P26", "sage femme", ["sage-femme"], radius_km=80),
    p("P27", "secrétaire médicale", ["secretaire-medicale"], radius_km=30, rome_codes=["M1609"]),
    # ---- hospitality
    p("P28", "cuisinier", ["cuisinier"], radius_km=30),
    p("P29", "cuisinière traditionnelle, cuisine du terroir", ["cuisinier"], DORDOGNE_VALLEE, radius_km=30,
      skills="produits frais, canard, truffe"),
    p("P30", "cuisiner en collectivité", ["cuisinier"], GRAND_CAHORS, radius_km=30, contract_types=["CDI"]),
    p("P31", "chef de cuisine", ["chef-cuisine"], radius_km=40, contract_types=["CDI"]),
    p("P32", "commis de cuisine ou plongeur", ["commis-cuisine", "plongeur"], radius_km=30, contract_types=["saisonnier"]),
    p("P33", "serveuse", ["serveur"], radius_km=30, languages="anglais, espagnol"),
    p("P34", "réceptionniste hôtellerie", ["receptionniste"], radius_km=40, languages="anglais courant"),
    # ---- engineers, industry, digital
    p("P35", "ingénieur méthodes aéronautique", ["ingenieur-methodes"], radius_km=50, rome_codes=["H1402"]),
    p("P36", "ingenieur qualité", ["ingenieur-qualite"], radius_km=60, contract_types=["CDI"], contract_required=True),
    p("P37", "technicien méthodes usinage", ["technicien-methodes"], GRAND_FIGEAC, radius_km=40),
    p("P38", "technicien de maintenance industrielle", ["technicien-maintenance"], radius_km=40),
    p("P39", "tourneur fraiseur commande numérique", ["usineur"], radius_km=40),
    p("P40", "développeur web Python", ["developpeur"], radius_km=40, skills="Python, Django, JavaScript"),
    p("P41", "developeur full stack", ["developpeur"], GRAND_CAHORS, radius_km=30, contract_types=["CDI"], contract_required=True),
    # ---- agriculture
    p("P42", "ouvrier agricole", ["ouvrier-agricole"], radius_km=30),
    p("P43", "salarié agricole en élevage", ["agent-elevage"], radius_km=40, skills="traite, soins aux animaux"),
    p("P44", "ouvrier viticole / vendanges", ["ouvrier-viticole"], VALLEE_LOT, radius_km=30),
    p("P45", "conducteur de tracteur", ["conducteur-engins-agricoles"], radius_km=50),
    p("P46", "jardinier paysagiste", ["jardinier-paysagiste"], radius_km=30),
    p("P47", "cueillette de noix, travaux agricoles saisonniers", ["ouvrier-agricole"], radius_km=40,
      contract_types=["saisonnier"]),
    # ---- teachers, education, social
    p("P48", "professeur des écoles", ["professeur-ecoles"], radius_km=40),
    p("P49", "prof de maths", ["professeur-maths"], radius_km=50),
    p("P50", "enseignante de lettres modernes", ["professeur-lettres"], radius_km=60),
    p("P51", "ATSEM", ["atsem"], radius_km=30),
    p("P52", "animatrice périscolaire BAFA", ["animateur"], radius_km=30),
    p("P53", "éducatrice spécialisée", ["educateur-specialise"], radius_km=40),
    p("P54", "EJE en crèche", ["educateur-jeunes-enfants"], radius_km=50),
    # ---- civil servants, administration
    p("P55", "secretaire de mairie", ["secretaire-mairie"], radius_km=30, contract_types=["titulaire"]),
    p("P56", "agent administratif", ["agent-administratif"], GRAND_CAHORS, radius_km=30),
    p("P57", "comptable public", ["comptable"], radius_km=40),
    p("P58", "gestionnaire RH", ["gestionnaire-rh"], radius_km=40),
    p("P59", "agent technique polyvalent commune", ["agent-technique"], radius_km=30),
    p("P60", "chargée de mission développement territorial", ["charge-mission"], radius_km=60),
    # ---- transport, building
    p("P61", "chauffeur PL", ["conducteur-poids-lourd"], radius_km=40),
    p("P62", "électricien bâtiment", ["electricien"], radius_km=40),
    # ---- couples (households)
    p("P63", "infirmière", ["infirmier"], radius_km=30, household="H1", contract_types=["CDI"]),
    p("P64", "cuisinier", ["cuisinier"], radius_km=30, household="H1"),
    p("P65", "médecin généraliste", ["medecin-generaliste"], GRAND_FIGEAC, radius_km=40, household="H2"),
    p("P66", "professeure des écoles", ["professeur-ecoles"], GRAND_FIGEAC, radius_km=40, household="H2"),
    p("P67", "ingénieur méthodes", ["ingenieur-methodes"], CAHORS_FIGEAC, radius_km=40, household="H3"),
    p("P68", "secrétaire médicale", ["secretaire-medicale"], CAHORS_FIGEAC, radius_km=40, household="H3"),
    p("P69", "aide-soignante", ["aide-soignant"], DORDOGNE_VALLEE, radius_km=25, household="H4"),
    p("P70", "ouvrier agricole polyvalent", ["ouvrier-agricole"], DORDOGNE_VALLEE, radius_km=25, household="H4"),
    p("P71", "développeur", ["developpeur"], GRAND_CAHORS, radius_km=30, household="H5"),
    p("P72", "éducateur spécialisé", ["educateur-specialise"], GRAND_CAHORS, radius_km=30, household="H5"),
    # ---- people already living in the Lot (current place and radius, no target area)
    p("P73", "aide soignant", ["aide-soignant"], {}, location={"insee": "46102"}, radius_km=25),
    p("P74", "cuisinier", ["cuisinier"], {}, location={"insee": "46042"}, radius_km=20),
    p("P75", "agent administratif ou secrétaire de mairie", ["agent-administratif", "secretaire-mairie"], {},
      location={"insee": "46127"}, radius_km=35),
]
