"""Build the real deduplication set ``tests/data/dedup_real/`` from public snapshots of France Travail answers.

The truth comes from the sources, never from our judgement or a text similarity (see the set's README):

- **same vacancy, two crawls** (``same_id_two_crawls``): one France Travail offer id saved by several crawls
  of ``TurboMils/francetravail-data-pipeline`` (four versions of ``data/data.db`` in its Git history). Each
  crawl is a record of its own source (``crawl-<blob>``) and the engine does not see the shared id.
- **different vacancies** (distinct France Travail ids, the source says two offers):
  ``same_employer_title_other_place`` (same employer, same folded title, another commune),
  ``same_employer_title_other_date`` (same employer, title and commune, created 7 days or more apart),
  ``shared_partner_page`` (two offers whose partner links share host and path but differ in their query or
  fragment: the partner names two postings, e.g. an applicant-tracking site whose job id sits in the fragment).
- ``same_employer_title_same_day`` (same employer, title, commune, created within 7 days, distinct ids) is
  **ambiguous** (several positions posted one by one, or one posted twice): kept apart, reported, never
  counted in the headline figures.

Records are in the JSON form ``record_from_json`` reads. The offers' text belongs to France Travail and the
employers and the repositories carry no licence: the files are **not committed**; this builder rebuilds them
from bare Git copies (blob ids checked) and ``SHA256SUMS`` holds their checksums.

Rebuild::

    PYTHONPATH=. python -m bench.dedup_real --mirror /work/.mirror
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sqlite3
import sys
import tempfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.real_offers import SOURCES as FT_SOURCES
from bench.real_offers import _api_offers, git_blob
from matching.dedup import employer_key
from matching.parsers import parse_contract
from matching.text import strip_gender_marks, tokens
from services.quality_dedup import DATA_DIR, split_of

CHUCK = "chuck-gcc/FranceTravailDb"
TURBOMILS = "TurboMils/francetravail-data-pipeline"
# The four versions of TurboMils' data/data.db (2025-11-28), in commit order.
TURBOMILS_CRAWLS = [
    "98ae5b9e0146b0c9c7ebb51012a043e58d871977",
    "fa58ea6a683dc06196550f275909769288548e9b",
    "d79b5c46cf98b3e1358c2915dfcff44824476ba3",
    "1d04bf0894fc8e9c3955f0ae41d7c4987b719280",
]
#: Two offers of one employer, title and commune created closer than this are an ambiguous pair.
SAME_DAY_DAYS = 7


def _departement(label: str | None, insee: str | None) -> str | None:
    if label and " - " in label and label.split(" - ", 1)[0].strip().isalnum():
        return label.split(" - ", 1)[0].strip()
    return insee[:2] if insee else None


def _record(offer: dict[str, Any], source: str, key: str) -> dict[str, Any]:
    place = offer.get("lieuTravail") or {}
    origin = offer.get("origineOffre") or {}
    label = place.get("libelle")
    return {
        "id": key,
        "ft_id": str(offer["id"]),
        "source": source,
        "source_id": key,
        "title": (offer.get("intitule") or "").strip(),
        "employer": (offer.get("entreprise") or {}).get("nom"),
        "description": offer.get("description") or "",
        "contract_type": parse_contract(offer.get("typeContrat")).type,
        "published_at": offer.get("dateCreation"),
        "rome_code": (offer.get("romeCode") or "")[:5] or None,
        "location": {
            "insee": place.get("commune"),
            "name": label.split(" - ", 1)[-1].strip() if label else None,
            "lat": place.get("latitude"),
            "lon": place.get("longitude"),
            "departement": _departement(label, place.get("commune")),
        },
        "url": origin.get("urlOrigine"),
        "partners": [p for p in origin.get("partenaires") or [] if isinstance(p, dict)],
    }


def _turbomils_crawl(data: bytes) -> list[dict[str, Any]]:
    with tempfile.NamedTemporaryFile(suffix=".db") as tmp:
        tmp.write(data)
        tmp.flush()
        con = sqlite3.connect(tmp.name)
        con.row_factory = sqlite3.Row
        try:
            return [
                {
                    "id": row["id"],
                    "intitule": row["intitule"],
                    "description": row["description"],
                    "dateCreation": row["date_creation"],
                    "romeCode": row["rome_code"],
                    "lieuTravail": {"libelle": row["lieu_travail"]},
                    "typeContrat": row["type_contrat"],
                }
                for row in con.execute("select * from offres")
            ]
        finally:
            con.close()


def collect(git_dirs: dict[str, Path]) -> list[dict[str, Any]]:
    """Every record: each France Travail offer of chuck-gcc once, each TurboMils offer once per crawl."""
    records: dict[str, dict[str, Any]] = {}
    for repo, _path, blob, kind in FT_SOURCES:
        if repo != CHUCK:
            continue
        for offer in _api_offers(kind, git_blob(git_dirs[CHUCK], blob)):
            if isinstance(offer, dict) and offer.get("id") and offer.get("intitule"):
                records.setdefault(str(offer["id"]), _record(offer, "francetravail", str(offer["id"])))
    for blob in TURBOMILS_CRAWLS:
        crawl = f"crawl-{blob[:7]}"
        for offer in _turbomils_crawl(git_blob(git_dirs[TURBOMILS], blob)):
            key = f"{offer['id']}@{crawl}"
            records[key] = _record(offer, crawl, key)
    return sorted(records.values(), key=lambda r: r["id"])


def _title_key(title: str) -> str:
    return " ".join(tokens(strip_gender_marks(title)))


def _days(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    first, second = (datetime.fromisoformat(x.replace("Z", "+00:00")) for x in (a, b))
    return abs((first - second).total_seconds()) / 86400.0


def pairs(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The labelled pairs (truth from the sources; see the module docstring)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}

    def add(a: dict[str, Any], b: dict[str, Any], kind: str, same: bool | None) -> None:
        key = (min(a["id"], b["id"]), max(a["id"], b["id"]))
        found.setdefault(key, {"a": key[0], "b": key[1], "kind": kind, "duplicate": same})

    by_ft: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_ft[record["ft_id"]].append(record)
    for versions in by_ft.values():
        for a, b in itertools.combinations(versions, 2):
            add(a, b, "same_id_two_crawls", True)
    # one record per France Travail id for the negatives (the crawls of one id are one offer)
    firsts = [versions[0] for versions in by_ft.values()]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in firsts:
        employer = employer_key(record["employer"])
        if employer:
            groups[(employer, _title_key(record["title"]))].append(record)
    for members in groups.values():
        for a, b in itertools.combinations(members, 2):
            place_a = a["location"]["insee"] or a["location"]["name"]
            place_b = b["location"]["insee"] or b["location"]["name"]
            if place_a != place_b:
                add(a, b, "same_employer_title_other_place", False)
                continue
            gap = _days(a["published_at"], b["published_at"])
            if gap is not None and gap >= SAME_DAY_DAYS:
                add(a, b, "same_employer_title_other_date", False)
            else:
                add(a, b, "same_employer_title_same_day", None)
    # Partner links that share host and path (query and fragment left out, a naive canonical form that does
    # not depend on the engine) but differ in full: the partner names two postings.
    by_page: dict[tuple[str, str], list[tuple[dict[str, Any], str]]] = defaultdict(list)
    for record in firsts:
        for partner in record["partners"]:
            url = partner.get("url") or ""
            parts = urlsplit(url)
            if parts.netloc:
                by_page[(parts.netloc.lower(), parts.path.rstrip("/"))].append((record, url))
    for members in by_page.values():
        for (a, url_a), (b, url_b) in itertools.combinations(members, 2):
            if url_a != url_b and a["ft_id"] != b["ft_id"]:
                add(a, b, "shared_partner_page", False)
    return sorted(found.values(), key=lambda p: (p["kind"], p["a"], p["b"]))


def build(git_dirs: dict[str, Path], out_dir: Path = DATA_DIR) -> dict[str, Any]:
    records = collect(git_dirs)
    labelled = pairs(records)
    for record in records:
        record["split"] = split_of(record)
    by_id = {r["id"]: r for r in records}
    kept = [p for p in labelled if by_id[p["a"]]["split"] == by_id[p["b"]]["split"]]
    for pair in kept:
        pair["split"] = by_id[pair["a"]]["split"]
    out_dir.mkdir(parents=True, exist_ok=True)
    sums = []
    for name, rows in (("postings.jsonl", records), ("pairs.jsonl", kept)):
        path = out_dir / name
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
        sums.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}")
    counts: dict[str, int] = defaultdict(int)
    for pair in kept:
        counts[f"{pair['split']}:{pair['kind']}"] += 1
    return {"postings": len(records), "pairs": len(kept), "dropped_across_splits": len(labelled) - len(kept),
            "by_kind": dict(sorted(counts.items())), "sha256": sums}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, help="folder with owner+name/repo bare Git copies")
    parser.add_argument("--output", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    git_dirs: dict[str, Path] = {}
    for repo in (CHUCK, TURBOMILS):
        path = args.mirror / repo.replace("/", "+") / "repo" if args.mirror else None
        if path is None or not path.is_dir():
            print(f"copie Git introuvable pour {repo} : donnez --mirror DOSSIER", file=sys.stderr)
            return 2
        git_dirs[repo] = path
    print(json.dumps(build(git_dirs, args.output), indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
