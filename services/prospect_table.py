"""Reading a job-fair spreadsheet (CSV or XLSX) as a stream of numbered rows (``read_table``).

- CSV with ``,`` ``;`` or tab separators (chosen on the header line), UTF-8 with or without BOM, UTF-16 with
  BOM (Excel's "Unicode text"), else Windows-1252; XLSX through openpyxl (first sheet with known headers).
- The header row is the first row with at least two known headers (title rows above it are skipped). Line
  numbers are the ones a spreadsheet shows: the first row of the file is line 1.
- Headers are matched by name (``services.prospect_fields.field_for_header``); ``columns`` maps other headers
  (``{"Portable": "phone"}``).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.prospect_fields import field_for_header, is_forbidden_header
from services.spreadsheet import (
    ImportFileError,
    file_kind,
    looks_binary,
    open_workbook,
    pick_delimiter,
)

#: a cell longer than this is cut to it, with a warning on its row (a spreadsheet cell holds at most 32,767)
MAX_CELL_CHARS = 10_000
#: what the csv module may read in one cell before we cut it (its default, 128 KiB, raised an error)
CSV_FIELD_LIMIT = 2**31 - 1
#: the header row is looked for in the first rows of each sheet
HEADER_SCAN = 20


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



#: how much of a CSV file is read at once while its encoding is checked
_BLOCK = 1 << 16


def _csv_encoding(file: Path) -> str:
    """``decode_bytes``' choice, made block by block: UTF-16 or UTF-8 by their byte-order mark, UTF-8 when the
    whole file decodes as UTF-8, else Windows-1252."""
    with file.open("rb") as handle:
        block = handle.read(4)
        if block.startswith(codecs.BOM_UTF16_LE) or block.startswith(codecs.BOM_UTF16_BE):
            return "utf-16"
        if block.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while block:
                decoder.decode(block)
                block = handle.read(_BLOCK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _head_lines(handle: Any) -> list[str]:
    """The first lines of a text file: at least 4,000 characters and 6 non-empty lines (or the whole file),
    enough to tell a binary file and to pick the separator exactly as on the whole text."""
    lines: list[str] = []
    size = filled = 0
    while size < 4000 or filled < 6:
        line = handle.readline()
        if not line:
            break
        lines.append(line)
        size += len(line)
        filled += bool(line.strip())
    return lines


def _csv_rows(file: Path) -> tuple[Iterator[tuple[int, list[Any]]], str, str]:
    """The rows of a CSV file as a stream (the file is never held whole), its encoding and separator."""
    encoding = _csv_encoding(file)
    errors = "replace" if encoding in ("utf-8-sig", "cp1252") else "strict"
    handle = file.open(encoding=encoding, errors=errors, newline="")
    try:
        head = "".join(_head_lines(handle))
        if looks_binary(head):
            raise ImportFileError("ce fichier n'est pas un tableur lisible (CSV ou XLSX attendu)")
    except (UnicodeDecodeError, ImportFileError):
        handle.close()
        raise
    # Excel's "sep=;" first line names the separator and is not shown as a row
    hint = re.match(r"\s*sep=(.)\s*?\r?\n", head)
    if hint:
        head = head[hint.end():]
    # No limit on a cell's size while reading (the csv module stops at 128 KiB by default): long cells are
    # cut to MAX_CELL_CHARS afterwards, with a warning on their row.
    csv.field_size_limit(CSV_FIELD_LIMIT)
    delimiter = hint[1] if hint else pick_delimiter(head)
    reader = csv.reader(itertools.chain(io.StringIO(head, newline=""), handle), delimiter=delimiter)
    return _numbered_csv(reader, handle), encoding, delimiter


def _numbered_csv(reader: Any, handle: Any) -> Iterator[tuple[int, list[Any]]]:
    """The reader's rows numbered from 1; the file is closed when the stream ends."""
    try:
        yield from enumerate(reader, start=1)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ImportFileError(f"CSV illisible vers la ligne {reader.line_num} : {exc}") from exc
    finally:
        handle.close()


def _xlsx_sheets(path: Path) -> Iterator[Iterator[tuple[int, list[Any]]]]:
    """The sheets of a workbook, each as a stream of numbered rows (openpyxl's read-only mode: a sheet of
    100,000 rows is never held in memory). The workbook is closed when the stream ends."""
    workbook = open_workbook(path)
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
    encoding = delimiter = None
    if file_kind(file) == "xlsx":
        sheets = _xlsx_sheets(file)  # openpyxl reads the file itself, in streaming mode
    else:
        try:
            rows, encoding, delimiter = _csv_rows(file)
        except OSError as exc:
            raise ImportFileError(f"fichier illisible : {file} ({exc.strerror})") from exc
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

