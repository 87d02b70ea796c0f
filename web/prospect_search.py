"""Prospect list queries, always restricted to what the signed-in user may see (W4)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import HTTPException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.auth import CurrentUser
from services.visibility import can_see_candidate, candidate_scope
from store.models import Candidate, CandidateEvent
from store.search import PROSPECTS, text_match

PAGE_SIZE = 50


@dataclass
class ProspectPage:
    prospects: list[Candidate]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def search_prospects(
    session: Session, user: CurrentUser, *, q: str = "", status: str = "", event_id: int | None = None,
    page: int = 1, page_size: int = PAGE_SIZE,
) -> ProspectPage:
    """Prospects visible to ``user``, most recent contact first; ``q`` searches names, jobs, places, e-mail
    with the database's full-text index (``store.search``)."""
    conditions = [Candidate.anonymized_at.is_(None)]
    scope = candidate_scope(session, user)
    if scope is not None:
        conditions.append(scope)
    match = text_match(session, PROSPECTS, q.strip()[:200])
    if status:
        conditions.append(Candidate.status == status[:20])
    if event_id:
        conditions.append(
            Candidate.id.in_(select(CandidateEvent.candidate_id).where(CandidateEvent.event_id == event_id))
        )
    query = select(Candidate) if match is None else match.apply(select(Candidate))
    query = query.where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(Candidate.id).subquery())) or 0
    page = max(1, page)
    order = (Candidate.last_contact_at.desc(), Candidate.id.desc())
    # Words searched: best match first (then the most recent contact); otherwise most recent contact first.
    ordered = query.order_by(*order) if match is None else query.order_by(match.relevance, *order)
    rows = session.scalars(ordered.limit(page_size).offset((page - 1) * page_size))
    return ProspectPage(list(rows), total, page, page_size)


def prospect_or_404(session: Session, user: CurrentUser, candidate_id: int) -> Candidate:
    """The prospect if ``user`` may see it; otherwise 404, the same as when it does not exist (W4)."""
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.anonymized_at is not None or not can_see_candidate(user, candidate):
        raise HTTPException(status_code=404, detail="Prospect introuvable.")
    return candidate
