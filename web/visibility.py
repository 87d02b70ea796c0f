"""Who may see which prospect (W4): a référent sees the prospects of their territory only.

A prospect is in a référent's territory when they live in a commune of one of the référent's EPCIs, or
when their target area names one of those EPCIs (or one of their communes). Everyone else on the staff
sees every prospect; employers see none (they only get shortlists).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from store.models import Candidate
from web.auth import CurrentUser
from web.reference import communes_of_epcis


def _area_matches(area: dict[str, Any] | None, epcis: set[str], communes: set[str]) -> bool:
    if not area:
        return False
    if epcis & {str(code) for code in area.get("epcis") or []}:
        return True
    return bool(communes & {str(code) for code in area.get("communes") or []})


def candidate_scope(session: Session, user: CurrentUser) -> ColumnElement[bool] | None:
    """A SQL condition restricting candidates to what ``user`` may see (None: no restriction)."""
    if user.role in {"admin", "staff"}:
        return None
    if user.role != "referent":
        return false()
    epcis = set(user.territory)
    communes = communes_of_epcis(sorted(epcis))
    by_target = [
        cid
        for cid, area in session.execute(select(Candidate.id, Candidate.target_area))
        if _area_matches(area, epcis, communes)
    ]
    conditions = []
    if communes:
        conditions.append(Candidate.commune_insee.in_(sorted(communes)))
    if by_target:
        conditions.append(Candidate.id.in_(by_target))
    return or_(*conditions) if conditions else false()


def can_see_candidate(user: CurrentUser, candidate: Candidate) -> bool:
    """Whether ``user`` may open this prospect's page."""
    if user.role in {"admin", "staff"}:
        return True
    if user.role != "referent":
        return False
    epcis = set(user.territory)
    communes = communes_of_epcis(sorted(epcis))
    if candidate.commune_insee and candidate.commune_insee in communes:
        return True
    return _area_matches(candidate.target_area, epcis, communes)
