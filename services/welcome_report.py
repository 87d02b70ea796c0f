"""The welcome figures of a year, for the yearly report, the dashboard chart and its CSV.

- households followed per territory: households (a prospect without partner counts as one) with a référent
  and a path or settling step dated in the year; settled: a "moved in" step (or a ``settled`` status) in the
  year. The territory is the EPCI of the commune chosen in the welcome plan, else of the target area, else
  "non précisé";
- time from first contact to moving in: median days between the prospect's first record and the "moved in"
  step;
- ambassadors involved, introductions made and accepted (both said yes) in the year; active ambassadors now.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.geo import get_gazetteer
from services.referents import target_epcis
from store.models import Ambassador, Candidate, CandidateStatus, Introduction, SettlingStep, WelcomePlan, as_utc

UNKNOWN = "non précisé"


@dataclass
class WelcomeFigures:
    year: int
    territories: list[dict[str, object]] = field(default_factory=list)  # {"name", "followed", "settled"}
    moved_in: int = 0
    median_days_to_move_in: float | None = None
    ambassadors_involved: int = 0
    introductions_made: int = 0
    introductions_accepted: int = 0
    active_ambassadors: int = 0

    def rows(self) -> list[tuple[str, str, int | float]]:
        rows: list[tuple[str, str, int | float]] = []
        for t in self.territories:
            rows.append(("accueil par territoire", f"{t['name']} : foyers suivis", int(t["followed"])))  # type: ignore[call-overload]
            rows.append(("accueil par territoire", f"{t['name']} : foyers installés", int(t["settled"])))  # type: ignore[call-overload]
        rows += [
            ("accueil", "foyers installés (étape « Installation »)", self.moved_in),
            (
                "accueil",
                "jours médians du premier contact à l'installation",
                round(self.median_days_to_move_in) if self.median_days_to_move_in is not None else 0,
            ),
            ("accueil", "ambassadeurs sollicités", self.ambassadors_involved),
            ("accueil", "mises en relation proposées", self.introductions_made),
            ("accueil", "mises en relation acceptées", self.introductions_accepted),
            ("accueil", "ambassadeurs inscrits", self.active_ambassadors),
        ]
        return rows


def _territory(candidate: Candidate, plan: WelcomePlan | None) -> str:
    gazetteer = get_gazetteer()
    siren = None
    if plan is not None and plan.commune_insee:
        place = gazetteer.commune(plan.commune_insee)
        siren = place.epci if place else None
    siren = siren or next(iter(target_epcis(candidate)), None)
    return (gazetteer.epci_name(siren) or siren) if siren else UNKNOWN


def welcome_figures(session: Session, year: int) -> WelcomeFigures:
    """Compute the welcome figures of ``year`` (see the module docstring)."""
    figures = WelcomeFigures(year=year)
    start, end = date(year, 1, 1), date(year, 12, 31)
    active: set[int] = set()
    for candidate_id, changed_at in session.execute(select(CandidateStatus.candidate_id, CandidateStatus.changed_at)):
        if as_utc(changed_at).year == year:  # type: ignore[union-attr]
            active.add(candidate_id)
    moved: dict[int, date] = {}
    for candidate_id, step, done_on in session.execute(
        select(SettlingStep.candidate_id, SettlingStep.step, SettlingStep.done_on).where(
            SettlingStep.done_on >= start, SettlingStep.done_on <= end
        )
    ):
        active.add(candidate_id)
        if step == "moved_in":
            moved[candidate_id] = done_on
    per_territory: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"followed": set(), "settled": set()})
    days = []
    candidates = session.scalars(select(Candidate).where(Candidate.id.in_(active))) if active else []
    for c in candidates:
        household = f"h{c.household_id}" if c.household_id else f"c{c.id}"
        name = _territory(c, session.get(WelcomePlan, c.id))
        if c.referent_id is not None:
            per_territory[name]["followed"].add(household)
        if c.id in moved:
            per_territory[name]["settled"].add(household)
            days.append((moved[c.id] - as_utc(c.created_at).date()).days)  # type: ignore[union-attr]
    figures.territories = [
        {"name": name, "followed": len(sets["followed"]), "settled": len(sets["settled"])}
        for name, sets in sorted(per_territory.items(), key=lambda item: (item[0] == UNKNOWN, item[0]))
    ]
    figures.moved_in = len({h for sets in per_territory.values() for h in sets["settled"]})
    figures.median_days_to_move_in = statistics.median(days) if days else None
    intros = [
        (a, created, introduced)
        for a, created, introduced in session.execute(
            select(Introduction.ambassador_id, Introduction.created_at, Introduction.introduced_at)
        )
    ]
    made = [a for a, created, _ in intros if as_utc(created).year == year]  # type: ignore[union-attr]
    figures.introductions_made = len(made)
    figures.ambassadors_involved = len(set(made))
    figures.introductions_accepted = sum(1 for _, _, at in intros if at is not None and as_utc(at).year == year)  # type: ignore[union-attr]
    figures.active_ambassadors = session.execute(
        select(func.count()).select_from(Ambassador).where(Ambassador.withdrawn_at.is_(None))
    ).scalar_one()
    return figures
