"""Reading spreadsheets people fill in by hand (CSV or XLSX), shared by every tolerant import.

- CSV with ``,`` ``;`` or tab separators (chosen on the first lines, or Excel's ``sep=`` line), UTF-8 with or
  without BOM, UTF-16 with BOM (Excel's "Unicode text"), else Windows-1252; XLSX through openpyxl (every
  sheet is returned, the caller picks the one with known headers). ``.xls`` and ``.ods`` are refused with a
  French message saying how to save the file.
- Line numbers are the ones a spreadsheet shows: the first row of the file is line 1.
- ``cell_text``, ``header_key`` and ``parse_french_date`` turn cells into comparable text and dates.

Used by the job-fair prospects import (``services.candidate_import``, which reads rows as a stream
with cell limits, on these same helpers) and the local directory import
(``services.directory``).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from matching.text import fold
from services.errors import ServiceError

Rows = list[tuple[int, list[Any]]]

_FRENCH_MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
_NOW_WORDS = {"immediate", "immediatement", "de suite", "tout de suite", "des maintenant", "maintenant", "asap"}

class ImportFileError(ServiceError, ValueError):
    """The file cannot be read at all (missing, empty, not a spreadsheet); the message is French, one line."""



def header_key(text: object) -> str:
    """A header in comparable form: folded, punctuation as spaces (``Conjoint(e)`` → ``conjoint e``)."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())




def decode_bytes(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def looks_binary(text: str) -> bool:
    sample = text[:4000]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\r\n\t") or ch == "\ufffd")
    return "\x00" in sample or bad / len(sample) > 0.05


def pick_delimiter(text: str) -> str:
    """The separator giving the most columns on the first non-empty lines (ties: ``;`` then tab then ``,``)."""
    lines = [line for line in text.splitlines() if line.strip()][:5]
    best, best_score = ";", -1
    for delimiter in (";", "\t", ","):
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        score = max(counts) if counts else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(data: bytes) -> tuple[list[tuple[int, list[Any]]], str, str]:
    text, encoding = decode_bytes(data)
    if looks_binary(text):
        raise ImportFileError("ce fichier n'est pas un tableur lisible (CSV ou XLSX attendu)")
    # Excel's "sep=;" first line names the separator and is not shown as a row
    hint = re.match(r"\s*sep=(.)\s*?\r?\n", text)
    if hint:
        text = text[hint.end():]
    delimiter = hint[1] if hint else pick_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [(number, row) for number, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise ImportFileError(f"CSV illisible : {exc}") from exc
    return rows, encoding, delimiter


def open_workbook(path: Path) -> Any:
    """An XLSX workbook in openpyxl's read-only (streaming) mode; ``ImportFileError`` for ``.ods`` or a broken file.

    The caller closes it (``workbook.close()``)."""
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
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"classeur XLSX illisible : {path.name}") from exc


def _xlsx_sheets(path: Path) -> list[list[tuple[int, list[Any]]]]:
    workbook = open_workbook(path)
    sheets = []
    try:
        for sheet in workbook.worksheets:
            rows = []
            for row in sheet.iter_rows():
                cells = [cell.value for cell in row]
                number = next((c.row for c in row if getattr(c, "row", None)), None)
                if number is None:
                    number = (rows[-1][0] + 1) if rows else 1
                rows.append((number, cells))
            sheets.append(rows)
    finally:
        workbook.close()
    return sheets


#: bytes that make a file "empty" when it holds nothing else (spaces, line ends, NULs, byte-order marks)
_BLANK = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"


def file_kind(file: Path) -> str:
    """``"xlsx"`` or ``"csv"`` for a spreadsheet file, read by blocks (a file of any size is never held whole).

    Raises ``ImportFileError`` (one French line) for a missing, unreadable or empty file, or an old ``.xls``.
    """
    if not file.exists():
        raise ImportFileError(f"fichier introuvable : {file}")
    if file.is_dir():
        raise ImportFileError(f"{file} est un dossier, pas un fichier")
    try:
        with file.open("rb") as handle:
            head = handle.read(8)
            block = head
            while block and not block.strip(_BLANK):
                block = handle.read(1 << 16)
    except OSError as exc:
        raise ImportFileError(f"fichier illisible : {file} ({exc.strerror})") from exc
    if not block.strip(_BLANK):
        raise ImportFileError(f"fichier vide : {file}")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            f"ancien format Excel (.xls) non pris en charge : enregistrez {file.name} en .xlsx ou en CSV"
        )
    return "csv"


def read_sheets(file: Path) -> tuple[list[Rows], str | None, str | None]:
    """The sheets of a CSV or XLSX file as numbered rows, with the CSV encoding and separator.

    Raises ``ImportFileError`` (one French line) when the file cannot be read at all.
    """
    encoding = delimiter = None
    if file_kind(file) == "xlsx":
        sheets = _xlsx_sheets(file)
    else:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise ImportFileError(f"fichier illisible : {file} ({exc.strerror})") from exc
        rows, encoding, delimiter = _csv_rows(data)
        sheets = [rows]
    return sheets, encoding, delimiter


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing ``.0``, dates as ISO, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).replace("\xa0", " ").split())


def parse_french_date(text: str, today: date | None = None) -> date | None:
    """``15/03/2025``, ``15-03-25``, ``2025-03-15``, ``15 mars 2025``, ``mars 2025``, ``immédiate`` → a date."""
    key = header_key(text)
    if not key:
        return None
    if key in _NOW_WORDS or key.startswith("immediat"):
        return today or datetime.now(UTC).date()
    iso = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
    if iso:
        return date(int(iso[1]), int(iso[2]), int(iso[3]))
    numeric = re.fullmatch(r"\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\s*", text)
    if numeric:
        year = int(numeric[3])
        year += 2000 if year < 100 else 0
        return date(year, int(numeric[2]), int(numeric[1]))
    words = key.split()
    month = next((_FRENCH_MONTHS[w] for w in words if w in _FRENCH_MONTHS), None)
    year_words = [int(w) for w in words if re.fullmatch(r"\d{4}", w)]
    if month and year_words:
        days = [int(w) for w in words if re.fullmatch(r"\d{1,2}", w)] or [1]
        if words and words[0] in {"1er", "1ere"}:
            days = [1]
        return date(year_words[0], month, days[0])
    raise ValueError(text)


