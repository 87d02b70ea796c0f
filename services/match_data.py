"""Reading proposed matches and recording staff feedback for the web app, through ``services.matching``.

The ranking engine (``services.matching``) computes and stores ``Match`` rows; the web app only reads them and
records ``MatchFeedback`` (kept apart so that re-ranking never loses a staff judgement).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import matching as engine
from services.auth import CurrentUser
from services.visibility import can_see_candidate
from store.models import Candidate, Match, MatchFeedback, Offer


@dataclass
class MatchRow:
    """A proposed match as shown to staff."""

    match: Match
    offer: Offer | None
    candidate: Candidate | None
    feedback: MatchFeedback | None


def _feedbacks(session: Session, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], MatchFeedback]:
    if not pairs:
        return {}
    candidate_ids = {c for c, _ in pairs}
    offer_ids = {o for _, o in pairs}
    rows = session.scalars(
        select(MatchFeedback).where(
            MatchFeedback.candidate_id.in_(candidate_ids), MatchFeedback.offer_id.in_(offer_ids)
        )
    )
    return {(fb.candidate_id, fb.offer_id): fb for fb in rows}


def offers_for_candidate(session: Session, candidate_id: int, limit: int = 10) -> list[MatchRow]:
    """The best offers proposed for a prospect, best first, with any staff feedback."""
    matches = engine.matches_for_candidate(session, candidate_id, limit=limit)
    offers = {o.id: o for o in session.scalars(select(Offer).where(Offer.id.in_([m.offer_id for m in matches])))}
    feedback = _feedbacks(session, [(m.candidate_id, m.offer_id) for m in matches])
    return [
        MatchRow(m, offers.get(m.offer_id), None, feedback.get((m.candidate_id, m.offer_id))) for m in matches
    ]


def candidates_for_offer(
    session: Session, offer_id: int, limit: int = 10, user: CurrentUser | None = None
) -> list[MatchRow]:
    """The best prospects for an offer that ``user`` may see, best first.

    Computed live by the ranking engine (``services.matching.candidates_for_offer``),
    completed with the stored matches of the nightly re-ranking (each prospect once, best score kept).
    """
    found: dict[int, Match] = {}
    wanted = limit if user is None or user.role != "referent" else limit * 5
    for match in engine.candidates_for_offer(session, offer_id, limit=wanted):
        found[match.candidate_id] = match
    stored = session.scalars(
        select(Match).where(Match.offer_id == offer_id).order_by(Match.score.desc()).limit(limit * 5)
    )
    for match in stored:
        if match.candidate_id not in found or found[match.candidate_id].score < match.score:
            found[match.candidate_id] = match
    candidates = {
        c.id: c
        for c in session.scalars(
            select(Candidate).where(Candidate.id.in_(list(found)), Candidate.anonymized_at.is_(None))
        )
    }
    ordered = sorted(found.values(), key=lambda m: (-m.score, m.candidate_id))
    visible = [
        m for m in ordered
        if m.candidate_id in candidates and (user is None or can_see_candidate(user, candidates[m.candidate_id]))
    ][:limit]
    feedback = _feedbacks(session, [(m.candidate_id, m.offer_id) for m in visible])
    return [MatchRow(m, None, candidates[m.candidate_id], feedback.get((m.candidate_id, m.offer_id))) for m in visible]


def record_feedback(
    session: Session, candidate_id: int, offer_id: int, relevant: bool, reason: str | None, staff: str
) -> MatchFeedback:
    """Record (or replace) a staff judgement on a proposed match."""
    return engine.record_feedback(session, candidate_id, offer_id, relevant, reason, staff)
