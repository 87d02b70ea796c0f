"""Reversible merges (issue 18 item 5): split a wrongly merged source back into its own prospect.

An import row (or booth-form entry) with a known e-mail is merged into that prospect; the prospect keeps what
each source said (``store.prospect_sources``). ``split_source`` undoes one merge:

- a new prospect is made from what the source said: its fields, its consents (with the date and channel of
  that source), the event where it was met, a référent from its target EPCI;
- the prospect it was merged into gets back, for each field the source had set, the value of its other
  sources (the latest that gives one), or nothing; a field staff or another source changed since is kept.
  Its notes lose the source's note; its consents given by that source only come from its other sources; it
  keeps the event when another of its sources was met there;
- staff's own work (path, notes, tasks, feedback, shortlists, household) stays with the prospect it was done
  on; the offers proposed to both are ranked again (``services.matching.rerank_database``);
- one audit row (``candidates.split``) names the staff member, both prospects and the restored fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.audit import record
from services.matching import rerank_database
from store.candidates import PROFILE_FIELDS, assign_referent, aware, link_event, upsert_candidate
from store.models import Candidate, CandidateEvent, CandidateSource, CandidateStatus, Event
from store.prospect_sources import fields_values, sources_of

EMPTY: dict[str, Any] = {"rome_codes": [], "contract_types": [], "target_area": {}}


class MergeError(ValueError):
    """A split that cannot be done; the message is French, one line."""


@dataclass
class SplitResult:
    """What a split did: the prospect kept, the new one, the fields given back to the kept one."""

    kept: Candidate
    created: Candidate
    restored: list[str] = field(default_factory=list)


def source_label(source: CandidateSource, event_name: str | None) -> str:
    """``Salon TAF 2025 — salon.csv ligne 12`` (or the channel for a form entry)."""
    where = f"{source.file_name} ligne {source.line}" if source.file_name else source.channel
    return f"{event_name} — {where}" if event_name else where


def splittable_source(session: Session, source_id: int) -> tuple[CandidateSource, Candidate]:
    """The source and its prospect, when the source can be split off; ``MergeError`` otherwise."""
    source = session.get(CandidateSource, source_id)
    candidate = session.get(Candidate, source.candidate_id) if source is not None else None
    if source is None or candidate is None or candidate.anonymized_at is not None:
        raise MergeError(f"source n° {source_id} introuvable (voir « ohmylot candidates sources N »)")
    if len(sources_of(session, candidate.id)) < 2:
        raise MergeError(f"la fiche n° {candidate.id} n'a qu'une source : rien à séparer")
    return source, candidate


def split_source(
    session: Session, source_id: int, *, staff: str | None, now: datetime | None = None, rerank: bool = True
) -> SplitResult:
    """Split source ``source_id`` off its prospect into a new prospect (see the module docstring)."""
    now = now or datetime.now(UTC)
    source, kept = splittable_source(session, source_id)
    others = [s for s in sources_of(session, kept.id) if s.id != source.id]
    values = fields_values(source.fields)
    created = _new_prospect(session, source, values, now)
    restored = _restore(kept, source, values, others)
    _move_event(session, source, kept, created, others)
    source.candidate_id = created.id
    kept.updated_at = now
    session.flush()
    if rerank:
        rerank_database(session, candidate_ids=[kept.id, created.id], now=now)
    record(session, staff, "candidates.split", "candidate", kept.id,
           {"source": source.id, "new_candidate": created.id, "restored": restored})
    session.flush()
    return SplitResult(kept, created, restored)


def _new_prospect(session: Session, source: CandidateSource, values: dict[str, Any], now: datetime) -> Candidate:
    """A prospect made of what ``source`` said, met when and where it was."""
    met_at = aware(source.met_at) or now
    candidate = Candidate(
        status="met", created_at=now, last_contact_at=met_at, rome_codes=[], target_area={}, contract_types=[],
        path=[CandidateStatus(status="met", changed_at=met_at, staff=None, note=None)],
    )
    session.add(candidate)
    session.flush()
    # the same rules as an import into an empty prospect: every value, consents stamped with the source
    upsert_candidate(session, values, met_at=met_at, channel=source.channel, now=now, known=candidate)
    candidate.created_at = now
    assign_referent(session, candidate, list(values.get("target_epcis", [])) + list(values.get("home_epcis", [])))
    return candidate


def _latest(others: list[CandidateSource], name: str) -> tuple[Any, CandidateSource | None]:
    """The value of ``name`` in the latest of ``others`` that gives one (sources are oldest first)."""
    for other in reversed(others):
        value = fields_values(other.fields).get(name)
        if value not in (None, "", [], {}):
            return value, other
    return None, None


def _restore(kept: Candidate, source: CandidateSource, values: dict[str, Any],
             others: list[CandidateSource]) -> list[str]:
    """Give ``kept`` back the fields ``source`` had set; returns their names."""
    restored: list[str] = []
    for name in PROFILE_FIELDS:
        given = values.get(name)
        if given in (None, "", [], {}) or getattr(kept, name) != given:
            continue  # the source did not set it, or staff / a later source changed it since
        value, _ = _latest(others, name)
        if value != given:
            setattr(kept, name, value if value is not None else EMPTY.get(name))
            restored.append(name)
    note = (values.get("notes") or "").strip()
    if note and kept.notes and not any((fields_values(o.fields).get("notes") or "").strip() == note for o in others):
        lines = [line for line in kept.notes.split("\n") if line.strip() != note]
        kept.notes = "\n".join(lines) or None
        restored.append("notes")
    if values.get("partner") and kept.partner_hint == values["partner"]:
        kept.partner_hint = _latest(others, "partner")[0]
        restored.append("partner_hint")
    for purpose in ("contact", "share"):
        if _restore_consent(kept, source, others, purpose):
            restored.append(f"consent_{purpose}")
    if aware(kept.last_contact_at) == aware(source.met_at):
        steps = [aware(step.changed_at) for step in kept.path if step.staff]
        latest = max([aware(o.met_at) for o in others] + [s for s in steps if s is not None])
        if latest is not None and latest != aware(kept.last_contact_at):
            kept.last_contact_at = latest
    return restored


def _restore_consent(kept: Candidate, source: CandidateSource, others: list[CandidateSource], purpose: str) -> bool:
    """A consent recorded by ``source`` (same date and channel) comes back from the other sources, or is none."""
    at, channel = getattr(kept, f"consent_{purpose}_at"), getattr(kept, f"consent_{purpose}_channel")
    if at is None or aware(at) != aware(source.met_at) or channel != source.channel[:80]:
        return False  # given or withdrawn by someone else (staff, the person, another import): kept
    answer = next((o for o in reversed(others) if o.fields.get(f"consent_{purpose}") is not None), None)
    setattr(kept, f"consent_{purpose}", bool(answer.fields[f"consent_{purpose}"]) if answer else False)
    setattr(kept, f"consent_{purpose}_at", answer.met_at if answer else None)
    setattr(kept, f"consent_{purpose}_channel", answer.channel if answer else None)
    return True


def _move_event(session: Session, source: CandidateSource, kept: Candidate, created: Candidate,
                others: list[CandidateSource]) -> None:
    """The new prospect was met at the source's event; the kept one only if another of its sources was too."""
    event = session.get(Event, source.event_id) if source.event_id is not None else None
    if event is None:
        return
    link_event(session, created, event, aware(source.met_at) or source.met_at)
    if not any(o.event_id == event.id for o in others):
        session.execute(delete(CandidateEvent).where(
            CandidateEvent.candidate_id == kept.id, CandidateEvent.event_id == event.id))


def sources_with_events(session: Session, candidate_id: int) -> list[tuple[CandidateSource, str | None]]:
    """A prospect's sources (oldest first) with the name of their event."""
    rows = session.execute(
        select(CandidateSource, Event.name).outerjoin(Event, Event.id == CandidateSource.event_id)
        .where(CandidateSource.candidate_id == candidate_id)
        .order_by(CandidateSource.met_at, CandidateSource.given_at, CandidateSource.id)
    ).all()
    return [(source, name) for source, name in rows]
