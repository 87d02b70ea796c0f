"""Who may see which prospect (W4): a référent sees the prospects of their territory only.

A prospect is in a référent's territory when they live in a commune of one of the référent's EPCIs, or
when their target area names one of those EPCIs (or one of their communes). Everyone else on the staff
sees every prospect; employers see none (they only get shortlists).

Likewise for the employers' network: a référent sees the members whose seat is in one of their EPCIs (and,
through them, those members' offers and kit downloads); the staff see every member.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, cast, exists, false, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB, array
from sqlalchemy.orm import Session

from services.auth import CurrentUser
from services.reference import communes_of_epcis
from store.models import Candidate, NetworkMember


def _area_matches(area: dict[str, Any] | None, epcis: set[str], communes: set[str]) -> bool:
    if not area:
        return False
    if epcis & {str(code) for code in area.get("epcis") or []}:
        return True
    return bool(communes & {str(code) for code in area.get("communes") or []})


def _target_condition(session: Session, key: str, codes: list[str]) -> ColumnElement[bool] | None:
    """``target_area[key]`` shares a code with ``codes``, in SQL (JSON functions of SQLite / PostgreSQL)."""
    if not codes:
        return None
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        items = func.json_each(Candidate.target_area, f"$.{key}").table_valued("value")
        return exists(select(1).select_from(items).where(items.c.value.in_(codes)))
    if dialect == "postgresql":
        return cast(Candidate.target_area, JSONB)[key].has_any(array(codes))
    ids = [cid for cid, area in session.execute(select(Candidate.id, Candidate.target_area))
           if _area_matches(area, set(codes) if key == "epcis" else set(), set(codes) if key == "communes" else set())]
    return Candidate.id.in_(ids) if ids else None


def candidate_scope(session: Session, user: CurrentUser) -> ColumnElement[bool] | None:
    """A SQL condition restricting candidates to what ``user`` may see (None: no restriction).

    A référent sees the prospects assigned to them, those living in their territory and those whose
    target area names one of its EPCIs or communes.
    """
    if user.role in {"admin", "staff"}:
        return None
    if user.role != "referent":
        return false()
    epcis = sorted(set(user.territory or []))
    communes = sorted(communes_of_epcis(epcis))
    conditions: list[ColumnElement[bool]] = [Candidate.referent_id == user.id]
    if communes:
        conditions.append(Candidate.commune_insee.in_(communes))
    for key, codes in (("epcis", epcis), ("communes", communes)):
        condition = _target_condition(session, key, codes)
        if condition is not None:
            conditions.append(condition)
    return or_(*conditions)


def can_see_candidate(user: CurrentUser, candidate: Candidate) -> bool:
    """Whether ``user`` may open this prospect's page."""
    if user.role in {"admin", "staff"}:
        return True
    if user.role != "referent":
        return False
    if candidate.referent_id == user.id:
        return True
    epcis = set(user.territory or [])
    communes = communes_of_epcis(sorted(epcis))
    if candidate.commune_insee and candidate.commune_insee in communes:
        return True
    return _area_matches(candidate.target_area, epcis, communes)


def member_scope(user: CurrentUser) -> ColumnElement[bool] | None:
    """A SQL condition restricting network members to what ``user`` may see (None: no restriction)."""
    if user.role in {"admin", "staff"}:
        return None
    if user.role != "referent":
        return false()
    return NetworkMember.epci.in_(sorted(set(user.territory or [])) or ["-"])


def can_see_member(user: CurrentUser, member: NetworkMember) -> bool:
    """Whether ``user`` may open this network member's page (and act on its offers)."""
    if user.role in {"admin", "staff"}:
        return True
    return user.role == "referent" and member.epci is not None and member.epci in set(user.territory or [])
