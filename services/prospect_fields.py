"""The fields of a prospect and the spreadsheet headers that feed them (job-fair import, booth form).

- ``FIELDS``: the field names a column can feed, with their French labels; ``TEMPLATE_HEADERS`` the header of
  the template staff fill in; ``HEADER_ALIASES`` the usual French (and English) headers of each field.
- ``field_for_header``: the field a header feeds (accents, case and punctuation ignored); a column holding
  data the programme must not collect (``is_forbidden_header``) feeds nothing.
- ``parse_column_mapping``: staff's own header → field pairs (``--column``, mapping file).
- ``parse_yes_no``: the yes/no answers of a sheet (consent, driving licence).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from services.spreadsheet import header_key

# Fields a column can feed (the values of a header mapping). ``ignore`` drops a column on purpose.
FIELDS = {
    "last_name": "Nom",
    "first_name": "Prénom",
    "full_name": "Nom complet (prénom et nom)",
    "email": "Courriel",
    "phone": "Téléphone",
    "desired_jobs": "Métier recherché",
    "skills": "Compétences",
    "current_place": "Commune actuelle",
    "radius_km": "Rayon de mobilité (km)",
    "contract_types": "Contrat souhaité",
    "partner": "Conjoint(e)",
    "experience_years": "Expérience (années)",
    "diplomas": "Diplômes",
    "languages": "Langues",
    "driving_licence": "Permis",
    "availability": "Disponibilité",
    "target_zone": "Zone souhaitée",
    "notes": "Notes",
    "consent_contact": "Consentement contact",
    "consent_share": "Consentement partage employeurs",
    "ignore": "(colonne ignorée)",
}

# The header of the template staff fill in (``ohmylot candidates template``); the order of a booth sheet.
TEMPLATE_HEADERS = [
    "Nom", "Prénom", "Courriel", "Téléphone", "Métier recherché", "Compétences", "Expérience (années)", "Diplômes",
    "Langues", "Permis", "Commune actuelle", "Rayon de mobilité (km)", "Zone souhaitée", "Contrat souhaité",
    "Disponibilité", "Conjoint(e)", "Notes", "Consentement contact", "Consentement partage employeurs",
]

# Header aliases, in folded form (see ``header_key``).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "last_name": ("nom", "nom de famille", "last name", "lastname", "surname", "family name"),
    "first_name": ("prenom", "prenoms", "first name", "firstname", "given name"),
    "full_name": ("nom complet", "nom et prenom", "nom prenom", "prenom nom", "prenom et nom", "full name", "name"),
    "email": (
        "courriel", "email", "e mail", "mail", "adresse mail", "adresse e mail", "adresse email",
        "adresse electronique", "adresse courriel", "mel",
    ),
    "phone": (
        "telephone", "tel", "portable", "mobile", "numero de telephone", "n de telephone", "telephone portable",
        "tel portable", "phone", "gsm",
    ),
    "desired_jobs": (
        "metier recherche", "metiers recherches", "metier souhaite", "metiers souhaites", "poste recherche",
        "postes recherches", "emploi recherche", "metier", "metiers", "poste souhaite", "projet professionnel",
    ),
    "skills": ("competences", "competence", "savoir faire", "skills"),
    "current_place": (
        "commune actuelle", "ville actuelle", "commune", "ville", "commune de residence", "lieu de residence",
        "residence actuelle", "domicile", "ville de residence",
    ),
    "radius_km": ("rayon de mobilite km", "rayon de mobilite", "rayon km", "rayon", "mobilite km", "mobilite"),
    "contract_types": ("contrat souhaite", "contrats souhaites", "type de contrat", "contrat", "type contrat"),
    "partner": ("conjoint", "conjoint e", "conjointe", "partenaire", "conjoint contact"),
    "experience_years": ("experience annees", "experience", "annees d experience", "experience en annees"),
    "diplomas": ("diplomes", "diplome", "formation", "formations", "niveau d etudes"),
    "languages": ("langues", "langue", "langues parlees"),
    "driving_licence": ("permis", "permis de conduire", "permis b", "vehicule"),
    "availability": ("disponibilite", "date de disponibilite", "disponible a partir de", "disponible le"),
    "target_zone": ("zone souhaitee", "zone de recherche", "secteur souhaite", "lieu souhaite", "zone geographique"),
    "notes": ("notes", "note", "remarques", "remarque", "commentaire", "commentaires", "observations"),
    "consent_contact": ("consentement contact", "consentement a etre contacte", "accord contact", "consent contact"),
    "consent_share": (
        "consentement partage employeurs", "consentement partage", "accord partage employeurs",
        "consentement partage employeur", "consent share",
    ),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}

# "on" is what an HTML checkbox sends; "b" / "permis b" answer the driving-licence column
YES = {"oui", "o", "yes", "y", "x", "1", "vrai", "true", "ok", "on", "coche", "d accord", "accord", "v",
       "b", "permis b"}
NO = {"non", "n", "no", "0", "faux", "false", "aucun", "sans", "pas de permis"}


# Data the programme must not collect (RELIABILITY.md P1): such a column is never read, even when mapped.
_FORBIDDEN_HEADER = re.compile(
    r"\b(?:naissance|ne le|nee le|ne e le|age|ages|securite sociale|secu|nir|etat de sante|probleme de sante|handicap"
    r"|rqth|maladie|nationalite|origine ethnique|ethnie|religion|confession|opinion|politique|syndica\w*|photo"
    r"|sexe)\b"
)


def is_forbidden_header(header: object) -> bool:
    """True for a column holding data the programme must not collect (birth, health, origin, religion…)."""
    return bool(_FORBIDDEN_HEADER.search(header_key(header)))


def field_for_header(header: object, columns: Mapping[str, str] | None = None) -> str | None:
    """The field a header feeds, from ``columns`` first (by folded header), then the known French aliases.

    A forbidden column (``is_forbidden_header``) feeds nothing, whatever the mapping says.
    """
    key = header_key(header)
    if not key or is_forbidden_header(key):
        return None
    for given, name in (columns or {}).items():
        if header_key(given) == key:
            return name
    if key in _ALIAS_TO_FIELD:
        return _ALIAS_TO_FIELD[key]
    if "consentement" in key or key.startswith("accord"):
        if "partage" in key or "employeur" in key:
            return "consent_share"
        if "contact" in key:
            return "consent_contact"
    if key.startswith("conjoint") or key.startswith("partenaire"):
        return "partner"
    # "Téléphone portable", "Rayon de mobilité en km", "Métier recherché 1"…: the longest alias that starts it
    best = None
    for alias, name in _ALIAS_TO_FIELD.items():
        if len(alias) >= 4 and (key.startswith(alias + " ") or key.endswith(" " + alias)) and alias != "nom":
            if best is None or len(alias) > len(best[0]):
                best = (alias, name)
    return best[1] if best else None


def parse_column_mapping(items: list[str] | None = None, path: str | Path | None = None) -> dict[str, str]:
    """Header → field pairs from ``--column "Header=field"`` options and a mapping file (same lines, or JSON).

    Raises ``ValueError`` (French message) for a malformed pair or an unknown field.
    """
    pairs: list[tuple[str, str]] = []
    if path is not None:
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ValueError(f"fichier de correspondance illisible : {file} ({exc.strerror})") from exc
        if file.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"fichier de correspondance JSON invalide : {file} (ligne {exc.lineno})") from exc
            if not isinstance(data, dict):
                raise ValueError(f"fichier de correspondance JSON invalide : {file} (objet attendu)")
            pairs += [(str(k), str(v)) for k, v in data.items()]
        else:
            for line in text.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    pairs.append(_split_pair(line))
    pairs += [_split_pair(item) for item in items or []]
    mapping: dict[str, str] = {}
    for header, name in pairs:
        if name not in FIELDS:
            known = ", ".join(sorted(FIELDS))
            raise ValueError(f"champ inconnu « {name} » pour la colonne « {header} » (champs possibles : {known})")
        mapping[header] = name
    return mapping


def _split_pair(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise ValueError(f"correspondance de colonne invalide « {text.strip()} » : attendu \"En-tête=champ\"")
    header, name = text.rsplit("=", 1)
    if not header.strip():
        raise ValueError(f"correspondance de colonne invalide « {text.strip()} » : en-tête vide")
    return header.strip(), name.strip()


def parse_yes_no(text: str) -> bool | None:
    """oui/non, yes/no, x, 1/0, vrai/faux (and empty → None); raises ValueError when unreadable."""
    key = header_key(text)
    if not key:
        return None
    if key in YES or key.startswith("oui"):
        return True
    if key in NO or key.startswith("non"):
        return False
    raise ValueError(text)

