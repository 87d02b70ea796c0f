"""Reference look-ups for display and filters: EPCI names, ROME domains, places.

They use the gazetteer (``matching.geo``) and the ROME tables (``matching.rome``) when those are
installed, else read the same reference files in ``matching/data`` directly (names only).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from matching.geo import get_gazetteer
from matching.types import Place

DATA = Path(__file__).resolve().parent.parent / "matching" / "data"


@lru_cache(maxsize=1)
def _epci_names() -> dict[str, str]:
    try:
        with (DATA / "epci.csv").open(encoding="utf-8") as handle:
            return {row["siren"]: row["name"] for row in csv.DictReader(handle)}
    except OSError:
        return {}


@lru_cache(maxsize=1)
def _rome_domains() -> dict[str, str]:
    try:
        with (DATA / "rome_domaines.csv").open(encoding="utf-8") as handle:
            return {row["code"]: row["label"] for row in csv.DictReader(handle)}
    except OSError:
        return {}


def epci_name(siren: str | None) -> str:
    """The EPCI's name (``CA du Grand Cahors``), else its SIREN."""
    if not siren:
        return "—"
    return _epci_names().get(siren, siren)


def domain_label(code: str | None) -> str:
    """Label of a ROME grand domaine (``J``) or domaine (``J15``)."""
    if not code:
        return "—"
    return _rome_domains().get(code, code)


def rome_domains() -> list[tuple[str, str]]:
    """All 3-character ROME domains with their label, sorted by code."""
    return sorted((code, label) for code, label in _rome_domains().items() if len(code) == 3)


def grand_domains() -> list[tuple[str, str]]:
    return sorted((code, label) for code, label in _rome_domains().items() if len(code) == 1)


def gazetteer():  # type: ignore[no-untyped-def]
    """The gazetteer of the normalisation area."""
    return get_gazetteer()


def resolve_place(text: str) -> Place | None:
    """A place typed by staff (``Cahors``, ``46000``, ``46042``), through the gazetteer."""
    gaz = gazetteer()
    if gaz is None or not text.strip():
        return None
    try:
        return gaz.resolve(text)
    except Exception:  # noqa: BLE001 - a filter must never break the page
        return None


def communes_of_epcis(sirens: list[str]) -> set[str]:
    """INSEE codes of the communes of these EPCIs (empty without the gazetteer)."""
    gaz = gazetteer()
    if gaz is None:
        return set()
    found: set[str] = set()
    for siren in sirens:
        for place in gaz.communes_in_epci(siren):
            if place.insee:
                found.add(place.insee)
    return found


def epci_of_commune(insee: str | None) -> str | None:
    gaz = gazetteer()
    if gaz is None or not insee:
        return None
    place = gaz.commune(insee)
    return place.epci if place else None


def warm_up() -> None:
    """Load every cached reference table now (called in a background thread at start-up)."""
    _epci_names()
    _rome_domains()
    try:
        gazetteer()
    except Exception:  # noqa: BLE001 - a failed warm-up only means the first search loads it
        return


def area_text(area: dict | None, radius_km: float | None = None) -> str | None:
    """A prospect's search area in words: ``CA du Grand Cahors, Figeac (dans un rayon de 30 km)``."""
    area = area or {}
    names = [epci_name(str(code)) for code in area.get("epcis") or []]
    gaz = gazetteer()
    for code in area.get("communes") or []:
        place = gaz.commune(str(code)) if gaz is not None else None
        names.append(place.name if place is not None and place.name else str(code))
    if not names and area.get("departements"):
        names = [f"département {code}" for code in area["departements"]]
    radius = f"dans un rayon de {radius_km:g} km" if radius_km else ""
    if not names:
        return radius.capitalize() or None
    return ", ".join(names) + (f" ({radius})" if radius else "")
