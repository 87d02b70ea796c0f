"""Build the real-offer evaluation set ``tests/data/real_offers/offers.jsonl`` from public snapshots.

The offers are France Travail job offers (API "Offres d'emploi v2" answers) that four public projects saved in
their Git history. None of them carries a licence, so the offers are **not committed**: this script rebuilds
the file from local snapshots of the repositories (``SOURCES``), checks each source blob against
the checksum recorded below, and writes one JSON line per distinct offer. Every evaluation that needs the file
skips with a message when it is absent. See ``tests/data/real_offers/README.md``.

Rebuild::

    PYTHONPATH=. python -m bench.real_offers --mirror /work/.mirror

``--mirror`` is a folder holding bare Git copies of the repositories as ``owner+name/repo`` (what the session
tool ``fetch`` produces); ``--chuck`` / ``--turbomils`` may point elsewhere for those two.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from services.real_offers import MISSING, OUT_FILE, load_offers, split_of

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "matching" / "data"

# (repository, path at the time, Git blob id, kind). The blob id is the SHA-1 of the content: a changed source
# cannot pass for the recorded one.
SOURCES: list[tuple[str, str, str, str]] = [
    ("chuck-gcc/FranceTravailDb", "data/74/2025-08-05/…-0", "f50671f41eed964c82923f93f32c91b2b33cfec4", "json"),
    ("chuck-gcc/FranceTravailDb", "data/74/2025-08-05/…-1", "4c3533a70bf89e9c889e316674f0320efa0215a6", "json"),
    ("chuck-gcc/FranceTravailDb", "data/74/2025-08-06/…-0", "cb37491db0a364a04088c77f7b22f576b0007b7a", "json"),
    ("chuck-gcc/FranceTravailDb", "data/74/2025-08-06/…-1", "edd9d031e5ac8fc418ddff176bc6cf6ef6083c77", "json"),
    ("chuck-gcc/FranceTravailDb", "data/74/2025-08-06/…-2", "dc749a11acd322aaf2ed6151bb415ce7f314c5ce", "json"),
    ("chuck-gcc/FranceTravailDb", "data/74/2025-08-06/…-3", "5e0bb0eb03ed5ad671a24e774fb756935396d594", "json"),
    ("chuck-gcc/FranceTravailDb", "data/74/2025-08-06/…-4", "d22d9f413528080d4cfb672fcb95953b2ffd108e", "json"),
    ("chuck-gcc/FranceTravailDb", "db/annonces.db", "0ec01eb11672a75f31549e512848ca980638299a", "sqlite_offers"),
    ("chuck-gcc/FranceTravailDb", "db/s.db", "d0e2c9ac028e5e9f8f73aff96a9e6ece8dcd8604", "sqlite_offers"),
    (
        "TurboMils/francetravail-data-pipeline",
        "data/data.db",
        "1d04bf0894fc8e9c3955f0ae41d7c4987b719280",
        "sqlite_offres",
    ),
    (
        "sarahlakh/Syst-me-d-int-gration-de-donn-es-pour-l-optimisation-de-la-recherche-d-emploi",
        "francetravail.json",
        "3398665e80cb47a8620a4561280fc7756e1bb9ce",
        "json",
    ),
    (
        "anp67x/France-Travail-API-project",
        "offres_data_final.csv",
        "4cb07eb701ea75ffd4ba5af52c7f5256775c7904",
        "csv_flat",
    ),
    (
        "anp67x/France-Travail-API-project",
        "offres_data_with_salary.csv",
        "7b5fae568f72c5e3c7b5b802a75e956441dfdd14",
        "csv_flat",
    ),
]
# Where each repository's Git directory is found under --mirror (``owner+name/repo``, as ``fetch`` makes it).
REPOS: list[str] = list(dict.fromkeys(repo for repo, _, _, _ in SOURCES))


def git_blob(git_dir: Path, blob: str) -> bytes:
    """The content of one blob of a bare Git directory, checked against its id."""
    data = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "blob", blob], check=True, capture_output=True
    ).stdout
    header = f"blob {len(data)}\0".encode()
    if hashlib.sha1(header + data, usedforsecurity=False).hexdigest() != blob:
        raise SystemExit(f"checksum mismatch for blob {blob} in {git_dir}")
    return data


def _parents() -> dict[str, str]:
    """ROME 4.0 job-sheet code → its 532-level parent code (offers carry either)."""
    with (DATA_DIR / "rome_fiches_v4.csv").open(encoding="utf-8", newline="") as handle:
        return {row["fiche_code"]: row["code"] for row in csv.DictReader(handle)}


def _flat_offers(data: bytes) -> Iterator[dict]:
    """Offers exported as a flat CSV (one column per API field, ``anp67x``): back to the API's shape."""
    for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
        insee = (row.get("commune") or "").removesuffix(".0")
        yield {
            "id": row["id"],
            "intitule": row["intitule"],
            "description": row["description"],
            "dateCreation": row.get("date_creation"),
            "dateActualisation": row.get("date_actualisation"),
            "romeCode": row["rome_code"],
            "romeLibelle": row.get("rome_libelle"),
            "appellationlibelle": row.get("appellation_libelle"),
            "lieuTravail": {
                "libelle": row.get("lieu_libelle"),
                "commune": insee.zfill(5) if insee.isdigit() else insee or None,
                "codePostal": (row.get("code_postal") or "").removesuffix(".0") or None,
                "latitude": float(row["latitude"]) if row.get("latitude") else None,
                "longitude": float(row["longitude"]) if row.get("longitude") else None,
            },
            "entreprise": {"nom": row.get("nom_entreprise") or None},
            "typeContrat": row.get("type_contrat"),
        }


def _api_offers(kind: str, data: bytes) -> Iterator[dict]:
    if kind == "json":
        yield from json.loads(data.decode("utf-8")).get("resultats", [])
        return
    if kind == "csv_flat":
        yield from _flat_offers(data)
        return
    with tempfile.NamedTemporaryFile(suffix=".db") as tmp:
        tmp.write(data)
        tmp.flush()
        con = sqlite3.connect(tmp.name)
        try:
            if kind == "sqlite_offers":
                for (blob,) in con.execute("select offer from offers"):
                    yield json.loads(blob)
            else:
                con.row_factory = sqlite3.Row
                for row in con.execute("select * from offres"):
                    yield {
                        "id": row["id"],
                        "intitule": row["intitule"],
                        "description": row["description"],
                        "dateCreation": row["date_creation"],
                        "romeCode": row["rome_code"],
                        "romeLibelle": row["rome_libelle"],
                        "lieuTravail": {"libelle": row["lieu_travail"]},
                        "typeContrat": row["type_contrat"],
                    }
        finally:
            con.close()


def record(offer: dict, source: str, parents: dict[str, str]) -> dict | None:
    """One offer reduced to what the evaluations use; None when it has no usable ROME code or title."""
    code = (offer.get("romeCode") or "").strip().upper()
    parent = parents.get(code)
    title = (offer.get("intitule") or "").strip()
    if not parent or not title:
        return None
    place = offer.get("lieuTravail") or {}
    company = offer.get("entreprise") or {}
    return {
        "id": str(offer["id"]),
        "source": source,
        "title": title,
        "description": offer.get("description") or "",
        "rome_code": parent,
        "rome_fiche": code,
        "appellation": offer.get("appellationlibelle"),
        "company": company.get("nom"),
        "place": place.get("libelle"),
        "insee": place.get("commune"),
        "postal_code": place.get("codePostal"),
        "lat": place.get("latitude"),
        "lon": place.get("longitude"),
        "created": offer.get("dateCreation"),
        "updated": offer.get("dateActualisation"),
        "contract": offer.get("typeContrat"),
        "driving_licence": [p.get("libelle") for p in offer.get("permis") or [] if isinstance(p, dict)],
        "skills": [c.get("libelle") for c in offer.get("competences") or [] if isinstance(c, dict)],
        "naf": offer.get("codeNAF"),
    }


def build(git_dirs: dict[str, Path]) -> list[dict]:
    parents = _parents()
    seen: dict[str, dict] = {}
    for repo, path, blob, kind in SOURCES:
        for offer in _api_offers(kind, git_blob(git_dirs[repo], blob)):
            item = record(offer, f"{repo}:{path}", parents)
            if item and item["id"] not in seen:
                seen[item["id"]] = item
    return sorted(seen.values(), key=lambda r: r["id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, help="folder with owner+name/repo bare Git copies")
    parser.add_argument("--chuck", type=Path, help="Git directory of chuck-gcc/FranceTravailDb")
    parser.add_argument("--turbomils", type=Path, help="Git directory of TurboMils/francetravail-data-pipeline")
    parser.add_argument("--output", type=Path, default=OUT_FILE)
    args = parser.parse_args(argv)
    explicit = {"chuck-gcc/FranceTravailDb": args.chuck, "TurboMils/francetravail-data-pipeline": args.turbomils}
    git_dirs: dict[str, Path] = {}
    for repo in REPOS:
        path = explicit.get(repo) or (args.mirror / repo.replace("/", "+") / "repo" if args.mirror else None)
        if path is None or not path.is_dir():
            print(f"copie Git introuvable pour {repo} : donnez --mirror DOSSIER (voir le README)", file=sys.stderr)
            return 2
        git_dirs[repo] = path
    rows = build(git_dirs)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()
    print(f"{len(rows)} offres écrites dans {args.output} (sha256 {digest})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["MISSING", "OUT_FILE", "build", "load_offers", "main", "split_of"]
