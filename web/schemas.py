"""Pydantic schemas of the JSON API: separate input and output models, outputs are allowlists.

``*Public`` models are what may leave for anyone (the board) or for an employer (a shortlist): adding a
column to a table never adds a field here by accident.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class OfferPublic(_Out):
    """An offer as the public board shows it."""

    id: int
    title: str
    employer_name: str | None
    commune_name: str | None
    postal_code: str | None
    departement: str | None
    contract_type: str | None
    contract_duration_months: float | None
    working_time: str | None
    salary_min: float | None
    salary_max: float | None
    salary_period: str | None
    rome_code: str | None
    rome_label: str | None
    published_at: datetime | None
    expires_at: datetime | None
    apply_url: str | None
    url: str = Field(description="page of the offer on the public board")


class PostingOut(_Out):
    id: int
    source_id: str
    url: str | None
    title: str
    status: str
    first_seen_at: datetime
    last_seen_at: datetime


class OfferStaff(OfferPublic):
    """An offer as staff see it, with its postings (provenance)."""

    status: str
    published: bool
    epci: str | None
    flags: list[str]
    postings: list[PostingOut]


class OfferPage(BaseModel):
    total: int = Field(description="number of matching offers, at most the cap (then total_is_capped)")
    total_is_capped: bool = False
    page: int
    page_size: int
    offers: list[OfferPublic]


class ProspectSummary(_Out):
    id: int
    first_name: str | None
    last_name: str | None
    desired_jobs: str | None
    current_place: str | None
    status: str
    consent_share: bool
    last_contact_at: datetime


class ProspectOut(ProspectSummary):
    email: str | None
    phone: str | None
    skills: str | None
    experience_years: float | None
    diplomas: str | None
    languages: str | None
    driving_licence: bool | None
    contract_types: list[str]
    working_time: str | None
    available_from: date | None
    household_id: int | None
    consent_contact: bool


class ProspectPage(BaseModel):
    total: int
    page: int
    page_size: int
    prospects: list[ProspectSummary]


class MatchOut(BaseModel):
    offer_id: int
    offer_title: str | None
    score: float
    reasons: list[str]
    relevant: bool | None
    feedback_reason: str | None


class FeedbackIn(BaseModel):
    """A staff judgement on a proposed match."""

    offer_id: int
    relevant: bool
    reason: str | None = Field(default=None, max_length=2000)


class FeedbackOut(BaseModel):
    candidate_id: int
    offer_id: int
    relevant: bool
    reason: str | None
    staff: str | None


class AnswerIn(BaseModel):
    entry_id: int
    answer: Literal["interested", "not_interested"]
    comment: str | None = Field(default=None, max_length=4000)
