"""Where a prospect without a driving licence can get to work: a hard constraint of the ranking.

Rule (documented in docs/matching.md): an offer is reachable without a car when it is

- within ``CYCLING_KM`` (10 km) of home — walking or cycling distance (≈ 40 minutes by bike), or
- within ``STATION_KM`` (3 km, ≈ 10 minutes by bike or 35 on foot) of a passenger railway station while home is
  also within ``STATION_KM`` of one, both within the prospect's radius. The station list has no lines or
  timetables, so "a station at both ends" stands for "a line from home"; a referent checks the timetable.

Offers without coordinates are never reachable this way. Stations: ``matching/data/stations.csv`` (SNCF Open
Data "gares de voyageurs", ODbL, see SOURCES.md). Pure module: reads only its packaged data.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from matching.geo import chord_km, distance_km, haversine_km, unit_vectors

CYCLING_KM = 10.0
STATION_KM = 3.0
_STATIONS = Path(__file__).resolve().parent / "data" / "stations.csv"


@dataclass(frozen=True, slots=True)
class Station:
    name: str
    insee: str
    lat: float
    lon: float


@lru_cache(maxsize=1)
def stations() -> tuple[Station, ...]:
    with _STATIONS.open(encoding="utf-8", newline="") as handle:
        return tuple(Station(r["name"], r["insee"], float(r["lat"]), float(r["lon"])) for r in csv.DictReader(handle))


@lru_cache(maxsize=1)
def _tree() -> cKDTree:
    items = stations()
    return cKDTree(unit_vectors(np.array([s.lat for s in items]), np.array([s.lon for s in items])))


def nearest_station(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(km to the nearest passenger station, its index in ``stations()``) for arrays of points."""
    chord, idx = _tree().query(unit_vectors(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)), k=1)
    return chord_km(chord), idx


def reachable_without_car(
    home: tuple[float, float] | None, lat: np.ndarray, lon: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(reachable, by train) boolean arrays for offers at (lat, lon) from ``home`` (None: nothing reachable)."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    known = ~(np.isnan(lat) | np.isnan(lon))
    none = np.zeros(lat.shape[0], dtype=bool)
    if home is None or not known.any():
        return none, none
    near = np.zeros(lat.shape[0], dtype=bool)
    near[known] = haversine_km(lat[known], lon[known], home[0], home[1]) <= CYCLING_KM
    home_station, _ = nearest_station(np.array([home[0]]), np.array([home[1]]))
    by_train = np.zeros(lat.shape[0], dtype=bool)
    if home_station[0] <= STATION_KM:
        km, _ = nearest_station(lat[known], lon[known])
        by_train[known] = km <= STATION_KM
    by_train &= ~near
    return near | by_train, by_train


def sentence(home: tuple[float, float] | None, offer: tuple[float, float] | None) -> str | None:
    """The French reason shown to staff for a prospect without a licence, or None when it does not apply."""
    if home is None or offer is None:
        return None
    km = distance_km(home, offer)
    if km is not None and km <= CYCLING_KM:
        return f"Sans permis : à {km:.0f} km du domicile, faisable à vélo ou à pied."
    home_km, home_idx = nearest_station(np.array([home[0]]), np.array([home[1]]))
    off_km, off_idx = nearest_station(np.array([offer[0]]), np.array([offer[1]]))
    items = stations()
    return (
        f"Sans permis : gare de {items[int(home_idx[0])].name} à {home_km[0]:.1f} km du domicile, "
        f"gare de {items[int(off_idx[0])].name} à {off_km[0]:.1f} km de l'offre (vérifier la ligne et les horaires)."
    )
