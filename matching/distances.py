"""Great-circle distances: the project's one distance formula (``haversine_km``), the unit-sphere helpers the
k-d trees use, and ``distance_km`` between places. Split from ``matching.geo`` (issue 20), which re-exports
these names.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from matching.types import Place


def float_or_none(value: object) -> float | None:
    """A finite number from a field value ("44,5" too), or None."""
    if value is None or value == "":
        return None
    try:
        number = float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


EARTH_KM = 6371.0088


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in km between points in degrees: the project's one distance formula.

    Floats give a float (plain ``math``, for loops over a few communes); numpy arrays broadcast and give an
    array (the ranker measures thousands of offers at once)."""
    if all(isinstance(v, (int, float)) for v in (lat1, lon1, lat2, lon2)):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """(n, 3) points on the unit sphere, for k-d trees (the chord between two of them gives their distance)."""
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def chord_km(chord: np.ndarray) -> np.ndarray:
    """Great-circle km of chords between ``unit_vectors`` points."""
    return 2 * EARTH_KM * np.arcsin(np.clip(chord / 2, 0, 1))


def _coords(value: object) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, Place):
        if value.lat is None or value.lon is None:
            return None
        return value.lat, value.lon
    try:
        lat, lon = value  # type: ignore[misc]
    except (TypeError, ValueError):
        return None
    la, lo = float_or_none(lat), float_or_none(lon)
    if la is None or lo is None:
        return None
    return la, lo


def distance_km(a: object, b: object) -> float | None:
    """Great-circle (haversine) distance in km between two Places or (lat, lon) pairs; None if unknown."""
    ca, cb = _coords(a), _coords(b)
    if ca is None or cb is None:
        return None
    return haversine_km(ca[0], ca[1], cb[0], cb[1])
