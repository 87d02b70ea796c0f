"""Extra reference titles for the ROME classifier: frequent ways of naming a job that ROME does not list.

Each alias is indexed like a principal ROME title of its code. They are titles seen on French job boards
and typed by staff ("homme d'entretien", "agent de restauration"), and generic one-word titles whose usual
meaning in job offers is one code among several ("peintre" is a building painter more often than an
industrial one or an artist). Keep this list short and general: it is not a place for evaluation titles.
"""

from __future__ import annotations

ALIASES: list[tuple[str, str]] = [
    # generic titles: the code they usually mean in offers
    ("Infirmier / Infirmière", "J1506"),
    ("Infirmier diplômé d'État / Infirmière diplômée d'État", "J1506"),
    ("Peintre", "F1606"),
    ("Cuisinier / Cuisinière", "G1602"),
    ("Serveur / Serveuse", "G1803"),
    ("Vendeur / Vendeuse", "D1214"),
    ("Électricien / Électricienne", "F1602"),
    ("Mécanicien / Mécanicienne", "I1604"),
    ("Agent d'entretien / Agente d'entretien", "K2204"),
    ("Comptable", "M1203"),
    # frequent titles of offers that ROME does not list
    ("Homme d'entretien / Femme d'entretien", "I1203"),
    ("Agent technique polyvalent / Agente technique polyvalente", "I1203"),
    ("Femme de ménage / Homme de ménage", "K1304"),
    ("Agent de restauration / Agente de restauration", "G1603"),
    ("Équipier / Équipière", "G1603"),
    ("Équipier polyvalent / Équipière polyvalente", "G1603"),
    ("Directeur d'EHPAD / Directrice d'EHPAD", "K1403"),
    ("Agent de crèche / Agente de crèche", "K1303"),
    ("Animateur / Animatrice de camping", "G1202"),
    ("Animateur / Animatrice en EHPAD", "G1202"),
    ("Surveillant / Surveillante de collège ou de lycée", "K2104"),
    ("Assistant / Assistante d'éducation (AED)", "K2104"),
    ("Conseiller / Conseillère en mission locale", "K1801"),
    ("Conseiller / Conseillère emploi", "K1801"),
    ("Opérateur / Opératrice de production agroalimentaire", "H2102"),
    ("Agent / Agente de production", "H2102"),
    ("Chef / Cheffe d'équipe de production", "H2504"),
    ("Ouvrier / Ouvrière des travaux publics", "F1702"),
    ("Biologiste", "J1201"),
    # the Lot's aeronautics (Figeac): airframe fitters are H2901, not wooden structures (F1501)
    ("Monteur / Monteuse structure aéronautique", "H2901"),
    ("Monteur / Monteuse de structures aéronautiques", "H2901"),
    ("Monteur / Monteuse aéronautique", "H2901"),
    ("Mécanicien monteur / Mécanicienne monteuse aéronautique", "H2901"),
]
