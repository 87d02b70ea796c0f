"""What each import row or booth-form entry said about a prospect (``CandidateSource``, issue 18 item 5).

- ``source_fields``: the checked values of one source as JSON (dates as ISO text), and ``fields_values`` back.
- ``record_source``: keeps one source for the prospect it was merged into; the same row imported again (same
  event, file and fields) is the same source, moved to the new import (``batch``) rather than copied.
- ``BatchSeen``: the prospects a running import has already saved, asked to the database (an import of any
  number of rows keeps no per-row memory).
- ``known_prospect``: the prospect a row already went to (after a split, the same row goes back to the
  prospect staff split it into, not to the one it was wrongly merged with).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Candidate, CandidateSource

# The checked values a source keeps: the profile, notes, partner, consents and EPCIs (for the référent).
SOURCE_FIELDS = (
    "first_name", "last_name", "email", "phone", "desired_jobs", "rome_codes", "skills", "experience_years",
    "diplomas", "languages", "driving_licence", "contract_types", "available_from", "current_place",
    "commune_insee", "lat", "lon", "target_area", "radius_km", "notes", "partner", "consent_contact",
    "consent_share", "home_epcis", "target_epcis",
)


def source_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON-ready fields a source keeps (empty values left out, dates as ISO text)."""
    out: dict[str, Any] = {}
    for name in SOURCE_FIELDS:
        value = values.get(name)
        if value is None or value == "" or value == [] or value == {}:
            continue
        out[name] = value.isoformat() if isinstance(value, (date, datetime)) else value
    return out


def fields_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A source's fields as checked values again (``available_from`` a date)."""
    values = dict(fields)
    if isinstance(values.get("available_from"), str):
        values["available_from"] = date.fromisoformat(values["available_from"][:10])
    return values


def digest_of(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _same_source(event_id: int | None, file_name: str | None, digest: str) -> Any:
    query = select(CandidateSource).where(CandidateSource.digest == digest)
    query = query.where(CandidateSource.event_id == event_id if event_id is not None
                        else CandidateSource.event_id.is_(None))
    return query.where(CandidateSource.file_name == file_name if file_name is not None
                       else CandidateSource.file_name.is_(None))


def known_prospect(session: Session, values: Mapping[str, Any], *, event_id: int | None,
                   file_name: str | None) -> Candidate | None:
    """The prospect this very row (same event, file and fields) already went to, when it is not anonymised."""
    if file_name is None:
        return None  # a booth-form entry is typed again by hand: the usual dedup decides
    digest = digest_of(source_fields(values))
    candidate_id = session.scalar(
        _same_source(event_id, file_name, digest).with_only_columns(CandidateSource.candidate_id)
        .order_by(CandidateSource.id.desc()).limit(1)
    )
    candidate = session.get(Candidate, candidate_id) if candidate_id is not None else None
    return candidate if candidate is not None and candidate.anonymized_at is None else None


def record_source(
    session: Session,
    candidate: Candidate,
    values: Mapping[str, Any],
    *,
    event_id: int | None,
    channel: str,
    file_name: str | None,
    line: int | None,
    batch: str,
    outcome: str,
    met_at: datetime,
    now: datetime,
) -> CandidateSource:
    """Keep what this source said about ``candidate`` (see the module docstring); returns the source."""
    fields = source_fields(values)
    digest = digest_of(fields)
    existing = session.scalar(
        _same_source(event_id, file_name, digest).where(CandidateSource.candidate_id == candidate.id).limit(1)
    )
    if existing is not None:
        if existing.batch != batch:  # imported again: the same source, now of this import
            existing.batch, existing.line, existing.given_at = batch, line, now
        return existing
    source = CandidateSource(
        candidate_id=candidate.id, event_id=event_id, channel=channel[:80], file_name=file_name and file_name[:300],
        line=line, fields=fields, digest=digest, outcome=outcome, batch=batch, met_at=met_at, given_at=now,
    )
    session.add(source)
    return source


class BatchSeen:
    """The prospects import ``batch`` has saved so far (``id in seen``), asked to the database."""

    def __init__(self, session: Session, batch: str) -> None:
        self.session, self.batch = session, batch

    def first_line(self, candidate_id: int, before: int | None = None) -> int | None:
        """The first line of this import that went to ``candidate_id`` (before line ``before``), or None."""
        query = select(func.min(CandidateSource.line)).where(
            CandidateSource.batch == self.batch, CandidateSource.candidate_id == candidate_id
        )
        if before is not None:
            query = query.where(CandidateSource.line < before)
        return self.session.scalar(query)

    def __contains__(self, candidate_id: object) -> bool:
        return isinstance(candidate_id, int) and self.first_line(candidate_id) is not None

    def __iter__(self) -> Iterator[int]:
        return iter(self.session.scalars(
            select(CandidateSource.candidate_id).where(CandidateSource.batch == self.batch).distinct()
        ))

    def __len__(self) -> int:
        return int(self.session.scalar(
            select(func.count(func.distinct(CandidateSource.candidate_id))).where(CandidateSource.batch == self.batch)
        ) or 0)


def sources_of(session: Session, candidate_id: int) -> list[CandidateSource]:
    """A prospect's sources, oldest meeting first."""
    return list(session.scalars(
        select(CandidateSource).where(CandidateSource.candidate_id == candidate_id)
        .order_by(CandidateSource.met_at, CandidateSource.given_at, CandidateSource.id)
    ))
