"""The prospect's geography for the ranker: target area, radius, km from the area, and the bounding boxes
that route prospects to blocks of a very large offer set."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from matching import reference
from matching.geo import chord_km, haversine_km, unit_vectors
from matching.rank_docs import Profile
from matching.rank_index import OfferIndex
from matching.rank_weights import DEFAULT_WEIGHTS, RankWeights


@dataclass(slots=True)
class Area:
    """The prospect's geography, ready for vectorised tests."""

    communes: set[str]
    epcis: set[str]
    departements: set[str]
    anchors: np.ndarray  # (k, 2) lat, lon
    radius: float
    constrained: bool
    key: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None = None


@lru_cache(maxsize=4096)
def _area_points(communes: tuple[str, ...], epcis: tuple[str, ...], departements: tuple[str, ...]) -> np.ndarray:
    """(k, 2) lat, lon of the communes of a target area (cached: many prospects share an area)."""
    table = reference.communes()
    refs = [table.by_insee[c] for c in communes if c in table.by_insee]
    refs += [ref for siren in epcis for ref in table.by_epci.get(siren, ())]
    refs += [ref for dep in departements for ref in table.by_departement.get(dep, ())]
    points = [(r.lat, r.lon) for r in refs if r.lat is not None and r.lon is not None]
    array = np.array(points, dtype=np.float64).reshape(-1, 2)
    array.setflags(write=False)
    return array


@lru_cache(maxsize=1024)
def _area_tree(communes: tuple[str, ...], epcis: tuple[str, ...], departements: tuple[str, ...]) -> Any:
    """A k-d tree over the 3D unit vectors of an area's communes (nearest commune of the area, fast)."""
    points = _area_points(communes, epcis, departements)
    return cKDTree(unit_vectors(points[:, 0], points[:, 1]))


def profile_area(profile: Profile, weights: RankWeights) -> Area:
    key = (tuple(profile.target_communes), tuple(profile.target_epcis), tuple(profile.target_departements))
    anchors = _area_points(*key)
    if not profile.has_area and profile.lat is not None and profile.lon is not None:
        anchors = np.array([[profile.lat, profile.lon]], dtype=np.float64)
    return Area(
        communes=set(profile.target_communes),
        epcis=set(profile.target_epcis),
        departements=set(profile.target_departements),
        anchors=anchors,
        radius=profile.radius_km if profile.radius_km is not None else weights.default_radius_km,
        constrained=profile.has_area or anchors.shape[0] > 0,
        key=key if profile.has_area else None,
    )


def area_distances(index: OfferIndex, rows: np.ndarray, area: Area) -> np.ndarray:
    """km from the target area (0 inside it) for ``rows``; NaN when the offer has no coordinates."""
    dist = np.full(rows.shape[0], np.nan)
    inside = index.insee.isin(area.communes, rows) | index.epci.isin(area.epcis, rows)
    inside |= index.departement.isin(area.departements, rows)
    dist[inside] = 0.0
    todo = ~inside & ~np.isnan(index.lat[rows])
    if area.anchors.shape[0] and todo.any():
        lat, lon = index.lat[rows][todo], index.lon[rows][todo]
        if area.anchors.shape[0] <= 4:
            best = np.full(lat.shape[0], np.inf)
            for a_lat, a_lon in area.anchors:
                best = np.minimum(best, haversine_km(lat, lon, a_lat, a_lon))
        else:
            tree = _area_tree(*area.key) if area.key is not None else None
            if tree is None:
                tree = cKDTree(unit_vectors(area.anchors[:, 0], area.anchors[:, 1]))
            chord, _ = tree.query(unit_vectors(lat, lon), k=1)
            best = chord_km(chord)
        dist[todo] = best
    return dist


def _anchor_box(area: Area) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) of the area's anchor points widened by its radius."""
    margin_lat = area.radius / 111.0 + 0.01
    lat_min, lat_max = area.anchors[:, 0].min() - margin_lat, area.anchors[:, 0].max() + margin_lat
    cos = max(math.cos(math.radians(max(abs(lat_min), abs(lat_max)))), 0.05)
    margin_lon = area.radius / (111.0 * cos) + 0.01
    lon_min, lon_max = area.anchors[:, 1].min() - margin_lon, area.anchors[:, 1].max() + margin_lon
    return float(lat_min), float(lat_max), float(lon_min), float(lon_max)


def bbox_rows(index: OfferIndex, area: Area) -> np.ndarray:
    """Rows that may be inside or near the area: a cheap bounding-box and membership pre-filter."""
    n = len(index)
    keep = index.insee.isin(area.communes) | index.epci.isin(area.epcis)
    keep |= index.departement.isin(area.departements)
    if area.anchors.shape[0]:
        lat_min, lat_max, lon_min, lon_max = _anchor_box(area)
        with np.errstate(invalid="ignore"):
            keep |= (index.lat >= lat_min) & (index.lat <= lat_max) & (index.lon >= lon_min) & (index.lon <= lon_max)
    keep |= index.remote_full
    return np.flatnonzero(keep) if n else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class AreaBox:
    """Where a prospect's offers can be: a bounding box (target area or current place ± radius) and the
    départements of the area; ``everywhere`` when the profile has no geography."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float
    departements: frozenset[str]
    everywhere: bool


def area_box(profile: Profile, weights: RankWeights = DEFAULT_WEIGHTS) -> AreaBox:
    """The bounding box of what ``profile`` may be proposed (used to route profiles to offer blocks)."""
    area = profile_area(profile, weights)
    table = reference.communes()
    refs = [table.by_insee[c] for c in area.communes if c in table.by_insee]
    refs += [ref for siren in area.epcis for ref in table.by_epci.get(siren, ())]
    departements = frozenset(area.departements) | {ref.departement for ref in refs}
    if not area.constrained:
        return AreaBox(-90, 90, -180, 180, departements, True)
    if area.anchors.shape[0] == 0:
        return AreaBox(0, 0, 0, 0, departements, False)
    return AreaBox(*_anchor_box(area), departements, False)


def profiles_for_block(boxes: Sequence[tuple[Profile, AreaBox]], index: OfferIndex) -> list[Profile]:
    """The profiles whose area may reach an offer of the block ``index``."""
    if len(index) == 0:
        return []
    lat, lon = index.lat[~np.isnan(index.lat)], index.lon[~np.isnan(index.lon)]
    has_points = lat.size > 0
    b_lat_min, b_lat_max = (float(lat.min()), float(lat.max())) if has_points else (0.0, 0.0)
    b_lon_min, b_lon_max = (float(lon.min()), float(lon.max())) if has_points else (0.0, 0.0)
    departements = set(index.departement.mapping)
    remote = bool(index.remote_full.any())
    chosen = []
    for profile, box in boxes:
        if box.everywhere or remote or (box.departements & departements):
            chosen.append(profile)
        elif (
            has_points
            and box.lat_min <= b_lat_max
            and box.lat_max >= b_lat_min
            and (box.lon_min <= b_lon_max and box.lon_max >= b_lon_min)
        ):
            chosen.append(profile)
    return chosen
