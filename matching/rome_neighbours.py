"""Neighbouring ROME codes: trades that share know-how, a prospect's next-best offers after their own trade.

Two codes are neighbours when their skills (``matching/data/rome_skills.csv``: the ROME's "savoirs" and
"savoir-faire" of each code) overlap: cosine of their IDF-weighted skill sets (a skill most trades list counts
little). A code keeps its ``TOP`` nearest codes whose similarity reaches ``MIN_SIMILARITY`` ("Cariste" →
"Magasinier", "Serveur" → "Barman", "Commis de cuisine" → "Cuisinier").

A regulated trade (``emploi_reglemente`` in ``rome_fiches_v4.csv``: nurse, bus driver, electrician with a
licence…) is never a neighbour: it needs its own diploma or licence, so only the prospect's own code reaches it.

Pure module: reads only its packaged data, once per process.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse

DATA_DIR = Path(__file__).resolve().parent / "data"
TOP = 8
MIN_SIMILARITY = 0.10


@lru_cache(maxsize=1)
def regulated() -> frozenset[str]:
    """ROME codes whose main job sheet is a regulated trade."""
    with (DATA_DIR / "rome_fiches_v4.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return frozenset(r["code"] for r in rows if r["fiche_code"] == r["code"] and r["emploi_reglemente"] == "O")


@lru_cache(maxsize=1)
def _similarities() -> tuple[tuple[str, ...], np.ndarray]:
    """(codes, dense code × code cosine of IDF-weighted skill sets, diagonal 0)."""
    pairs: set[tuple[str, str]] = set()
    with (DATA_DIR / "rome_skills.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["type"] in ("savoir", "savoir_faire"):
                pairs.add((row["code"], row["skill_id"]))
    codes = tuple(sorted({code for code, _ in pairs}))
    skills = {skill: i for i, skill in enumerate(sorted({skill for _, skill in pairs}))}
    position = {code: i for i, code in enumerate(codes)}
    rows = np.array([position[code] for code, _ in pairs], dtype=np.int32)
    cols = np.array([skills[skill] for _, skill in pairs], dtype=np.int32)
    matrix = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(len(codes), len(skills)))
    idf = np.log(len(codes) / np.maximum(np.asarray(matrix.sum(axis=0)).ravel(), 1))
    weighted = sparse.csr_matrix(matrix.multiply(idf[None, :]))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    weighted = sparse.diags(1 / np.where(norms > 0, norms, 1)) @ weighted
    similarity = (weighted @ weighted.T).toarray()
    np.fill_diagonal(similarity, 0.0)
    return codes, similarity


@lru_cache(maxsize=4096)
def neighbours(code: str) -> dict[str, float]:
    """The neighbouring codes of ``code`` with their similarity in (0, 1], nearest first ({} for an unknown
    code)."""
    codes, similarity = _similarities()
    try:
        row = similarity[codes.index(code)]
    except ValueError:
        return {}
    excluded = regulated()
    found: dict[str, float] = {}
    for j in np.argsort(-row):
        if len(found) >= TOP or row[j] < MIN_SIMILARITY:
            break
        if codes[j] not in excluded:
            found[codes[j]] = round(float(row[j]), 4)
    return found
