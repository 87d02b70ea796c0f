"""Matches in the database: re-ranking, reading, household places and staff feedback.

- ``rerank_database``: ranks the open offers for every (or some) candidate with ``matching.rank`` and
  replaces each candidate's ``Match`` rows (a pair that stays keeps its ``notified_at``). Offers a staff
  member marked *not relevant* for a candidate are never proposed to that candidate again.
- ``matches_for_candidate``: the stored matches of a candidate, best first.
- ``candidates_for_offer``: the best prospects for one offer, computed live (same score and hard filters as
  the other direction, so an offer that is in nobody's top list still finds its prospects).
- ``household_places``: places where every job-seeking member of a household reaches good offers.
- ``record_feedback``: a staff judgement, stored in ``MatchFeedback`` (a separate table: re-ranking never
  touches it).

Anonymised candidates are never ranked (their matches are removed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from matching.households import HouseholdPlace, rank_household_places
from matching.metrics import reciprocal_rank
from matching.rank import DEFAULT_WEIGHTS, OfferDoc, OfferIndex, Profile, Ranker, RankWeights, score_offer
from store.models import Candidate, Match, MatchFeedback, Offer


@dataclass(slots=True)
class RerankStats:
    """What a re-ranking did."""

    candidates: int = 0
    offers: int = 0
    matches: int = 0
    excluded_by_feedback: int = 0
    without_match: int = 0
    duration_s: float = 0.0


# --------------------------------------------------------------------------------------------------
# Model → ranker representations
# --------------------------------------------------------------------------------------------------


def offer_doc(offer: Offer) -> OfferDoc:
    """The ranker's view of an ``Offer`` row."""
    return OfferDoc(
        id=str(offer.id),
        title=offer.title_clean or offer.title or "",
        description=offer.description_text or "",
        employer=offer.employer_name,
        contract_type=offer.contract_type,
        working_time=offer.working_time,
        rome_code=offer.rome_code,
        rome_label=offer.rome_label,
        insee=offer.commune_insee,
        commune_name=offer.commune_name,
        departement=offer.departement,
        epci=offer.epci,
        lat=offer.lat,
        lon=offer.lon,
        remote=offer.remote,
        published_at=offer.published_at,
        expires_at=offer.expires_at,
        status=offer.status or "open",
        flags=list(offer.flags or []),
    )


def candidate_profile(candidate: Candidate) -> Profile:
    """The ranker's view of a ``Candidate`` row."""
    area = candidate.target_area or {}
    return Profile(
        id=str(candidate.id),
        desired_jobs=candidate.desired_jobs or "",
        rome_codes=[str(c) for c in (candidate.rome_codes or [])],
        skills=candidate.skills or "",
        experience_years=candidate.experience_years,
        diplomas=candidate.diplomas or "",
        languages=candidate.languages or "",
        driving_licence=candidate.driving_licence,
        contract_types=[str(c) for c in (candidate.contract_types or [])],
        contract_required=bool(candidate.contract_required),
        working_time=candidate.working_time,
        working_time_required=bool(candidate.working_time_required),
        available_from=candidate.available_from,
        lat=candidate.lat,
        lon=candidate.lon,
        insee=candidate.commune_insee,
        target_communes=[str(c) for c in area.get("communes") or []],
        target_epcis=[str(c) for c in area.get("epcis") or []],
        target_departements=[str(c) for c in area.get("departements") or []],
        radius_km=candidate.radius_km,
        household_id=str(candidate.household_id) if candidate.household_id is not None else None,
    )


# --------------------------------------------------------------------------------------------------
# The offer index, cached per state of the offer table
# --------------------------------------------------------------------------------------------------

_cache_lock = Lock()
# One build at a time: a request arriving while the start-up warm-up builds the index waits for that index
# instead of building a second one beside it (each would slow the other down).
_build_lock = Lock()
_cache: dict[tuple[Any, ...], OfferIndex] = {}


def _offer_signature(session: Session) -> tuple[Any, ...]:
    count, last_id, last_update = session.execute(
        select(func.count(Offer.id), func.max(Offer.id), func.max(Offer.updated_at)).where(Offer.status == "open")
    ).one()
    return (session.get_bind().engine.url.render_as_string(hide_password=True), count, last_id, str(last_update))


def offer_index(session: Session) -> OfferIndex:
    """An index of the open offers; rebuilt only when the offer table changed (count, last id, last update)."""
    key = _offer_signature(session)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    with _build_lock:
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        offers = session.scalars(select(Offer).where(Offer.status == "open").order_by(Offer.id)).all()
        index = OfferIndex([offer_doc(o) for o in offers if (o.title_clean or o.title)])
        with _cache_lock:
            _cache.clear()
            _cache[key] = index
    return index


def _active_candidates(session: Session, candidate_ids: Any = None) -> list[Candidate]:
    query = select(Candidate).where(Candidate.anonymized_at.is_(None)).order_by(Candidate.id)
    if candidate_ids is not None:
        query = query.where(Candidate.id.in_(list(candidate_ids)))
    return list(session.scalars(query))


def _rejected_offers(session: Session, candidate_ids: list[int]) -> dict[int, set[str]]:
    rejected: dict[int, set[str]] = {}
    if not candidate_ids:
        return rejected
    rows = session.execute(
        select(MatchFeedback.candidate_id, MatchFeedback.offer_id).where(
            MatchFeedback.relevant.is_(False), MatchFeedback.candidate_id.in_(candidate_ids)
        )
    )
    for candidate_id, offer_id in rows:
        rejected.setdefault(candidate_id, set()).add(str(offer_id))
    return rejected


# --------------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------------


def rerank_database(
    session: Session,
    *,
    candidate_ids: Any = None,
    top: int = 20,
    now: datetime | None = None,
    weights: RankWeights = DEFAULT_WEIGHTS,
) -> RerankStats:
    """Rank the open offers for the candidates (all, or ``candidate_ids``) and replace their ``Match`` rows."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    stats = RerankStats()
    index = offer_index(session)
    stats.offers = len(index)
    ranker = Ranker(index, weights)
    candidates = _active_candidates(session, candidate_ids)
    rejected = _rejected_offers(session, [c.id for c in candidates])
    if candidate_ids is None:
        # anonymised candidates keep no match
        session.execute(
            delete(Match).where(
                Match.candidate_id.in_(select(Candidate.id).where(Candidate.anonymized_at.is_not(None)))
            )
        )
    for candidate in candidates:
        stats.candidates += 1
        refused = rejected.get(candidate.id, set())
        ranked = ranker.rank(candidate_profile(candidate), top=top + len(refused), now=now)
        kept = [r for r in ranked if r.offer_id not in refused][:top]
        stats.excluded_by_feedback += sum(1 for r in ranked if r.offer_id in refused)
        previous = {m.offer_id: m for m in session.scalars(select(Match).where(Match.candidate_id == candidate.id))}
        wanted = {int(r.offer_id) for r in kept}
        for offer_id, match in previous.items():
            if offer_id not in wanted:
                session.delete(match)
        session.flush()
        for rank, item in enumerate(kept, start=1):
            match = previous.get(int(item.offer_id))
            if match is None:
                match = Match(candidate_id=candidate.id, offer_id=int(item.offer_id))
                session.add(match)
            match.score = item.score
            match.rank = rank
            match.reasons = list(item.reasons)
            match.computed_at = now
        stats.matches += len(kept)
        if not kept:
            stats.without_match += 1
    session.flush()
    stats.duration_s = round(time.perf_counter() - started, 3)
    return stats


def matches_for_candidate(session: Session, candidate_id: int, limit: int = 10) -> list[Match]:
    """The stored matches of a candidate, best first (run ``rerank_database`` to refresh them)."""
    return list(
        session.scalars(
            select(Match)
            .where(Match.candidate_id == candidate_id)
            .order_by(Match.rank.asc().nulls_last(), Match.score.desc(), Match.offer_id)
            .limit(limit)
        )
    )


def candidates_for_offer(
    session: Session, offer_id: int, limit: int = 10, *, now: datetime | None = None
) -> list[Match]:
    """The best prospects for one offer, best first, computed live.

    Returns ``Match`` objects that are *not* added to the session (``rank``, ``score``, ``reasons`` set);
    candidates a staff member marked not relevant for this offer are left out.
    """
    now = now or datetime.now(UTC)
    index = offer_index(session)
    if str(offer_id) not in index.position:
        return []
    refused = {
        c
        for (c,) in session.execute(
            select(MatchFeedback.candidate_id).where(
                MatchFeedback.offer_id == offer_id, MatchFeedback.relevant.is_(False)
            )
        )
    }
    scored = []
    for candidate in _active_candidates(session):
        if candidate.id in refused:
            continue
        ranked = score_offer(candidate_profile(candidate), index, str(offer_id), now=now)
        if ranked is not None:
            scored.append((candidate.id, ranked))
    scored.sort(key=lambda pair: (-pair[1].score, pair[0]))
    return [
        Match(
            candidate_id=candidate_id,
            offer_id=offer_id,
            score=ranked.score,
            rank=rank,
            reasons=list(ranked.reasons),
            computed_at=now,
        )
        for rank, (candidate_id, ranked) in enumerate(scored[:limit], start=1)
    ]


def household_places(
    session: Session, household_id: int, limit: int = 5, *, level: str = "epci", now: datetime | None = None
) -> list[HouseholdPlace]:
    """Places (EPCIs, or communes with ``level="commune"``) where every job-seeking member has good offers."""
    members = session.scalars(
        select(Candidate)
        .where(Candidate.household_id == household_id, Candidate.anonymized_at.is_(None))
        .order_by(Candidate.id)
    ).all()
    if not members:
        return []
    index = offer_index(session)
    return rank_household_places([candidate_profile(m) for m in members], index, limit=limit, level=level, now=now)


def record_feedback(
    session: Session,
    candidate_id: int,
    offer_id: int,
    relevant: bool,
    reason: str | None,
    staff: str | None,
) -> MatchFeedback:
    """Record (or replace) a staff judgement on a candidate × offer pair; raises ``LookupError`` on unknown ids."""
    if session.get(Candidate, candidate_id) is None:
        raise LookupError(f"candidat {candidate_id} inconnu")
    if session.get(Offer, offer_id) is None:
        raise LookupError(f"offre {offer_id} inconnue")
    row = session.scalar(
        select(MatchFeedback).where(MatchFeedback.candidate_id == candidate_id, MatchFeedback.offer_id == offer_id)
    )
    if row is None:
        row = MatchFeedback(candidate_id=candidate_id, offer_id=offer_id, relevant=bool(relevant))
        session.add(row)
    row.relevant = bool(relevant)
    row.reason = (reason or "").strip() or None
    row.staff = staff
    row.created_at = datetime.now(UTC)
    session.flush()
    return row


@dataclass(slots=True)
class FeedbackEvaluation:
    """How the stored proposals fare against staff marks (``MatchFeedback``)."""

    marks: int = 0
    relevant_marks: int = 0
    candidates: int = 0
    judged_proposals: int = 0
    precision_of_judged: float | None = None
    mrr: float | None = None
    rejected_still_proposed: int = 0


def feedback_evaluation(session: Session, *, k: int = 10) -> FeedbackEvaluation:
    """Staff marks as judgements of the current top ``k`` of each marked candidate: share of judged proposals
    marked relevant, and mean reciprocal rank of the first proposal marked relevant."""
    result = FeedbackEvaluation()
    marks: dict[int, dict[str, int]] = {}
    for row in session.scalars(select(MatchFeedback)):
        result.marks += 1
        result.relevant_marks += int(row.relevant)
        marks.setdefault(row.candidate_id, {})[str(row.offer_id)] = 2 if row.relevant else 0
    result.candidates = len(marks)
    judged, good, rrs = 0, 0, []
    for candidate_id, judged_offers in marks.items():
        ranked = [str(m.offer_id) for m in matches_for_candidate(session, candidate_id, limit=k)]
        in_top = [o for o in ranked if o in judged_offers]
        judged += len(in_top)
        good += sum(1 for o in in_top if judged_offers[o] == 2)
        result.rejected_still_proposed += sum(1 for o in in_top if judged_offers[o] == 0)
        if any(g == 2 for g in judged_offers.values()):
            rrs.append(reciprocal_rank(ranked, judged_offers))
    result.judged_proposals = judged
    result.precision_of_judged = round(good / judged, 4) if judged else None
    result.mrr = round(sum(rrs) / len(rrs), 4) if rrs else None
    return result
