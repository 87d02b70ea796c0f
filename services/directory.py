"""The local directory of the réseau accueil: what each référent recommends in their territory (EPCI).

- ``check_entry`` validates one entry (from the form or a spreadsheet row): a name, a category among
  ``CATEGORIES`` (French words understood: "crèche", "médecin", "logement"…), a commune of the territory,
  a "last checked" date (``15/03/2025``, ``mars 2025``…; empty means never checked: flagged as stale).
- ``import_directory`` reads a CSV/XLSX file with the same tolerant reader as the job-fair import
  (``services.spreadsheet``: encodings, separators, title rows): good rows go in, each bad row is reported
  with its line and reason, and a re-import updates the entries it already holds (same name and commune in
  the same EPCI) instead of adding copies.
- ``stale_entries``: entries not checked for more than ``STALE_DAYS`` days, flagged to their référent.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.geo import get_gazetteer
from matching.text import fold
from services.errors import ServiceError
from services.spreadsheet import ImportFileError, Rows, cell_text, header_key, parse_french_date, read_sheets
from store.audit import audit
from store.models import DirectoryEntry, utcnow

STALE_DAYS = 365
CATEGORIES = {
    "petite_enfance": "Petite enfance (crèche, assistantes maternelles)",
    "sante": "Santé (médecin, maison de santé)",
    "logement": "Logement",
    "ecole": "École, périscolaire",
    "association": "Association",
    "culture": "Culture",
    "sport": "Sport",
    "emploi": "Emploi du conjoint, formation",
    "mobilite": "Mobilité, transports",
    "autre": "Autre",
}
# Folded words that name a category in a spreadsheet ("Crèche", "Médecin généraliste", "MSP"…).
_CATEGORY_WORDS = {
    "petite_enfance": ("creche", "enfance", "assistante", "ram", "rpe", "micro creche", "garde", "halte garderie"),
    "sante": ("sante", "medecin", "msp", "generaliste", "pharmacie", "infirm", "kine", "dentiste", "docteur"),
    "logement": ("logement", "habitat", "immobili", "location", "hlm", "bailleur"),
    "ecole": ("ecole", "periscolaire", "college", "lycee", "scolaire"),
    "association": ("association", "asso", "club"),
    "culture": ("culture", "musique", "theatre", "cinema", "bibliotheque", "mediatheque", "musee"),
    "sport": ("sport", "piscine", "rugby", "football", "gym", "randonnee"),
    "emploi": ("emploi", "formation", "conjoint"),
    "mobilite": ("mobilite", "transport", "covoiturage", "bus"),
}
HEADER_ALIASES = {
    "name": ("nom", "structure", "nom de la structure", "organisme", "etablissement", "intitule"),
    "category": ("categorie", "type", "domaine", "rubrique", "thematique"),
    "commune": ("commune", "ville", "localite", "lieu", "code postal commune"),
    "contact_name": ("contact", "referent", "interlocuteur", "personne a contacter", "nom du contact"),
    "phone": ("telephone", "tel", "portable", "numero"),
    "email": ("courriel", "email", "e mail", "mail", "adresse mail", "adresse electronique"),
    "website": ("site", "site web", "site internet", "web", "url"),
    "address": ("adresse", "adresse postale", "rue"),
    "notes": ("notes", "remarques", "commentaire", "commentaires", "observations", "infos"),
    "last_checked": (
        "verifie le",
        "derniere verification",
        "date de verification",
        "mis a jour le",
        "mise a jour",
        "date de mise a jour",
        "verification",
    ),
}
_ALIAS = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class DirectoryError(ServiceError, ValueError):
    """A directory action that cannot be done; the message is French, one line."""


@dataclass
class EntryCheck:
    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class DirectoryImportReport:
    """What an import did; ``rejected`` and ``warnings`` are lists of ``{"line", "reason"}``."""

    file: str
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 2 if self.rejected else 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_category(text: str) -> str | None:
    """The category a French word names (``Crèche`` → ``petite_enfance``), or None."""
    key = header_key(text)
    if not key:
        return None
    if key.replace(" ", "_") in CATEGORIES:
        return key.replace(" ", "_")
    for name, label in CATEGORIES.items():
        if key == header_key(label):
            return name
    for name, words in _CATEGORY_WORDS.items():
        if any(key == word or key.startswith(word) or f" {word}" in f" {key}" for word in words):
            return name
    return None


def entry_key(name: str, insee: str | None) -> str:
    """What makes two entries the same structure: the folded name and the commune."""
    return f"{' '.join(fold(name).split())}|{insee or ''}"[:300]


def check_entry(
    raw: Mapping[str, Any], *, territory: Collection[str] | None = None, today: date | None = None
) -> EntryCheck:
    """Check one entry's fields (texts as typed); ``territory`` (EPCI SIRENs) limits where it may be."""
    text = {name: cell_text(raw.get(name)) for name in HEADER_ALIASES}
    check = EntryCheck(values={})
    values = check.values
    values["name"] = text["name"][:300]
    if not values["name"]:
        check.errors.append("nom de la structure manquant")
    category = parse_category(text["category"]) if text["category"] else None
    if category is None:
        check.errors.append(f"catégorie inconnue « {text['category']} »" if text["category"] else "catégorie manquante")
    values["category"] = category
    place = get_gazetteer().resolve(text["commune"]) if text["commune"] else None
    if place is None or place.insee is None or place.level != "commune":
        check.errors.append(f"commune inconnue « {text['commune']} »" if text["commune"] else "commune manquante")
        values.update(commune_insee=None, commune_name=None, epci=None)
    else:
        values.update(commune_insee=place.insee, commune_name=place.name, epci=place.epci)
        if territory is not None and place.epci not in territory:
            check.errors.append(f"{place.name} n'est pas dans votre territoire")
    email = text["email"]
    if email and not _EMAIL.match(email):
        check.warnings.append(f"courriel invalide « {email} » : ignoré")
        email = ""
    values["email"] = email[:320] or None
    for name, size in (("contact_name", 200), ("phone", 32), ("website", 500), ("address", 300), ("notes", 4000)):
        values[name] = text[name][:size] or None
    values["last_checked"] = None
    if text["last_checked"]:
        try:
            checked = parse_french_date(text["last_checked"], today)
        except ValueError:
            check.warnings.append(f"date de vérification illisible « {text['last_checked']} » : à vérifier")
        else:
            if checked and checked > (today or datetime.now(UTC).date()):
                check.warnings.append(f"date de vérification dans le futur « {text['last_checked']} » : ignorée")
            else:
                values["last_checked"] = checked
    return check


def save_entry(session: Session, check: EntryCheck, *, actor: str | None) -> tuple[DirectoryEntry, str]:
    """Insert or update the entry a valid check describes; returns it and ``imported|updated|unchanged``."""
    values = dict(check.values)
    key = entry_key(values["name"], values["commune_insee"])
    entry = session.scalars(
        select(DirectoryEntry).where(DirectoryEntry.epci == values["epci"], DirectoryEntry.key == key)
    ).first()
    if entry is None:
        entry = DirectoryEntry(key=key, updated_by=actor, **values)
        session.add(entry)
        session.flush()
        return entry, "imported"
    # a re-import without a date keeps the date the référent recorded earlier
    if values["last_checked"] is None:
        values["last_checked"] = entry.last_checked
    changed = {name: value for name, value in values.items() if getattr(entry, name) != value}
    if not changed:
        return entry, "unchanged"
    for name, value in changed.items():
        setattr(entry, name, value)
    entry.updated_by, entry.updated_at = actor, utcnow()
    return entry, "updated"


def _header_field(header: object) -> str | None:
    key = header_key(header)
    if key in _ALIAS:
        return _ALIAS[key]
    # "Téléphone du contact", "Commune (code postal)": the longest alias that starts the header
    starts = [alias for alias in _ALIAS if len(alias) >= 3 and key.startswith(alias + " ")]
    return _ALIAS[max(starts, key=len)] if starts else None


def _table(sheets: list[Rows], name: str) -> tuple[int, dict[int, str], Rows, list[dict[str, Any]]]:
    """The header line, column → field map and body rows of the first sheet with ≥ 2 known headers."""
    for rows in sheets:
        for index, (line, cells) in enumerate(rows[:20]):
            columns: dict[int, str] = {}
            warnings = []
            for position, cell in enumerate(cells):
                field_name = _header_field(cell) if cell is not None and str(cell).strip() else None
                if field_name and field_name not in columns.values():
                    columns[position] = field_name
                elif cell is not None and str(cell).strip():
                    warnings.append({"line": line, "reason": f"colonne « {str(cell).strip()} » non reconnue : ignorée"})
            if len(columns) >= 2:
                if "name" not in columns.values():
                    raise ImportFileError(f"il manque dans {name} la colonne « Nom » de la structure")
                return line, columns, rows[index + 1 :], warnings
    raise ImportFileError(f"aucune colonne reconnue dans {name} (Nom, Catégorie, Commune, Téléphone…)")


def import_directory(
    session: Session,
    path: str | Path,
    *,
    territory: Collection[str] | None = None,
    actor: str | None = None,
    today: date | None = None,
) -> DirectoryImportReport:
    """Import a directory spreadsheet; bad rows are reported, good ones inserted or updated (no copies)."""
    file = Path(path)
    sheets, _, _ = read_sheets(file)
    _, columns, body, warnings = _table(sheets, file.name)
    report = DirectoryImportReport(file=file.name, warnings=warnings)
    seen: dict[str, int] = {}
    for line, cells in body:
        row = {name: cells[i] if i < len(cells) else None for i, name in columns.items()}
        if not any(cell_text(v) for v in row.values()):
            continue
        check = check_entry(row, territory=territory, today=today)
        report.warnings += [{"line": line, "reason": w} for w in check.warnings]
        if check.errors:
            report.rejected.append({"line": line, "reason": " ; ".join(check.errors)})
            continue
        key = f"{check.values['epci']}/{entry_key(check.values['name'], check.values['commune_insee'])}"
        if key in seen:
            report.warnings.append({"line": line, "reason": f"même structure qu'à la ligne {seen[key]} : mise à jour"})
        seen.setdefault(key, line)
        _, outcome = save_entry(session, check, actor=actor)
        setattr(report, outcome, getattr(report, outcome) + 1)
    audit(
        session,
        actor,
        "directory_imported",
        "directory",
        None,
        {"file": file.name, "imported": report.imported, "updated": report.updated, "rejected": len(report.rejected)},
    )
    return report


def is_stale(entry: DirectoryEntry, today: date | None = None) -> bool:
    """Not checked for more than ``STALE_DAYS`` days (or never)."""
    today = today or datetime.now(UTC).date()
    return entry.last_checked is None or entry.last_checked < today - timedelta(days=STALE_DAYS)


def list_entries(
    session: Session,
    *,
    epcis: Collection[str] | None = None,
    category: str | None = None,
    commune_insee: str | None = None,
) -> list[DirectoryEntry]:
    """Directory entries, by EPCI then category and name; filters are optional."""
    query = select(DirectoryEntry).order_by(DirectoryEntry.epci, DirectoryEntry.category, DirectoryEntry.name)
    if epcis is not None:
        query = query.where(DirectoryEntry.epci.in_(list(epcis)))
    if category:
        query = query.where(DirectoryEntry.category == category)
    if commune_insee:
        query = query.where(DirectoryEntry.commune_insee == commune_insee)
    return list(session.scalars(query))


def stale_entries(
    session: Session, *, epcis: Collection[str] | None = None, today: date | None = None
) -> list[DirectoryEntry]:
    """The entries of these EPCIs due for a check (see ``is_stale``)."""
    return [e for e in list_entries(session, epcis=epcis) if is_stale(e, today)]


def mark_checked(session: Session, entry: DirectoryEntry, *, actor: str | None, today: date | None = None) -> None:
    """The référent confirms the entry is still right today."""
    entry.last_checked = today or datetime.now(UTC).date()
    entry.updated_by, entry.updated_at = actor, utcnow()


def delete_entry(session: Session, entry: DirectoryEntry, *, actor: str | None) -> None:
    audit(session, actor, "directory_entry_deleted", "directory", entry.id, {"name": entry.name})
    session.delete(entry)
