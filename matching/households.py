"""Places where a household can settle: both partners have good offers within their own radius.

A move often fails because the partner finds no job. For a household (usually two prospects), each
candidate home commune (a commune of the members' target areas, or of the EPCIs where they have offers when
they named no area) is scored by the best offer each member can reach from it: an offer within the member's
``radius_km`` of the commune, having passed that member's hard filters, its score weighed by the commute
(``COMMUTE_FLOOR + (1 − COMMUTE_FLOOR) × exp(−km / COMMUTE_SCALE_KM)``). Members are combined by a geometric
mean so that a place is good only when it is good for *everyone*, with a little credit for choice (more good
offers within reach). Communes are then grouped by EPCI (the intercommunality, the scale of a "bassin de
vie"): an EPCI's score is that of its best commune.

Pure: works on ``matching.rank`` representations; the store layer feeds it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from matching import reference
from matching.geo import haversine_km
from matching.rank import (
    DEFAULT_WEIGHTS,
    OfferIndex,
    Profile,
    RankedOffer,
    RankWeights,
    rank_offers,
)

COMMUTE_SCALE_KM = 30.0
COMMUTE_FLOOR = 0.6
CHOICE_SHARE = 0.1


@dataclass(slots=True)
class ReachableOffer:
    """An offer one member can reach from the place: its score for that member and the km from the place."""

    candidate_id: str
    offer_id: str
    score: float
    km: float
    title: str
    place: str


@dataclass(slots=True)
class HouseholdPlace:
    """A place for the household: an EPCI (or a commune), its score, its best commune and the offer pairs."""

    level: str  # "epci" | "commune"
    code: str
    name: str
    score: float
    commune_insee: str
    commune_name: str
    offers: dict[str, list[ReachableOffer]] = field(default_factory=dict)
    pairs: list[tuple[ReachableOffer, ...]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _reachable(
    member: Profile,
    ranked: Sequence[RankedOffer],
    index: OfferIndex,
    lat: float,
    lon: float,
    weights: RankWeights,
) -> list[ReachableOffer]:
    radius = member.radius_km if member.radius_km is not None else weights.default_radius_km
    found = []
    for item in ranked:
        offer = index.offers[index.position[item.offer_id]]
        if offer.lat is None or offer.lon is None:
            continue
        km = float(haversine_km(offer.lat, offer.lon, lat, lon))
        if km <= radius:
            found.append(ReachableOffer(member.id, offer.id, item.score, round(km, 1), offer.title, offer.place_label))
    return found


def rank_household_places(
    members: Sequence[Profile],
    index: OfferIndex,
    *,
    limit: int = 5,
    level: str = "epci",
    per_member: int = 60,
    weights: RankWeights = DEFAULT_WEIGHTS,
    now: datetime | None = None,
) -> list[HouseholdPlace]:
    """The ``limit`` best places for the household, best first (empty when some member has no offer)."""
    now = now or datetime.now(UTC)
    members = [m for m in members if (m.desired_jobs or m.rome_codes)]
    if not members:
        return []
    ranked = {m.id: rank_offers(m, index, top=per_member, weights=weights, now=now) for m in members}
    if any(not offers for offers in ranked.values()):
        return []
    table = reference.communes()
    # Candidate homes: the communes of the members' target areas; without any, those of the EPCIs where some
    # member has an offer.
    homes_by_insee: dict[str, reference.CommuneRef] = {}
    for member in members:
        for insee in member.target_communes:
            if insee in table.by_insee:
                homes_by_insee[insee] = table.by_insee[insee]
        for siren in member.target_epcis:
            homes_by_insee.update((c.insee, c) for c in table.by_epci.get(siren, ()))
        for dep in member.target_departements:
            homes_by_insee.update((c.insee, c) for c in table.by_departement.get(dep, ()))
    if not homes_by_insee:
        epcis = {index.offers[index.position[r.offer_id]].epci for rs in ranked.values() for r in rs} - {None}
        homes_by_insee = {c.insee: c for siren in epcis for c in table.by_epci.get(siren, ())}
    homes = [homes_by_insee[k] for k in sorted(homes_by_insee) if homes_by_insee[k].lat is not None]
    by_commune: list[HouseholdPlace] = []
    for home in homes:
        reach = {m.id: _reachable(m, ranked[m.id], index, home.lat, home.lon, weights) for m in members}
        if any(not offers for offers in reach.values()):
            continue
        best = [max(_commuted(o) for o in offers) for offers in reach.values()]
        score = math.prod(best) ** (1 / len(best))
        # a little credit for choice: more good offers within reach (at least half as good as the best)
        choice = sum(
            min(sum(1 for o in offers if _commuted(o) >= 0.5 * top), 5)
            for offers, top in zip(reach.values(), best, strict=True)
        ) / (5 * len(reach))
        score = score * ((1 - CHOICE_SHARE) + CHOICE_SHARE * choice)
        top_each = [sorted(offers, key=lambda o: -_commuted(o))[:3] for offers in reach.values()]
        pairs = sorted(_combinations(top_each), key=lambda pair: -math.prod(_commuted(o) for o in pair))[:3]
        by_commune.append(
            HouseholdPlace(
                level="commune",
                code=home.insee,
                name=home.name,
                score=round(score, 4),
                commune_insee=home.insee,
                commune_name=home.name,
                offers={mid: sorted(offers, key=lambda o: -_commuted(o))[:5] for mid, offers in reach.items()},
                pairs=pairs,
            )
        )
    by_commune.sort(key=lambda p: (-p.score, p.code))
    if level == "commune":
        places = by_commune[:limit]
    else:
        places = []
        seen: set[str] = set()
        for place in by_commune:
            siren = table.by_insee[place.code].epci or place.code
            if siren in seen:
                continue
            seen.add(siren)
            place.level, place.code = "epci", siren
            place.name = table.epci_names.get(siren, siren)
            places.append(place)
            if len(places) == limit:
                break
    for place in places:
        place.reasons = _reasons(place, members)
    return places


def _commuted(offer: ReachableOffer) -> float:
    return offer.score * (COMMUTE_FLOOR + (1 - COMMUTE_FLOOR) * math.exp(-offer.km / COMMUTE_SCALE_KM))


def _combinations(lists: Sequence[Sequence[ReachableOffer]]) -> list[tuple[ReachableOffer, ...]]:
    combos: list[tuple[ReachableOffer, ...]] = [()]
    for options in lists:
        combos = [combo + (option,) for combo in combos for option in options]
    return combos


def _reasons(place: HouseholdPlace, members: Sequence[Profile]) -> list[str]:
    where = f"{place.commune_name} ({place.name})" if place.level == "epci" else place.commune_name
    sentences = [f"En s'installant à {where}, chaque membre du foyer a au moins une offre à sa portée :"]
    for member in members:
        offers = place.offers.get(member.id, [])
        if not offers:
            continue
        best = offers[0]
        more = f" (et {len(offers) - 1} autre{'s' if len(offers) > 2 else ''})" if len(offers) > 1 else ""
        sentences.append(
            f"- prospect n° {member.id} ({member.desired_jobs or 'métier non précisé'}) : « {best.title} » à "
            f"{best.place}, {best.km:.0f} km{more}."
        )
    return sentences
