"""Synthetic offers and prospects at national scale for the matching benchmark (seeded, reproducible).

Offers reuse the trades, titles, missions and employers of the relevance corpus (``bench.relevance_corpus``),
placed in French communes drawn by population (so big towns get many offers, as in reality); prospects get a
trade's title (with abbreviations and typos now and then), a target area (a département, an EPCI or a commune
and a radius) drawn the same way, and contract wishes.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from bench.relevance_corpus import CONDITIONS, EMPLOYERS, OCCUPATIONS
from matching.rank import OfferDoc, Profile

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DATA = Path(__file__).resolve().parent.parent / "matching" / "data" / "communes.csv"


@dataclass(frozen=True, slots=True)
class _Commune:
    insee: str
    name: str
    departement: str
    epci: str | None
    lat: float
    lon: float


@lru_cache(maxsize=1)
def _communes() -> tuple[list[_Commune], list[float], dict[str, list[int]]]:
    rows, weights, by_dep = [], [], {}
    with DATA.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["lat"] or row["departement"] > "95":
                continue
            rows.append(
                _Commune(
                    row["insee"],
                    row["name"],
                    row["departement"],
                    row["epci"] or None,
                    float(row["lat"]),
                    float(row["lon"]),
                )
            )
            weights.append(max(float(row["population"] or 0), 20.0))
            by_dep.setdefault(row["departement"], []).append(len(rows) - 1)
    return rows, weights, by_dep


def offers_for(communes: list[_Commune], weights: list[float], n: int, seed: int, prefix: str) -> Iterator[OfferDoc]:
    """``n`` offers placed among ``communes`` (weighted by population)."""
    rng = random.Random(seed)
    trade_weights = [o["offers"] for o in OCCUPATIONS]
    places = rng.choices(range(len(communes)), weights, k=n)
    trades = rng.choices(range(len(OCCUPATIONS)), trade_weights, k=n)
    for i in range(n):
        trade, commune = OCCUPATIONS[trades[i]], communes[places[i]]
        _, intro = rng.choice(EMPLOYERS[trade["sector"]])
        missions = rng.sample(trade["missions"], min(2, len(trade["missions"])))
        text = " ".join(
            [intro.format(town=commune.name), *missions, rng.choice(trade["requirements"]), rng.choice(CONDITIONS)]
        )
        contracts = list(trade["contracts"])
        yield OfferDoc(
            id=f"{prefix}{i}",
            title=rng.choice(trade["titles"]),
            description=text,
            contract_type=rng.choices(contracts, [trade["contracts"][c] for c in contracts])[0],
            working_time="part_time" if rng.random() < trade["part_time"] else "full_time",
            rome_code=trade["rome"] if rng.random() < 0.8 else None,
            insee=commune.insee,
            commune_name=commune.name,
            departement=commune.departement,
            epci=commune.epci,
            lat=commune.lat,
            lon=commune.lon,
            published_at=NOW - timedelta(days=rng.randint(0, 90)),
        )


def national_offers(n: int, seed: int = 1) -> list[OfferDoc]:
    """``n`` offers all over metropolitan France."""
    communes, weights, _ = _communes()
    return list(offers_for(communes, weights, n, seed, "n"))


def departement_offers(departement: str, n: int, seed: int) -> list[OfferDoc]:
    """``n`` offers in one département (a block of the blocked run)."""
    communes, weights, by_dep = _communes()
    idx = by_dep[departement]
    return list(offers_for([communes[i] for i in idx], [weights[i] for i in idx], n, seed, f"d{departement}-"))


def departement_shares() -> dict[str, float]:
    """Each département's share of the population (so of the offers)."""
    communes, weights, by_dep = _communes()
    total = sum(weights)
    return {dep: sum(weights[i] for i in idx) / total for dep, idx in by_dep.items()}


_TYPOS = {
    "infirmier": "infimier",
    "aide-soignant": "aide-soigant",
    "cuisinier": "cuisiner",
    "developpeur": "developeur",
}


def prospects(n: int, seed: int = 2, *, no_area_share: float = 0.0) -> list[Profile]:
    """``n`` prospects with a trade, a target area drawn by population, and wishes."""
    rng = random.Random(seed)
    communes, weights, _ = _communes()
    trade_weights = [o["offers"] for o in OCCUPATIONS]
    out = []
    for i in range(n):
        trade = OCCUPATIONS[rng.choices(range(len(OCCUPATIONS)), trade_weights)[0]]
        jobs = trade["label"]
        if rng.random() < 0.1:
            jobs = _TYPOS.get(jobs, jobs)
        home = communes[rng.choices(range(len(communes)), weights)[0]]
        kind = rng.random()
        profile = Profile(
            id=f"p{i}",
            desired_jobs=jobs,
            contract_types=rng.sample(["CDI", "CDD", "saisonnier"], rng.randint(0, 2)),
            contract_required=rng.random() < 0.2,
            radius_km=rng.choice([10, 20, 30, 50]),
        )
        if kind < no_area_share:
            pass
        elif kind < 0.45:
            profile.target_departements = [home.departement]
        elif kind < 0.75 and home.epci:
            profile.target_epcis = [home.epci]
        else:
            profile.target_communes = [home.insee]
        out.append(profile)
    return out
