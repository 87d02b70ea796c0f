"""Memory of a whole prospect import (issue 18 item 3): a spreadsheet of distinct people into SQLite.

For each format (XLSX, CSV) and size, two child processes (so that each peak is its own):
- ``read``: the file read alone (``read_table`` and every row) — the baseline of the same run;
- ``import``: the whole import (check, dedup, save, sources, households, audit) into a fresh SQLite file.
Each reports the peak RSS (``ru_maxrss``) and the tracemalloc peak (Python allocations made after a one-row
warm-up import has loaded the gazetteer and the ROME classifier), and the rows per second.

``python -m bench import_memory`` (100,000 rows; ``--quick``: 2,000) or
``python -m bench.import_memory ROWS [csv|xlsx]``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import Workbook

HEADERS = ["Nom", "Prénom", "Courriel", "Téléphone", "Métier recherché", "Commune actuelle", "Consentement contact"]
JOBS = ["Infirmière", "Aide-soignant", "Menuisier", "Comptable", "Boulanger", "Électricien", "Cuisinier", "Maçon"]
PLACES = ["Toulouse", "Bordeaux", "Cahors", "Figeac", "Montauban", "Rodez"]


def person(i: int) -> list[str]:
    """Row ``i``: a distinct person (own name, e-mail and phone)."""
    return [f"Durand{i}", f"Camille{i % 97}", f"p{i}@exemple.fr", f"06 {i // 1000000 % 100:02d} {i // 10000 % 100:02d} "
            f"{i // 100 % 100:02d} {i % 100:02d}", JOBS[i % len(JOBS)], PLACES[i % len(PLACES)], "oui"]


def write_file(path: Path, rows: int) -> Path:
    if path.suffix == ".xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(HEADERS)
        for i in range(rows):
            sheet.append(person(i))
        workbook.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(HEADERS)
            for i in range(rows):
                writer.writerow(person(i))
    return path


CHILD = r"""
import json, resource, sys, time, tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from services.candidate_import import import_candidates, read_table
from store.db import open_database

mode, path, folder = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
db = open_database(f"sqlite:///{folder / (mode + path.suffix + '.sqlite3')}")
warm = folder / "warm.csv"
warm.write_text("Nom;Prénom;Courriel;Commune actuelle;Métier recherché;Consentement contact\n"
                "Chauffe;Anne;warm@exemple.fr;Cahors;Infirmière;oui\n", encoding="utf-8")
import_candidates(db, warm, event="Chauffe", now=datetime(2025, 3, 1, tzinfo=UTC))
tracemalloc.start()
start = time.perf_counter()
if mode == "read":
    rows = sum(1 for _ in read_table(path).rows)
    counts = {"rows": rows}
else:
    report = import_candidates(db, path, event="Grand salon", now=datetime(2025, 3, 20, tzinfo=UTC))
    counts = {"rows": report.imported + report.updated + report.unchanged + len(report.rejected),
              "imported": report.imported, "rejected": len(report.rejected), "warnings": len(report.warnings)}
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({**counts, "seconds": round(seconds, 1), "rows_per_s": round(counts["rows"] / seconds, 1),
                  "tracemalloc_peak_mib": round(peak / 2**20, 1),
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def measure(mode: str, path: Path, folder: Path) -> dict[str, object]:
    """One child process: ``read`` (the baseline) or ``import`` of ``path``."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), str(folder)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False, rows: int | None = None, formats: tuple[str, ...] = ("xlsx", "csv")) -> dict[str, object]:
    rows = rows or (2000 if quick else 100_000)
    figures: dict[str, object] = {"rows": rows}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind in formats:
            path = write_file(folder / f"salon.{kind}", rows)
            figures[kind] = {"file_mib": round(path.stat().st_size / 2**20, 1),
                             "read_baseline": measure("read", path, folder),
                             "import": measure("import", path, folder)}
    return figures


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    kinds = tuple(sys.argv[2:]) or ("xlsx", "csv")
    print(json.dumps(run(rows=count, formats=kinds), indent=2))
