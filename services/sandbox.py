"""Keeping the demo sandbox out of a production database.

``ohmylot demo`` crawls a local sandbox, imports 40 fictitious prospects and ranks them: fine in its own
database, harmful in a real one (sandbox sources in the crawl-health page and the staff report, fake
prospects in the lists). ``foreign_data`` says what a database holds besides the demo's own data (the demo
refuses to run there unless told); ``remove_sandbox_data`` takes the demo's data out again afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from services.welcome_demo import DEMO_DOMAIN, remove_demo_welcome
from store.models import (
    Candidate,
    CandidateEvent,
    CrawlRun,
    DedupCorrection,
    Event,
    Household,
    Offer,
    Posting,
    PostingChange,
    Shortlist,
    Source,
    User,
)


def foreign_data(session: Session, sandbox_ids: Sequence[str], event_name: str) -> list[str]:
    """What the database holds that the demo did not put there, in French (empty: a demo database)."""
    found: list[str] = []
    sources = session.scalar(select(func.count()).select_from(Source).where(Source.id.not_in(sandbox_ids))) or 0
    if sources:
        found.append(f"{sources} source(s) hors bac à sable")
    # the référents accueil the demo seeds (services.welcome_demo) are its own data
    users = session.scalar(select(func.count()).select_from(User).where(User.email.not_like(f"%{DEMO_DOMAIN}"))) or 0
    if users:
        found.append(f"{users} compte(s)")
    demo_event = select(Event.id).where(Event.name == event_name).scalar_subquery()
    in_demo = select(CandidateEvent.candidate_id).where(CandidateEvent.event_id == demo_event)
    people = session.scalar(select(func.count()).select_from(Candidate).where(Candidate.id.not_in(in_demo))) or 0
    if people:
        found.append(f"{people} prospect(s) hors démonstration")
    return found


def remove_sandbox_data(session: Session, sandbox_ids: Sequence[str], event_name: str) -> dict[str, int]:
    """Delete the sandbox sources with their runs, postings and the offers left without postings, and the
    demo's job fair with the prospects met only there (their matches go with them). Returns the counts."""
    removed: dict[str, int] = dict(remove_demo_welcome(session))
    event_id = session.scalar(select(Event.id).where(Event.name == event_name))
    if event_id is not None:
        other_events = select(CandidateEvent.candidate_id).where(CandidateEvent.event_id != event_id)
        only_demo = (select(CandidateEvent.candidate_id)
                     .where(CandidateEvent.event_id == event_id, CandidateEvent.candidate_id.not_in(other_events)))
        households = set(session.scalars(select(Candidate.household_id).where(
            Candidate.id.in_(only_demo), Candidate.household_id.is_not(None))))
        removed["prospects"] = session.execute(delete(Candidate).where(Candidate.id.in_(only_demo))).rowcount
        if households:
            emptied = Household.id.in_(households) & Household.id.not_in(
                select(Candidate.household_id).where(Candidate.household_id.is_not(None)))
            session.execute(delete(Household).where(emptied))
        session.execute(delete(CandidateEvent).where(CandidateEvent.event_id == event_id))
        session.execute(delete(Event).where(Event.id == event_id))
    sandbox_postings = select(Posting.id).where(Posting.source_id.in_(sandbox_ids))
    touched_offers = set(session.scalars(select(Posting.offer_id).where(
        Posting.source_id.in_(sandbox_ids), Posting.offer_id.is_not(None))))
    session.execute(delete(PostingChange).where(PostingChange.posting_id.in_(sandbox_postings)))
    session.execute(delete(DedupCorrection).where(or_(DedupCorrection.posting_a_id.in_(sandbox_postings),
                                                      DedupCorrection.posting_b_id.in_(sandbox_postings))))
    removed["postings"] = session.execute(delete(Posting).where(Posting.source_id.in_(sandbox_ids))).rowcount
    if touched_offers:
        orphan = (Offer.id.in_(touched_offers)
                  & Offer.id.not_in(select(Posting.offer_id).where(Posting.offer_id.is_not(None)))
                  & Offer.id.not_in(select(Shortlist.offer_id)))
        removed["offers"] = session.execute(delete(Offer).where(orphan)).rowcount
    removed["crawl_runs"] = session.execute(delete(CrawlRun).where(CrawlRun.source_id.in_(sandbox_ids))).rowcount
    removed["sources"] = session.execute(delete(Source).where(Source.id.in_(sandbox_ids))).rowcount
    return removed
