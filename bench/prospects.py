"""Prospect import, re-import, purge and erasure on a synthetic job-fair file (SQLite in a temporary directory).

Figures: rows per second of a first import and of a re-import of the same file (which must create nothing),
the time of the first row (gazetteer and ROME classifier loading included), a dry-run purge, and one erasure
(which scans every text column of the prospect tables). ``quick`` uses 60 rows, the full run 3,000.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from services.candidate_import import import_candidates
from store.db import open_database
from store.privacy import erase_person, purge

FIRST = ["Sophie", "Julien", "Élodie", "Karim", "Inès", "Lucas", "Hélène", "Rémi", "Anaïs", "Paul", "Léa", "Marc"]
LAST = ["Martin", "Dubois", "Bernard", "Faure", "Roux", "Garcia", "Moreau", "Leroy", "Girard", "Nguyen", "Blanc"]
JOBS = ["Infirmière", "Aide-soignant", "Menuisier", "Médecin généraliste", "Comptable", "Boulanger",
        "Électricien", "Développeur web", "Sage-femme", "Kinésithérapeute", "Cuisinier", "Maçon"]
PLACES = ["Toulouse", "Bordeaux", "Cahors", "Figeac", "Montauban", "Brive-la-Gaillarde", "Lyon", "Paris", "Rodez"]
HEADERS = ["Nom", "Prénom", "Courriel", "Téléphone", "Métier recherché", "Commune actuelle", "Rayon de mobilité (km)",
           "Contrat souhaité", "Conjoint", "Consentement contact", "Consentement partage employeurs"]


def write_fair(path: Path, rows: int, seed: int = 7) -> Path:
    """A ``;``-separated UTF-8-BOM file of ``rows`` prospects; 5 % without consent, every 10th with a partner."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            phone = f"06 {i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d} {rng.randrange(100):02d}"
            partner = f"p{i - 1}@exemple.fr" if i % 10 == 1 else ""
            writer.writerow([last, first, f"p{i}@exemple.fr", phone, rng.choice(JOBS), rng.choice(PLACES),
                             rng.choice(["20", "50 km", "100"]), rng.choice(["CDI", "CDD ou CDI", "Intérim"]),
                             partner, "non" if i % 20 == 0 else "oui", rng.choice(["oui", "non"])])
    return path


def run(quick: bool = False) -> dict[str, object]:
    rows = 60 if quick else 3000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fair = write_fair(folder / "salon.csv", rows)
        one = write_fair(folder / "one.csv", 1, seed=8)
        db = open_database(f"sqlite:///{folder / 'bench.sqlite3'}")
        start = time.perf_counter()
        import_candidates(db, one, event="Chauffe", now=datetime(2025, 3, 20, tzinfo=UTC))
        warm_s = time.perf_counter() - start
        start = time.perf_counter()
        first = import_candidates(db, fair, event="Salon", event_date=date(2025, 3, 20))
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        second = import_candidates(db, fair, event="Salon", event_date=date(2025, 3, 20))
        second_s = time.perf_counter() - start
        with db.session() as session:
            start = time.perf_counter()
            report = purge(session, now=datetime(2027, 3, 21, tzinfo=UTC))
            purge_s = time.perf_counter() - start
            start = time.perf_counter()
            erase_person(session, "p5@exemple.fr")
            erase_s = time.perf_counter() - start
        db.engine.dispose()
    return {
        "rows": rows,
        "first_row_with_model_loading_s": round(warm_s, 3),
        "import_rows_per_s": round(rows / first_s, 1),
        "reimport_rows_per_s": round(rows / second_s, 1),
        "imported": first.imported,
        "rejected": len(first.rejected),
        "households": first.households,
        "reimport_created": second.imported,
        "purge_dry_run_s": round(purge_s, 3),
        "purge_due": len(report.due),
        "erase_one_person_s": round(erase_s, 3),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
