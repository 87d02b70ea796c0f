"""Which ambassadors to propose to a household, with the reasons (pure: no database).

Score of an ambassador for a household (higher is better), each part with a French reason:
- proximity: lives in one of the household's communes (+3), in one of its EPCIs (+2), within
  ``NEAR_KM`` km of one of its communes (+1);
- trade or sector: same ROME grand domaine letter as a member's desired job (+2), or a word of their
  trade in a member's desired jobs (+1);
- family situation: the same as the household's (+1.5), both with children (+1);
- load balancing: minus ``LOAD_WEIGHT`` × the share of their yearly availability already used; an
  ambassador whose availability is used up is not proposed (nor one who withdrew: the caller leaves them out).
Ties go to the least solicited, then the lowest id, so the same few people are not proposed every time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from matching.geo import distance_km
from matching.text import fold

NEAR_KM = 25.0
LOAD_WEIGHT = 2.0
FAMILY_LABELS = {
    "seul": "vit seul(e)",
    "couple": "en couple sans enfant",
    "couple_enfants": "en couple avec enfants",
    "parent_seul": "parent seul avec enfants",
}
_WITH_CHILDREN = {"couple_enfants", "parent_seul"}


@dataclass(frozen=True)
class HouseholdNeeds:
    communes: Sequence[tuple[str, str | None, float | None, float | None]]  # (insee, epci, lat, lon)
    sectors: frozenset[str] = frozenset()  # ROME grand domaine letters of the members' desired jobs
    desired_jobs: str = ""
    family_situation: str | None = None


@dataclass(frozen=True)
class AmbassadorFacts:
    id: int
    commune_insee: str | None
    commune_name: str | None
    epci: str | None
    lat: float | None
    lon: float | None
    sector: str | None
    trade: str | None
    family_situation: str | None
    availability: int
    load: int  # introductions made in the last 12 months


@dataclass
class Proposal:
    ambassador_id: int
    score: float
    reasons: list[str] = field(default_factory=list)


def _proximity(needs: HouseholdNeeds, a: AmbassadorFacts) -> tuple[float, str | None]:
    if a.commune_insee and any(a.commune_insee == c[0] for c in needs.communes):
        return 3.0, f"habite {a.commune_name or 'la commune'}, une commune envisagée par le foyer"
    if a.epci and any(a.epci == c[1] for c in needs.communes):
        return 2.0, "habite la même intercommunalité qu'une commune envisagée"
    kms = [km for c in needs.communes if (km := distance_km((a.lat, a.lon), (c[2], c[3]))) is not None]
    if kms and min(kms) <= NEAR_KM:
        return 1.0, f"habite à {min(kms):.0f} km d'une commune envisagée"
    return 0.0, None


def _trade(needs: HouseholdNeeds, a: AmbassadorFacts) -> tuple[float, str | None]:
    if a.sector and a.sector in needs.sectors:
        return 2.0, "travaille dans le même secteur qu'un membre du foyer"
    words = {w for w in fold(a.trade).split() if len(w) >= 5}
    if words and words & set(fold(needs.desired_jobs).split()):
        return 1.0, f"métier proche : {a.trade}"
    return 0.0, None


def _family(needs: HouseholdNeeds, a: AmbassadorFacts) -> tuple[float, str | None]:
    if not needs.family_situation or not a.family_situation:
        return 0.0, None
    if needs.family_situation == a.family_situation:
        return 1.5, f"même situation familiale ({FAMILY_LABELS.get(a.family_situation, a.family_situation)})"
    if needs.family_situation in _WITH_CHILDREN and a.family_situation in _WITH_CHILDREN:
        return 1.0, "a aussi des enfants"
    return 0.0, None


def propose_ambassadors(
    needs: HouseholdNeeds, ambassadors: Sequence[AmbassadorFacts], limit: int = 5
) -> list[Proposal]:
    """The best ``limit`` ambassadors for the household, with the reasons (see module docstring)."""
    proposals = []
    for a in ambassadors:
        if a.availability <= 0 or a.load >= a.availability:
            continue
        score, reasons = 0.0, []
        for part in (_proximity, _trade, _family):
            points, reason = part(needs, a)
            score += points
            if reason:
                reasons.append(reason)
        if score <= 0:
            continue
        used = a.load / a.availability
        score -= LOAD_WEIGHT * used
        reasons.append(
            "pas encore sollicité(e) cette année"
            if a.load == 0
            else f"déjà sollicité(e) {a.load} fois sur {a.availability} cette année"
        )
        proposals.append((score, a.load, a.id, Proposal(a.id, round(score, 2), reasons)))
    proposals.sort(key=lambda item: (-item[0], item[1], item[2]))
    return [p for *_, p in proposals[:limit]]
