"""Rebuild the compact welcome reference files (schools, stations, hospitals) from the original open data.

Run once when the sources change: ``python matching/data/build_welcome_data.py DIR`` where ``DIR`` holds
``schools_occitanie.csv``, ``stations.csv`` and ``hospitals.csv`` as described in ``SOURCES.md``. Writes
``schools.csv.gz``, ``stations.csv.gz`` and ``hospitals.csv.gz`` next to this script (only the columns and
rows the settling summary uses). Not imported by the package (``matching/`` itself does no I/O at import).
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

HERE = Path(__file__).parent
SCHOOL_TYPES = {"Ecole": "ecole", "Collège": "college", "Lycée": "lycee"}
# General care only: psychiatric day units, rehabilitation (SSR) and long-stay sites are left out.
HOSPITAL_TYPES = {
    "Centre Hospitalier (C.H.)",
    "Centre Hospitalier Régional (C.H.R.)",
    "Centre hospitalier, ex Hôpital local",
    "Etablissement de Soins Pluridisciplinaire",
    "Etablissement de Soins Chirurgicaux",
    "Etablissement de Soins Médicaux",
    "Centre de Lutte Contre Cancer",
}


def _write(name: str, header: list[str], rows: list[list[str]]) -> None:
    with gzip.open(HERE / name, "wt", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    print(f"{name}: {len(rows)} rows")


def _levels(row: dict[str, str], kind: str) -> str:
    if kind == "ecole":
        levels = [name for flag, name in (("Ecole_maternelle", "maternelle"), ("Ecole_elementaire", "elementaire"))
                  if row[flag] == "1"]
        return "|".join(levels or ["elementaire"])
    return kind


def schools(source: Path) -> None:
    rows = []
    with source.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            kind = SCHOOL_TYPES.get(row["Type_etablissement"])
            if not kind or not row["latitude"] or not row["Code_commune"]:
                continue
            public = {"Public": "1", "Privé": "0"}.get(row["Statut_public_prive"], "")
            rows.append([
                row["Identifiant_de_l_etablissement"], row["Nom_etablissement"].strip(), kind, public,
                _levels(row, kind), row["Code_commune"], f"{float(row['latitude']):.5f}",
                f"{float(row['longitude']):.5f}", row["Restauration"],
            ])
    _write("schools.csv.gz", ["uai", "name", "type", "public", "levels", "insee", "lat", "lon", "canteen"], rows)


def stations(source: Path) -> None:
    rows = []
    with source.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            position = row["Position géographique"].split(",")
            if len(position) != 2:
                continue
            # "A;B" for stations counted twice: the best class is the one a traveller sees
            drg = min(part.strip() for part in row["Segment(s) DRG"].split(";") if part.strip())
            lat, lon = (float(part) for part in position)
            rows.append([row["Nom"].strip(), drg, row["Code commune"], f"{lat:.5f}", f"{lon:.5f}"])
    _write("stations.csv.gz", ["name", "class", "insee", "lat", "lon"], rows)


def hospitals(source: Path) -> None:
    rows = []
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["facility_type"] not in HOSPITAL_TYPES or not row["lat"]:
                continue
            name = " ".join((row["site_name"] or row["hospital_name"]).split())
            rows.append([
                row["id"], name, row["facility_type"], row["public_private"], row["postcode"], row["city"],
                f"{float(row['lat']):.5f}", f"{float(row['lon']):.5f}",
            ])
    _write("hospitals.csv.gz", ["finess", "name", "type", "status", "postcode", "city", "lat", "lon"], rows)


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    schools(folder / "schools_occitanie.csv")
    stations(folder / "stations.csv")
    hospitals(folder / "hospitals.csv")
