"""Import prospects met at a job fair from a spreadsheet (CSV or XLSX), and check one prospect's fields.

Reading (``read_table``):
- CSV with ``,`` ``;`` or tab separators (chosen on the header line), UTF-8 with or without BOM, UTF-16 with
  BOM (Excel's "Unicode text"), else Windows-1252; XLSX through openpyxl (first sheet with known headers).
- The header row is the first row with at least two known headers (title rows above it are skipped). Line
  numbers are the ones a spreadsheet shows: the first row of the file is line 1.
- Headers are matched by name, accents, case and punctuation ignored (``COURRIEL``, ``E-mail``,
  ``Téléphone``, ``Tél.``, ``Conjoint(e)``…); ``columns`` maps other headers (``{"Portable": "phone"}``).

Checking (``validate_prospect``, also used by the booth form of the web app):
- rejected (``errors``): no name; neither a valid e-mail nor a valid phone (``phonenumbers``, region FR);
  no recorded consent to be contacted.
- imported with a ``warning``: invalid e-mail or phone when the other one is valid, unknown commune, unreadable
  radius / experience / date / yes-no answer, unknown desired zone.

Importing (``import_candidates``): every valid row is upserted (``store.candidates.upsert_candidate``: dedup on
e-mail and E.164 phone), linked to the event, partners grouped into households, référent assigned from the
target EPCI; one audit row per import. ``dry_run`` rolls everything back but reports the same figures.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import zipfile
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from matching.geo import get_gazetteer
from matching.parsers import parse_contract
from matching.rome import get_classifier
from matching.text import fold
from services.spreadsheet import (
    ImportFileError,
    cell_text,
    decode_bytes,
    header_key,
    looks_binary,
    parse_french_date,
    pick_delimiter,
)
from store.audit import audit, current_actor
from store.candidates import (
    assign_referent,
    event_datetime,
    get_or_create_event,
    link_event,
    link_pending_partners,
    normalize_phone,
    upsert_candidate,
)

# Fields a column can feed (the values of a header mapping). ``ignore`` drops a column on purpose.
#: a cell longer than this is cut to it, with a warning on its row (a spreadsheet cell holds at most 32,767)
MAX_CELL_CHARS = 10_000
#: what the csv module may read in one cell before we cut it (its default, 128 KiB, raised an error)
CSV_FIELD_LIMIT = 2**31 - 1
#: the header row is looked for in the first rows of each sheet
HEADER_SCAN = 20

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

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:km|kms|kilometres?|ans?|annees?)?\.?\s*$")


@dataclass
class ProspectCheck:
    """The checked values of one prospect, with reasons to reject (``errors``) and ``warnings``."""

    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportReport:
    """What an import did; ``rejected`` and ``warnings`` are lists of ``{"line", "reason"}``."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    event: str | None = None
    file: str | None = None
    dry_run: bool = False
    households: int = 0

    @property
    def exit_code(self) -> int:
        """0 when every row went in, 2 when some were rejected."""
        return 2 if self.rejected else 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)


@dataclass
class Table:
    """Rows of a spreadsheet: the header (as written) and ``(line, {header: cell})`` pairs."""

    headers: list[str]
    header_line: int
    rows: Iterator[tuple[int, list[Any]]]  # a stream: read once
    columns: dict[int, str]  # column index → field
    warnings: list[dict[str, Any]] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None


# --------------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> tuple[Iterator[tuple[int, list[Any]]], str, str]:
    text, encoding = decode_bytes(data)
    if looks_binary(text):
        raise ImportFileError("ce fichier n'est pas un tableur lisible (CSV ou XLSX attendu)")
    # Excel's "sep=;" first line names the separator and is not shown as a row
    hint = re.match(r"\s*sep=(.)\s*?\r?\n", text)
    if hint:
        text = text[hint.end():]
    # No limit on a cell's size while reading (the csv module stops at 128 KiB by default): long cells are
    # cut to MAX_CELL_CHARS afterwards, with a warning on their row.
    csv.field_size_limit(CSV_FIELD_LIMIT)
    delimiter = hint[1] if hint else pick_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _numbered_csv(reader), encoding, delimiter


def _numbered_csv(reader: Any) -> Iterator[tuple[int, list[Any]]]:
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise ImportFileError(f"CSV illisible vers la ligne {reader.line_num} : {exc}") from exc


def _xlsx_sheets(path: Path) -> Iterator[Iterator[tuple[int, list[Any]]]]:
    """The sheets of a workbook, each as a stream of numbered rows (openpyxl's read-only mode: a sheet of
    100,000 rows is never held in memory). The workbook is closed when the stream ends."""
    from openpyxl import load_workbook  # imported here: CSV-only imports do not pay for it

    try:
        with zipfile.ZipFile(path) as archive:
            if "mimetype" in archive.namelist() and b"opendocument" in archive.read("mimetype"):
                raise ImportFileError(
                    f"format OpenDocument (.ods) non pris en charge : enregistrez {path.name} en .xlsx ou en CSV"
                )
    except zipfile.BadZipFile as exc:
        raise ImportFileError(f"classeur XLSX illisible : {path.name}") from exc
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"classeur XLSX illisible : {path.name}") from exc
    try:
        for sheet in workbook.worksheets:
            yield _sheet_rows(sheet)
    finally:
        workbook.close()


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    previous = 0
    for row in sheet.iter_rows():
        number = next((c.row for c in row if getattr(c, "row", None)), None) or previous + 1
        previous = number
        yield number, [cell.value for cell in row]


def _count(number: int) -> str:
    return format(number, ",").replace(",", "\u202f")


def cut_long_cells(rows: Iterable[tuple[int, list[Any]]], warnings: list[dict[str, Any]], headers: list[str]
                   ) -> Iterator[tuple[int, list[Any]]]:
    """Cells longer than ``MAX_CELL_CHARS`` cut to it, with a warning on their row (nothing else changes)."""
    for line, cells in rows:
        for position, cell in enumerate(cells):
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                cells[position] = cell[:MAX_CELL_CHARS]
                name = headers[position] if position < len(headers) and headers[position] else f"n° {position + 1}"
                warnings.append({
                    "line": line,
                    "reason": f"cellule « {name[:60]} » coupée à {_count(MAX_CELL_CHARS)} caractères "
                    f"({_count(len(cell))} reçus)",
                })
        yield line, cells


def _find_header(rows: list[tuple[int, list[Any]]], columns: Mapping[str, str] | None) -> int | None:
    """Index (in ``rows``) of the header row: the first of the first 20 rows with ≥ 2 known headers."""
    for index, (_, cells) in enumerate(rows[:HEADER_SCAN]):
        if not any(str(c).strip() for c in cells if c is not None):
            continue
        known = {field_for_header(c, columns) for c in cells if c is not None} - {None, "ignore"}
        if len(known) >= 2:
            return index
    return None


def read_table(path: str | Path, columns: Mapping[str, str] | None = None) -> Table:
    """Read a CSV or XLSX file into a ``Table``; raises ``ImportFileError`` when it cannot be read at all.

    The rows after the header are a stream (``Table.rows`` is read once, while importing): a file of any
    number of rows is imported with bounded memory; cells longer than ``MAX_CELL_CHARS`` are cut."""
    file = Path(path)
    if not file.exists():
        raise ImportFileError(f"fichier introuvable : {file}")
    if file.is_dir():
        raise ImportFileError(f"{file} est un dossier, pas un fichier")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"fichier illisible : {file} ({exc.strerror})") from exc
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ImportFileError(f"fichier vide : {file}")
    encoding = delimiter = None
    if data.startswith(b"PK\x03\x04"):
        del data  # openpyxl reads the file itself, in streaming mode
        sheets = _xlsx_sheets(file)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            f"ancien format Excel (.xls) non pris en charge : enregistrez {file.name} en .xlsx ou en CSV"
        )
    else:
        rows, encoding, delimiter = _csv_rows(data)
        sheets = iter([rows])
    for stream in sheets:
        head = list(itertools.islice(stream, HEADER_SCAN))
        index = _find_header(head, columns)
        if index is not None:
            break
    else:
        raise ImportFileError(
            f"aucune colonne reconnue dans {file.name} (Nom, Prénom, Courriel, Téléphone…) : "
            "vérifiez la ligne d'en-tête ou indiquez les colonnes avec --column \"En-tête=champ\""
        )
    header_line, header_cells = head[index]
    headers = ["" if c is None else str(c).strip()[:MAX_CELL_CHARS] for c in header_cells]
    mapped: dict[int, str] = {}
    warnings: list[dict[str, Any]] = []
    for position, header in enumerate(headers):
        if not header:
            continue
        name = field_for_header(header, columns)
        if is_forbidden_header(header):
            warnings.append({
                "line": header_line,
                "reason": f"colonne « {header} » ignorée : donnée qui ne doit pas être collectée (RGPD)",
            })
        elif name is None:
            warnings.append({"line": header_line, "reason": f"colonne « {header[:60]} » non reconnue : ignorée"})
        elif name == "ignore":
            continue
        elif name in mapped.values():
            warnings.append({"line": header_line, "reason": f"colonne « {header[:60]} » en double : ignorée"})
        else:
            mapped[position] = name
    fields = set(mapped.values())
    if not fields & {"email", "phone"} or not fields & {"last_name", "first_name", "full_name"}:
        raise ImportFileError(
            f"il manque dans {file.name} une colonne de nom ou de contact (courriel ou téléphone) : "
            "indiquez-la avec --column \"En-tête=champ\""
        )
    if "consent_contact" not in fields:
        warnings.append({
            "line": header_line,
            "reason": "pas de colonne « Consentement contact » : aucune ligne ne peut être importée",
        })
    body = cut_long_cells(itertools.chain(head[index + 1:], stream), warnings, headers)
    return Table(headers, header_line, body, mapped, warnings, encoding, delimiter)


# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------


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


def _number(text: str) -> float:
    """``50``, ``50 km``, ``3,5 ans``, ``18 mois`` (→ 1.5 years) as a number; ValueError otherwise."""
    months = re.fullmatch(r"\s*(\d+)\s*mois\s*", fold(text))
    if months:
        return round(int(months[1]) / 12, 2)
    match = _NUMBER.match(fold(text))
    if not match:
        raise ValueError(text)
    return float(match[1].replace(",", "."))


def _contract_types(text: str) -> list[str]:
    """Contract types in ``text`` (``CDI ou CDD``, ``Intérim``…), via the shared parser when available."""
    parts = [p.strip() for p in re.split(r"[,;/+]|\bou\b|\bet\b", text, flags=re.IGNORECASE) if p.strip()]
    found: list[str] = []
    simple = {
        "cdi": "CDI", "cdd": "CDD", "interim": "interim", "alternance": "apprentissage",
        "apprentissage": "apprentissage", "professionnalisation": "professionnalisation", "stage": "stage",
        "saisonnier": "saisonnier", "saison": "saisonnier", "liberal": "liberal", "independant": "independant",
        "titulaire": "titulaire", "contractuel": "contractuel", "fonction publique": "titulaire",
    }
    for part in parts:
        kind = None
        try:
            kind = parse_contract(part).type
        except Exception:  # noqa: BLE001 - the shared parser must not break an import
            kind = None
        if kind is None:
            folded = header_key(part)
            kind = next((v for k, v in simple.items() if k in folded), None)
        if kind and kind not in found:
            found.append(kind)
    return found


def _gazetteer():  # type: ignore[no-untyped-def]
    """The shared gazetteer."""
    return get_gazetteer()


def _rome_codes(desired: str) -> list[str]:
    """ROME codes of the desired jobs (best code per job), or [] when the classifier is not available."""
    codes: list[str] = []
    for part in re.split(r"[,;/]|\bou\b", desired):
        code = _rome_code(part.strip()) if part.strip() else None
        if code and code not in codes:
            codes.append(code)
    return codes


@lru_cache(maxsize=4096)
def _rome_code(job: str) -> str | None:
    """The best ROME code of one job title (cached: the same jobs come back all through a fair)."""
    matches = get_classifier().classify(job, top=1)
    return matches[0].code if matches else None


def _email(text: str) -> str | None:
    """A valid e-mail address in lower case, or None."""
    value = text.strip().removeprefix("mailto:").strip().strip("<>").lower()
    return value if _EMAIL.match(value) else None


def _first_valid(text: str, parse: Any) -> str | None:
    """``parse`` of the whole cell, else of its first part that parses ("06 … / 05 …", "a@x.fr; b@y.fr")."""
    if not text:
        return None
    whole = parse(text)
    if whole:
        return whole
    for part in re.split(r"[/;,|]|\bou\b|\bet\b", text):
        value = parse(part) if part.strip() else None
        if value:
            return value
    return None


def _split_full_name(text: str) -> tuple[str | None, str | None]:
    """``Marie DUPONT`` → (Marie, DUPONT); ``DUPONT Marie`` → (Marie, DUPONT); else the last word is the name."""
    words = text.split()
    if len(words) < 2:
        return None, text or None
    upper = [w for w in words if w.isupper() and len(w) > 1]
    if upper and len(upper) < len(words):
        return " ".join(w for w in words if w not in upper), " ".join(upper)
    return " ".join(words[:-1]), words[-1]


def _resolve_place(gazetteer: Any, text: str) -> Any:
    """The gazetteer's place for a cell naming a commune, or None when its answer is not that place.

    The gazetteer finds a commune *inside* an offer's location text ("Poste basé à Mer"); a cell that names
    one place must be that place: "Atlantis-sur-Mer" is not the commune of Mer. The cell's words (postal code
    and département number aside) must be close to the place's name or a part of it ("Brive").
    """
    place = gazetteer.resolve(text)
    if place is None or getattr(place, "level", "commune") != "commune":
        return place
    asked = [w for w in header_key(text).split() if not w.isdigit() and w not in {"france", "cedex"}]
    name = header_key(place.name).split()
    if not asked or set(asked) <= set(name) or fuzz.ratio(" ".join(asked), " ".join(name)) >= 80:
        return place
    # "Saint-Céré (Lot)": the extra word may be the département
    if len(asked) > len(name) and fuzz.ratio(" ".join(asked[: len(name)]), " ".join(name)) >= 80:
        return place
    return None


def _resolve_zone(text: str, gazetteer: Any, warnings: list[str]) -> dict[str, Any]:
    area: dict[str, Any] = {"text": text}
    if gazetteer is None:
        return area
    communes: list[str] = []
    epcis: list[str] = []
    departements: list[str] = []
    unknown: list[str] = []
    for part in re.split(r"[,;/]|\bou\b|\bet\b", text):
        part = part.strip()
        if not part:
            continue
        place = _resolve_place(gazetteer, part)
        if place is None:
            unknown.append(part)
        elif place.level == "commune" and place.insee:
            communes.append(place.insee)
            if place.epci and place.epci not in epcis:
                epcis.append(place.epci)
        elif place.departement and place.departement not in departements:
            departements.append(place.departement)
    if unknown:
        warnings.append(f"zone souhaitée non reconnue : {', '.join(unknown)}")
    area.update({"communes": communes, "epcis": epcis, "departements": departements})
    return area


def _canonical(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Keys of ``fields`` as field names: field names are kept, French headers mapped."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        name = key if key in FIELDS else field_for_header(key)
        if name and name != "ignore" and name not in out:
            out[name] = value
    return out


def validate_prospect(fields: Mapping[str, Any], *, today: date | None = None) -> ProspectCheck:
    """Check one prospect (keys: field names of ``FIELDS`` or French headers; values: text or cells).

    ``values`` holds typed values ready for ``store.candidates.upsert_candidate``: names, ``email`` (lower
    case), ``phone`` (E.164), ``rome_codes``, ``contract_types``, ``radius_km``, ``available_from``,
    ``commune_insee``/``lat``/``lon`` when the commune is known, ``target_area``, consent booleans, and
    ``home_epcis``/``target_epcis`` for the référent assignment.
    """
    raw = _canonical(fields)
    text = {name: cell_text(value) for name, value in raw.items()}
    values: dict[str, Any] = {}
    errors: list[str] = []
    warnings: list[str] = []

    first, last = text.get("first_name") or None, text.get("last_name") or None
    if not first and not last and text.get("full_name"):
        first, last = _split_full_name(text["full_name"])
    values["first_name"], values["last_name"] = first, last
    if not first and not last:
        errors.append("nom manquant")

    email = _first_valid(text.get("email", ""), _email)
    if text.get("email") and email is None:
        warnings.append(f"courriel invalide ignoré : {text['email']}")
    values["email"] = email
    phone_raw = raw.get("phone")
    if isinstance(phone_raw, (int, float)) and not isinstance(phone_raw, bool):
        digits = cell_text(phone_raw)
        phone_raw = "0" + digits if len(digits) == 9 else digits  # a spreadsheet dropped the leading 0
    phone_text = cell_text(phone_raw)
    phone = _first_valid(phone_text, normalize_phone)
    if phone_text and phone is None:
        warnings.append(f"téléphone invalide ignoré : {phone_text}")
    values["phone"] = phone
    if not email and not phone:
        errors.append("ni courriel ni téléphone valable")

    for name, label in (("consent_contact", "consentement contact"), ("consent_share", "consentement partage")):
        value = raw.get(name)
        if isinstance(value, bool):
            values[name] = value
            continue
        try:
            values[name] = parse_yes_no(text.get(name, ""))
        except ValueError:
            values[name] = None
            warnings.append(f"{label} illisible : « {text.get(name)} »")
    if values["consent_contact"] is not True:
        errors.append("pas de consentement à être contacté")

    for name in ("desired_jobs", "skills", "diplomas", "languages", "notes", "partner"):
        values[name] = text.get(name) or None
    if values["partner"] and header_key(values["partner"]) in YES | NO | {"en couple", "celibataire", "seul"}:
        values["partner"] = None  # "oui" names nobody: there is no one to look for
    values["rome_codes"] = _rome_codes(values["desired_jobs"]) if values["desired_jobs"] else []
    values["contract_types"] = _contract_types(text["contract_types"]) if text.get("contract_types") else []
    if text.get("contract_types") and not values["contract_types"]:
        warnings.append(f"contrat souhaité non reconnu : « {text['contract_types']} »")

    for name, label in (("radius_km", "rayon de mobilité"), ("experience_years", "expérience")):
        values[name] = None
        if text.get(name):
            try:
                values[name] = _number(text[name])
            except ValueError:
                warnings.append(f"{label} illisible : « {text[name]} »")

    values["driving_licence"] = None
    if text.get("driving_licence"):
        try:
            values["driving_licence"] = parse_yes_no(text["driving_licence"])
        except ValueError:
            warnings.append(f"permis illisible : « {text['driving_licence']} »")

    values["available_from"] = None
    availability = raw.get("availability")
    if isinstance(availability, datetime):
        values["available_from"] = availability.date()
    elif isinstance(availability, date):
        values["available_from"] = availability
    elif text.get("availability"):
        try:
            values["available_from"] = parse_french_date(text["availability"], today)
        except ValueError:
            warnings.append(f"disponibilité illisible : « {text['availability']} » (gardée en note)")
            values["notes"] = "\n".join(filter(None, [values["notes"], f"Disponibilité : {text['availability']}"]))

    gazetteer = _gazetteer() if (text.get("current_place") or text.get("target_zone")) else None
    values["current_place"] = text.get("current_place") or None
    values["home_epcis"] = []
    if values["current_place"] and gazetteer is not None:
        place = _resolve_place(gazetteer, values["current_place"])
        if place is None:
            warnings.append(f"commune inconnue : « {values['current_place']} »")
        else:
            if place.insee:
                values["commune_insee"] = place.insee
            values["lat"], values["lon"] = place.lat, place.lon
            if place.epci and gazetteer.in_territory(place):
                values["home_epcis"] = [place.epci]
    values["target_area"] = _resolve_zone(text["target_zone"], gazetteer, warnings) if text.get("target_zone") else {}
    values["target_epcis"] = list(values["target_area"].get("epcis", []))
    _fit_columns(values, warnings)
    return ProspectCheck(values, errors, warnings)


def _fit_columns(values: dict[str, Any], warnings: list[str]) -> None:
    """Text longer than its database column (a 200-character name…) cut to it, with a warning."""
    from store.models import Candidate

    columns = Candidate.__table__.columns
    for name, value in values.items():
        length = getattr(columns[name].type, "length", None) if name in columns else None
        if isinstance(value, str) and length and len(value) > length:
            values[name] = value[:length]
            warnings.append(f"{FIELDS.get(name, name)} trop long : coupé à {length} caractères")


# --------------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------------


def save_prospect(
    session: Session,
    check: ProspectCheck,
    *,
    event: Any,
    channel: str,
    met_at: datetime | None = None,
    now: datetime | None = None,
    actor: str | None = None,
    audit_action: str | None = None,
    link_partner: bool = False,
    fill_only_ids: Collection[int] = (),
) -> Any:
    """Record one checked prospect (a booth-form entry or an import row) met at ``event`` (an ``Event``).

    Upserts the person (dedup on e-mail / phone), links them to the event, assigns the référent of their target
    EPCI, and with ``link_partner`` forms the household at once (an import does it after its last row). With
    ``audit_action`` (the booth form: ``"candidates.form"``) an audit row names ``actor``. ``channel`` says how
    consent was collected (``"formulaire stand"``). Returns ``store.candidates.UpsertResult``; its ``outcome``
    is ``updated`` when only the event link is new. Raises ``ValueError`` when ``check`` has errors.
    """
    if check.errors:
        raise ValueError("; ".join(check.errors))
    now = now or datetime.now(UTC)
    met_at = met_at or event_datetime(event, now)
    result = upsert_candidate(
        session, check.values, met_at=met_at, channel=channel, now=now, fill_only_ids=fill_only_ids
    )
    candidate = result.candidate
    if link_event(session, candidate, event, met_at) and result.outcome == "unchanged":
        result.outcome = "updated"
    assign_referent(session, candidate, check.values.get("target_epcis", []) + check.values.get("home_epcis", []))
    if link_partner and candidate.partner_hint:
        link_pending_partners(session, [candidate])
    if audit_action:
        audit(session, actor, audit_action, "candidate", candidate.id, {"event": event.id, "outcome": result.outcome},
              at=now)
    session.flush()
    return result


def import_candidates(
    db_or_session: Any,
    path: str | Path,
    *,
    event: str,
    dry_run: bool = False,
    now: datetime | None = None,
    event_date: date | None = None,
    event_place: str | None = None,
    event_kind: str | None = None,
    columns: Mapping[str, str] | None = None,
    actor: str | None = None,
) -> ImportReport:
    """Import the prospects of ``path`` met at ``event`` (created if new); see the module docstring.

    ``db_or_session`` is a ``store.db.Database`` (committed here unless ``dry_run``) or a ``Session`` (the
    caller commits; ``dry_run`` then works in a savepoint rolled back at the end). Raises ``ImportFileError``
    when the file cannot be read at all.
    """
    if not event or not event.strip():
        raise ImportFileError("nom d'évènement manquant (--event \"Nom du salon\")")
    table = read_table(path, columns)
    now = now or datetime.now(UTC)
    if isinstance(db_or_session, Session):
        return _import_in_session(
            db_or_session, table, Path(path), event, dry_run, now, event_date, event_place, event_kind, actor, False
        )
    session = db_or_session.sessions()
    try:
        report = _import_in_session(
            session, table, Path(path), event, dry_run, now, event_date, event_place, event_kind, actor, True
        )
        session.commit()
        return report
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _import_in_session(
    session: Session,
    table: Table,
    path: Path,
    event_name: str,
    dry_run: bool,
    now: datetime,
    event_date: date | None,
    event_place: str | None,
    event_kind: str | None,
    actor: str | None,
    own_session: bool,
) -> ImportReport:
    actor = actor or current_actor()
    report = ImportReport(event=event_name.strip(), file=path.name, dry_run=dry_run, warnings=table.warnings)
    # A caller's session keeps its own work: a dry run then happens in a savepoint; a session opened here is
    # simply rolled back (pysqlite's savepoints need care, avoided when not needed).
    savepoint = session.begin_nested() if dry_run and own_session is False else None
    event, _ = get_or_create_event(session, event_name, day=event_date, place=event_place, kind=event_kind)
    if event.date is None:  # an undated event happened on the day of its first import
        event.date = now.date()
    met_at = event_datetime(event, now)
    channel = f"import {path.name}"[:80]
    seen: dict[int, int] = {}  # candidate id → first line of this file
    touched = []
    for line, cells in table.rows:
        row = {name: cells[i] if i < len(cells) else None for i, name in table.columns.items()}
        if not any(cell_text(v) for v in row.values()):
            continue
        check = validate_prospect(row, today=met_at.date())
        for warning in check.warnings:
            report.warnings.append({"line": line, "reason": warning})
        if check.errors:
            report.rejected.append({"line": line, "reason": " ; ".join(check.errors)})
            continue
        result = save_prospect(
            session, check, event=event, met_at=met_at, channel=channel, now=now, fill_only_ids=seen.keys()
        )
        candidate = result.candidate
        if result.conflicts:
            report.warnings.append({
                "line": line,
                "reason": f"courriel et téléphone appartiennent à des fiches différentes (n° {candidate.id} "
                f"et {', '.join(map(str, result.conflicts))}) : vérifiez",
            })
        if result.housemates:
            report.warnings.append({
                "line": line,
                "reason": f"même téléphone que la fiche n° {', '.join(map(str, result.housemates))} mais autre nom "
                "ou autre courriel : deux personnes, foyer probable à confirmer (ohmylot candidates foyers)",
            })
        outcome = result.outcome
        if candidate.id in seen:
            report.warnings.append({"line": line, "reason": f"même personne qu'à la ligne {seen[candidate.id]}"})
            # one person counts once per file: a repeated row that adds data is an update of that person
            if outcome == "imported":
                outcome = "updated"
        else:
            seen[candidate.id] = line
        setattr(report, outcome, getattr(report, outcome) + 1)
        if candidate.partner_hint:
            touched.append((line, candidate))
    linked = {pair[0] for pair in link_pending_partners(session)}
    report.households = len(linked)
    for line, candidate in touched:
        if candidate.id not in linked and candidate.partner_hint and candidate.household_id is None:
            report.warnings.append({
                "line": line,
                "reason": "conjoint pas encore connu : le foyer sera formé quand il sera enregistré",
            })
    audit(
        session,
        actor,
        "candidates.import",
        "event",
        event.id,
        {
            "file": path.name,
            "imported": report.imported,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected),
            "dry_run": dry_run,
        },
        at=now,
    )
    if savepoint is not None:
        savepoint.rollback()
    elif dry_run:
        session.rollback()
    else:
        session.flush()
    return report
