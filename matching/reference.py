"""Small read-only views of the reference data the ranker needs: commune centroids and ROME labels.

Pure and cached: the CSV files of ``matching/data`` are read once per process. The gazetteer
(``matching.geo``) resolves free-text places; the ranker only needs, for an INSEE code, its coordinates,
département and EPCI, and the communes of an EPCI or a département (to measure "within the radius of the
target area").
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from matching.once import built_once

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True, slots=True)
class CommuneRef:
    """A commune: INSEE code, name, centroid, département and EPCI (SIREN)."""

    insee: str
    name: str
    lat: float | None
    lon: float | None
    departement: str
    epci: str | None


@dataclass(frozen=True, slots=True)
class CommuneTable:
    """Communes by INSEE code, by EPCI and by département."""

    by_insee: dict[str, CommuneRef]
    by_epci: dict[str, tuple[CommuneRef, ...]]
    by_departement: dict[str, tuple[CommuneRef, ...]]
    epci_names: dict[str, str]
    departement_names: dict[str, str]


def _float(value: str) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


@built_once
def communes() -> CommuneTable:
    """The commune table (loaded once, ~0.1 s)."""
    by_insee: dict[str, CommuneRef] = {}
    by_epci: dict[str, list[CommuneRef]] = {}
    by_dep: dict[str, list[CommuneRef]] = {}
    with (DATA_DIR / "communes.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            ref = CommuneRef(
                insee=row["insee"],
                name=row["name"],
                lat=_float(row["lat"]),
                lon=_float(row["lon"]),
                departement=row["departement"],
                epci=row["epci"] or None,
            )
            by_insee[ref.insee] = ref
            if ref.epci:
                by_epci.setdefault(ref.epci, []).append(ref)
            by_dep.setdefault(ref.departement, []).append(ref)
    with (DATA_DIR / "epci.csv").open(encoding="utf-8", newline="") as handle:
        epci_names = {row["siren"]: row["name"] for row in csv.DictReader(handle)}
    with (DATA_DIR / "departements.csv").open(encoding="utf-8", newline="") as handle:
        dep_names = {row["code"]: row["name"] for row in csv.DictReader(handle)}
    return CommuneTable(
        by_insee=by_insee,
        by_epci={k: tuple(v) for k, v in by_epci.items()},
        by_departement={k: tuple(v) for k, v in by_dep.items()},
        epci_names=epci_names,
        departement_names=dep_names,
    )


@lru_cache(maxsize=1)
def rome_labels() -> dict[str, str]:
    """Labels of ROME codes (``J1506``), domaines pro (``J15``) and grands domaines (``J``)."""
    labels: dict[str, str] = {}
    with (DATA_DIR / "rome_domaines.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            labels[row["code"]] = row["label"]
    with (DATA_DIR / "rome_codes.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            labels[row["code"]] = row["label"]
    return labels
