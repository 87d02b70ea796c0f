"""Schools, passenger stations and hospitals near a place: the facts a household weighs before settling.

Data (``matching/data/``, see ``SOURCES.md``): ``schools.csv.gz`` (écoles, collèges and lycées of
Occitanie, from the Annuaire de l'éducation), ``stations.csv.gz`` (SNCF passenger stations with their DRG
class A/B/C) and ``hospitals.csv.gz`` (general-care hospitals and clinics, Eurostat / FINESS), compacted by
``matching/data/build_welcome_data.py``. Distances are great-circle ("à vol d'oiseau") from the commune's
centre, through ``matching.geo.distance_km``; a road trip is longer.

``get_amenities()`` loads the three files once per process (about 10,000 rows, well under a second).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Generic, TypeVar

from matching.geo import DATA_DIR, distance_km

# The school data covers the Occitanie region only: elsewhere the nearest schools it gives are not the real ones.
SCHOOL_DEPARTEMENTS = frozenset({"09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"})
SCHOOL_LEVELS = ("maternelle", "elementaire", "college", "lycee")
LEVEL_LABELS = {"maternelle": "maternelle", "elementaire": "élémentaire", "college": "collège", "lycee": "lycée"}
STATION_CLASSES = {
    "A": "grande gare nationale",
    "B": "gare régionale",
    "C": "halte locale",
}


@dataclass(frozen=True, slots=True)
class School:
    uai: str
    name: str
    type: str  # ecole | college | lycee
    public: bool | None
    levels: tuple[str, ...]
    insee: str
    lat: float
    lon: float
    canteen: bool | None


@dataclass(frozen=True, slots=True)
class Station:
    name: str
    drg_class: str  # A | B | C
    insee: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Hospital:
    finess: str
    name: str
    type: str
    status: str  # public | private | ""
    city: str
    lat: float
    lon: float


T = TypeVar("T", School, Station, Hospital)


@dataclass(frozen=True, slots=True)
class Near(Generic[T]):
    """An amenity and its distance (km, as the crow flies) from the place asked about."""

    item: T
    km: float


def _flag(text: str) -> bool | None:
    return {"1": True, "0": False}.get(text.strip())


def _rows(path: Path) -> Iterable[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


class Amenities:
    """The three reference lists in memory, with a nearest-first query per kind."""

    def __init__(self, data_dir: Path = DATA_DIR) -> None:
        self.schools = [
            School(
                r["uai"],
                r["name"],
                r["type"],
                _flag(r["public"]),
                tuple(r["levels"].split("|")),
                r["insee"],
                float(r["lat"]),
                float(r["lon"]),
                _flag(r["canteen"]),
            )
            for r in _rows(data_dir / "schools.csv.gz")
        ]
        self.stations = [
            Station(r["name"], r["class"], r["insee"], float(r["lat"]), float(r["lon"]))
            for r in _rows(data_dir / "stations.csv.gz")
        ]
        self.hospitals = [
            Hospital(r["finess"], r["name"], r["type"], r["status"], r["city"], float(r["lat"]), float(r["lon"]))
            for r in _rows(data_dir / "hospitals.csv.gz")
        ]

    def nearest_schools(
        self, lat: float, lon: float, *, per_level: int = 2, max_km: float = 40.0
    ) -> list[Near[School]]:
        """The ``per_level`` nearest schools offering each level (maternelle … lycée), merged, nearest first."""
        ranked = nearest(self.schools, lat, lon, max_km=max_km)
        chosen: dict[str, Near[School]] = {}
        for level in SCHOOL_LEVELS:
            for near in [n for n in ranked if level in n.item.levels][:per_level]:
                chosen.setdefault(near.item.uai, near)
        return sorted(chosen.values(), key=lambda n: (n.km, n.item.name))

    def nearest_stations(self, lat: float, lon: float, *, limit: int = 3, max_km: float = 60.0) -> list[Near[Station]]:
        return nearest(self.stations, lat, lon, limit=limit, max_km=max_km)

    def nearest_hospitals(
        self, lat: float, lon: float, *, limit: int = 3, max_km: float = 80.0
    ) -> list[Near[Hospital]]:
        return nearest(self.hospitals, lat, lon, limit=limit, max_km=max_km)


def nearest(
    items: Sequence[T], lat: float, lon: float, *, limit: int | None = None, max_km: float | None = None
) -> list[Near[T]]:
    """``items`` (anything with ``lat``/``lon``) within ``max_km`` of the point, nearest first, at most ``limit``."""
    found = []
    for item in items:
        # a cheap box test first: one degree of latitude is 111 km, of longitude at least 70 km in France
        if max_km is not None and (abs(item.lat - lat) * 111 > max_km or abs(item.lon - lon) * 70 > max_km):
            continue
        km = distance_km((lat, lon), (item.lat, item.lon))
        if km is not None and (max_km is None or km <= max_km):
            found.append(Near(item, km))
    found.sort(key=lambda n: (n.km, getattr(n.item, "name", "")))
    return found[:limit] if limit is not None else found


@lru_cache(maxsize=1)
def get_amenities() -> Amenities:
    """The process-wide amenities index (built on first use)."""
    return Amenities()
