"""Reading offers that partners without a website send as spreadsheets (CSV or XLSX).

Farms, craftsmen and small communes send a table, one offer per row, with French headers that vary from one
partner to the next ("Intitulé du poste", "Titre", "Employeur", "Lieu", "Commune", "CP", "Contrat",
"Date limite", "Lien/Contact"…). This module finds the header row, maps each header to a ``RawPosting``
field (accents, case and punctuation ignored; see :data:`HEADER_RULES`), and returns one
:class:`SheetRow` per offer; unknown columns are kept in ``extra`` under their own header, so nothing the
partner typed is lost.

- CSV: UTF-8 with or without BOM, Windows-1252 (byte by byte where UTF-8 fails), separators ``;`` ``,`` tab
  or ``|`` (the one that splits the header row into the most columns), quoted multi-line cells.
- XLSX: the first sheet that has a header row (openpyxl, read-only, cached formula values). Dates typed as
  dates become ISO strings; numbers are written without a trailing ``.0``.
- A row that cannot be used is reported with its line number (as the partner sees it in their software)
  and a reason: ``missing_title`` (cells filled but no title), ``invalid_row`` (more filled cells than
  headers: usually an unquoted separator inside a description). Empty rows are skipped silently.
- A file without a recognisable header row, an HTML page or a zip that is not a workbook is one document
  problem (``not_a_feed``, ``invalid_spreadsheet``); an old ``.xls`` or an ``.ods`` is ``unsupported_format``
  with what to do.

When the sheet has no reference column, the posting's id is derived from what identifies the offer for a
person reading the sheet (title, employer, place, contract), so that sending the same sheet again updates the
same postings instead of creating new ones.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from crawlers.feeds import (
    DROP_EMPTY_RESPONSE,
    DROP_INVALID_ROW,
    DROP_NOT_A_FEED,
    FeedProblem,
    clean_value,
    decode_feed,
    looks_like_html,
    remove_control_characters,
)
from matching.text import fold

DROP_MISSING_TITLE = "missing_title"
DROP_INVALID_SPREADSHEET = "invalid_spreadsheet"
DROP_UNSUPPORTED_FORMAT = "unsupported_format"

#: How many rows are searched for the header row (titles or notes may come first).
HEADER_SEARCH_ROWS = 15
#: Fields that make a row a header row when the title column is also found.
_MIN_MAPPED = 2

# (field, exact folded headers, folded prefixes). Order matters for prefixes: specific rules first.
HEADER_RULES: tuple[tuple[str, frozenset[str], tuple[str, ...]], ...] = tuple(
    (name, frozenset(exact.split("|")), tuple(p for p in prefixes.split("|") if p))
    for name, exact, prefixes in (
        ("source_id", "reference|ref|id|identifiant|numero|n|no|num|numero d offre|ref offre|reference offre"
                      "|reference de l offre|n offre|n de l offre", "reference|ref |identifiant"),
        ("postal_code", "code postal|cp|c p|code postal du lieu de travail", "code postal"),
        ("expires_at", "date limite|date limite de candidature|date de fin|expiration|date d expiration"
                       "|valable jusqu au|jusqu au|date de fin de publication|fin de publication|cloture"
                       "|date de cloture", "date limite|date d expiration|date de fin de publication|valable"
                                          "|date de cloture"),
        ("start_date", "date de debut|prise de poste|debut|date d embauche|date de prise de poste|a partir du",
         "date de debut|prise de poste|date d embauche"),
        ("published_at", "date de publication|date|publie le|date de parution|date publication"
                         "|date de mise en ligne|date de l offre|date de depot", "date de publication"
                                                                                 "|date de parution|publie"),
        ("contract_duration", "duree|duree du contrat|duree contrat|duree de contrat|duree de la mission",
         "duree du contrat|duree de contrat|duree de la mission"),
        ("working_time", "temps de travail|horaires|duree hebdomadaire|temps plein partiel|temps|horaire"
                         "|heures par semaine|nombre d heures", "temps de travail|duree hebdo|horaire"
                                                               "|heures hebdo"),
        ("contract", "contrat|type de contrat|nature du contrat|type contrat|type", "contrat|type de contrat"),
        ("title", "intitule|titre|poste|offre|metier|emploi|intitule du poste|intitule de l offre"
                  "|titre de l offre|titre du poste|libelle|libelle du poste|poste propose|fonction|job",
         "intitule|titre|libelle du poste|poste a pourvoir|poste propose"),
        ("employer", "employeur|entreprise|societe|structure|raison sociale|etablissement|exploitation"
                     "|nom de l entreprise|recruteur|nom employeur|organisme|collectivite|ferme|domaine",
         "employeur|entreprise|nom de l entreprise|raison sociale"),
        ("employer_siret", "siret|n siret|numero siret|siret employeur", "siret"),
        ("departement", "departement|dept|dep|dpt", "departement"),
        ("city", "lieu|commune|ville|localite|lieu de travail|commune du poste|lieu d exercice",
         "lieu|commune|ville|localite"),
        ("location", "adresse|localisation|adresse du lieu de travail|secteur geographique", "adresse"),
        ("salary", "salaire|remuneration|salaire brut|salaire mensuel|salaire horaire|paie",
         "salaire|remuneration"),
        ("experience", "experience|experience requise|niveau d experience", "experience"),
        ("positions", "nombre de postes|postes|nb postes|nb de postes|nombre", "nombre de poste|nb de poste"
                                                                                "|nb poste"),
        ("remote", "teletravail", "teletravail"),
        ("rome_code", "code rome|rome", "code rome"),
        ("profile", "profil|profil recherche|competences|qualites|savoir etre|profil du candidat",
         "profil|competence"),
        ("description", "description|descriptif|missions|mission|detail|details|texte|description du poste"
                        "|presentation|descriptif du poste|activites|taches", "description|descriptif|mission"),
        ("link", "lien|url|lien de l offre|site|site web|lien vers l offre|lien contact|lien ou contact"
                 "|pour postuler|postuler|candidature", "lien|url|site|postuler"),
        ("contact", "contact|email|e mail|mail|courriel|telephone|tel|adresse mail|adresse e mail|contacts",
         "contact|courriel|telephone|e mail"),
    )
)

_WORD = re.compile(r"[a-z0-9]+")
# Descriptions pasted into one cell can be long: allow 4 MiB per cell (the default is 128 KiB).
csv.field_size_limit(max(csv.field_size_limit(), 4 * 1024 * 1024))
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)


def header_key(header: object) -> str:
    """A header folded for matching: ``"Intitulé du poste *"`` → ``"intitule du poste"``."""
    return " ".join(_WORD.findall(fold(header)))


def field_for_header(header: object) -> str | None:
    """The field a header maps to, or ``None`` (exact folded match first, then the first prefix rule)."""
    key = header_key(header)
    if not key:
        return None
    for name, exact, _ in HEADER_RULES:
        if key in exact:
            return name
    for name, _, prefixes in HEADER_RULES:
        if any(key.startswith(prefix) for prefix in prefixes):
            return name
    return None


@dataclass(slots=True)
class SheetRow:
    """One offer row: its line number, mapped values (``{field: text}``) and unmapped cells."""

    line: int
    values: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)
    #: every filled cell under its header as written (what a declared format's paths name)
    cells: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Sheet:
    """The result of :func:`read_spreadsheet`."""

    rows: list[SheetRow]
    problems: list[FeedProblem]
    columns: dict[str, str]  # header as written → field ("" when kept in extra)
    kind: str  # "csv", "xlsx" or "unknown"
    delimiter: str | None = None
    encoding: str | None = None
    repairs: dict[str, int] = field(default_factory=dict)


def cell_text(value: object) -> str | None:
    """A cell as the partner typed it: dates as ISO strings, ``46000.0`` as ``46000``; empty → ``None``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_value(value)


def _find_header(rows: list[tuple[int, list[str | None]]]) -> tuple[int, list[str | None]] | None:
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapped = [field_for_header(c) for c in cells if c]
        if "title" in mapped and len(mapped) >= _MIN_MAPPED:
            return index, cells
    return None


def rows_to_offers(rows: list[tuple[int, list[str | None]]], repairs: dict[str, int], *,
                   numeric_cells: bool = False) -> tuple[list[SheetRow], list[FeedProblem], dict[str, str]]:
    """Map table rows (``(line, cells)``) to offers: find the header row, then read each row under it.

    ``numeric_cells``: the cells come from a workbook, where a postal code typed as a number lost its leading
    zero (``1000`` for ``01000``): it is restored. In a CSV, ``4610`` may as well be a typo for ``46100``:
    it is passed on as written.
    """
    problems: list[FeedProblem] = []
    header = _find_header(rows)
    if header is None:
        seen = next((cells for _, cells in rows if any(cells)), [])
        found = ", ".join(repr(c) for c in seen if c)[:300] or "aucune"
        return [], [FeedProblem(DROP_NOT_A_FEED, "aucune ligne d'en-tête avec une colonne d'intitulé "
                                                 f"(Intitulé, Titre, Poste…) ; première ligne : {found}")], {}
    header_index, header_cells = header
    fields: list[str | None] = []
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for cell in header_cells:
        name = field_for_header(cell) if cell else None
        if name in taken:
            name = None  # a second column for the same field goes to extra under its header
        if name:
            taken.add(name)
        fields.append(name)
        if cell:
            columns[cell] = name or ""
    offers: list[SheetRow] = []
    for line, cells in rows[header_index + 1 :]:
        filled = [c for c in cells if c]
        if not filled:
            continue
        overflow = [c for c in cells[len(fields):] if c]
        if overflow:
            problems.append(FeedProblem(DROP_INVALID_ROW, f"ligne {line} : {len(fields) + len(overflow)} cellules "
                                        f"remplies pour {len(fields)} colonnes (séparateur dans un texte ?)", line))
            continue
        values: dict[str, str] = {}
        extra: dict[str, str] = {}
        named: dict[str, str] = {}
        for index, value in enumerate(cells):
            if not value:
                continue
            named.setdefault(header_cells[index] or f"colonne {index + 1}", value)
            name = fields[index] if index < len(fields) else None
            if name:
                values[name] = value
            else:
                extra[header_cells[index] or f"colonne {index + 1}"] = value
        if "title" not in values:
            problems.append(FeedProblem(DROP_MISSING_TITLE, f"ligne {line} : intitulé manquant", line,
                                        ref=values.get("source_id")))
            continue
        postal = values.get("postal_code")
        if numeric_cells and postal and postal.isdigit() and len(postal) == 4:
            # A spreadsheet stored "01000" as the number 1000: the leading zero is restored.
            values["postal_code"] = "0" + postal
            repairs["postal_code_leading_zero"] = repairs.get("postal_code_leading_zero", 0) + 1
        offers.append(SheetRow(line, values, extra, named))
    return offers, problems, columns


# -- CSV ------------------------------------------------------------------------------------------------------

_DELIMITERS = (";", ",", "\t", "|")


def sniff_delimiter(text: str) -> str:
    """The separator that splits the first non-empty line into the most columns (``;`` wins ties)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: len(next(csv.reader([first], delimiter=d), [])) for d in _DELIMITERS}
    return max(_DELIMITERS, key=lambda d: (counts[d], -_DELIMITERS.index(d)))


def read_csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str | None]] | FeedProblem]:
    """``(line, cells)`` for each record (line where it starts), or a problem for a record csv rejects."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield FeedProblem(DROP_INVALID_ROW, f"ligne {line} : illisible ({exc})", line)
            line = reader.line_num + 1
            continue
        yield line, [clean_value(c) for c in record]
        line = reader.line_num + 1


# -- XLSX -----------------------------------------------------------------------------------------------------


def read_xlsx_sheets(body: bytes) -> Iterator[tuple[str, list[tuple[int, list[str | None]]]]]:
    """Each worksheet's name and rows (``(row number, cells)``)."""
    import openpyxl  # imported here: CSV-only crawls do not pay for it

    workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = []
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                rows.append((number, [cell_text(v) for v in values]))
            yield sheet.title, rows
    finally:
        workbook.close()


def _zip_kind(body: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
                return "ods"
            return "xlsx" if "xl/workbook.xml" in names else "zip"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "badzip"


# -- Entry point ----------------------------------------------------------------------------------------------


def read_spreadsheet(body: bytes, *, http_charset: str | None = None) -> Sheet:
    """Read a CSV or XLSX body into offer rows and problems; never raises."""
    if not body.strip():
        return Sheet([], [FeedProblem(DROP_EMPTY_RESPONSE, "fichier vide")], {}, "unknown")
    if body.startswith(b"\xd0\xcf\x11\xe0"):
        return Sheet([], [FeedProblem(DROP_UNSUPPORTED_FORMAT, "classeur Excel 97-2003 (.xls) : l'enregistrer "
                                      "au format .xlsx ou .csv")], {}, "xls")
    if body.startswith(b"PK\x03\x04"):
        return _read_workbook(body)
    if looks_like_html(body):
        return Sheet([], [FeedProblem(DROP_NOT_A_FEED, "une page HTML, pas un tableau")], {}, "unknown")
    decoded = decode_feed(body, http_charset)
    repairs = dict(decoded.repairs)
    text = remove_control_characters(decoded.text, repairs)
    delimiter = sniff_delimiter(text)
    rows: list[tuple[int, list[str | None]]] = []
    problems: list[FeedProblem] = []
    for entry in read_csv_rows(text, delimiter):
        if isinstance(entry, FeedProblem):
            problems.append(entry)
        else:
            rows.append(entry)
    offers, mapping_problems, columns = rows_to_offers(rows, repairs)
    return Sheet(offers, problems + mapping_problems, columns, "csv", delimiter, decoded.encoding, repairs)


def _read_workbook(body: bytes) -> Sheet:
    kind = _zip_kind(body)
    if kind == "ods":
        return Sheet([], [FeedProblem(DROP_UNSUPPORTED_FORMAT, "classeur OpenDocument (.ods) : l'enregistrer au "
                                      "format .xlsx ou .csv")], {}, "ods")
    if kind != "xlsx":
        return Sheet([], [FeedProblem(DROP_INVALID_SPREADSHEET, "archive zip qui n'est pas un classeur .xlsx "
                                      "(fichier abîmé ou tronqué ?)")], {}, "xlsx")
    repairs: dict[str, int] = {}
    first_problem: list[FeedProblem] = []
    try:
        for name, rows in read_xlsx_sheets(body):
            offers, problems, columns = rows_to_offers(rows, repairs, numeric_cells=True)
            if columns:
                return Sheet(offers, problems, columns, "xlsx", repairs=repairs)
            if not first_problem:
                first_problem = [FeedProblem(p.reason, f"feuille « {name} » : {p.detail}", p.line) for p in problems]
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged workbook
        return Sheet([], [FeedProblem(DROP_INVALID_SPREADSHEET, f"classeur illisible : {type(exc).__name__}: "
                                      f"{exc}"[:300])], {}, "xlsx")
    return Sheet([], first_problem or [FeedProblem(DROP_NOT_A_FEED, "classeur sans feuille")], {}, "xlsx")


def derived_id(values: dict[str, str]) -> str:
    """A stable id for a row without reference: a hash of its folded title, employer, place and contract."""
    parts = [header_key(values.get(name)) for name in ("title", "employer", "city", "postal_code", "contract")]
    return "sheet-" + hashlib.sha1("|".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def row_link(values: dict[str, str]) -> tuple[str | None, str | None]:
    """``(url, contact)`` from the link and contact cells: a web address is the offer's link, anything else
    (an e-mail, a telephone number, a name) is the contact."""
    url = contact = None
    for name in ("link", "contact"):
        value = values.get(name)
        if not value:
            continue
        if _URL.match(value) and url is None:
            url = value if value.lower().startswith("http") else "https://" + value
        else:
            contact = value if contact is None else f"{contact} ; {value}"
    return url, contact
