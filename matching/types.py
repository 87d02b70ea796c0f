"""Value types shared by the normalisation, deduplication and ranking functions.

They are plain dataclasses so that every package (crawlers, store, jobs, web) can build and read them
without importing anything heavy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

LocationLevel = Literal["commune", "departement"]


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place: a commune (with coordinates) or, when only that is known, a département."""

    insee: str | None
    name: str
    postal_code: str | None
    departement: str | None
    epci: str | None
    lat: float | None
    lon: float | None
    level: LocationLevel = "commune"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class RawPosting:
    """What a spider extracts from one posting, before normalisation (strings as the source wrote them).

    Only ``source``, ``source_id`` (or ``url``) and ``title`` are needed; everything else is optional.
    """

    source: str
    source_id: str | None = None
    url: str | None = None
    title: str | None = None
    employer: str | None = None
    employer_siret: str | None = None
    naf_code: str | None = None
    description: str | None = None  # HTML or text, unsanitised
    location: str | None = None  # free text: "46 - CAHORS", "St Céré (46400)"
    city: str | None = None
    postal_code: str | None = None
    departement: str | None = None
    insee: str | None = None  # an INSEE code given by the source (France Travail)
    lat: float | str | None = None
    lon: float | str | None = None
    contract: str | None = None  # "CDD - 6 mois", "CDI", "FULL_TIME"
    contract_duration: str | None = None
    working_time: str | None = None
    salary: str | None = None
    salary_min: float | str | None = None
    salary_max: float | str | None = None
    salary_unit: str | None = None  # HOUR / MONTH / YEAR
    experience: str | None = None
    published_at: str | None = None
    expires_at: str | None = None
    rome_code: str | None = None
    rome_label: str | None = None
    apply_url: str | None = None
    positions: int | str | None = None
    remote: str | None = None
    partners: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class NormalizedPosting:
    """A posting with comparable fields. ``flags`` lists what staff should look at (kept, not dropped);
    ``drop_reason`` is set when the posting must not be stored (e.g. ``missing_title``)."""

    source: str
    source_id: str
    url: str | None
    title: str
    title_clean: str
    employer: str | None = None
    employer_siret: str | None = None
    description_html: str | None = None
    description_text: str | None = None
    contract_type: str | None = None
    contract_duration_months: float | None = None
    working_time: str | None = None
    hours_per_week: float | None = None
    salary_min: float | None = None
    salary_max: float | None = None
    salary_period: str | None = None
    salary_text: str | None = None
    experience: str | None = None
    published_at: datetime | None = None
    expires_at: datetime | None = None
    rome_code: str | None = None
    rome_label: str | None = None
    rome_score: float | None = None
    location_label: str | None = None
    place: Place | None = None
    remote: str | None = None
    positions: int | None = None
    apply_url: str | None = None
    partners: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    drop_reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The documented JSON form of a normalised offer (README, "Normalised offer fields")."""
        place = self.place
        return {
            "source": self.source,
            "source_id": self.source_id,
            "url": self.url,
            "title": self.title,
            "title_clean": self.title_clean,
            "employer": self.employer,
            "employer_siret": self.employer_siret,
            "description": self.description_text,
            "description_html": self.description_html,
            "contract_type": self.contract_type,
            "contract_duration_months": self.contract_duration_months,
            "working_time": self.working_time,
            "hours_per_week": self.hours_per_week,
            "salary": {
                "min": self.salary_min,
                "max": self.salary_max,
                "period": self.salary_period,
                "text": self.salary_text,
            },
            "experience": self.experience,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "rome_code": self.rome_code,
            "rome_label": self.rome_label,
            "location": {
                "label": self.location_label,
                "insee": place.insee if place else None,
                "name": place.name if place else None,
                "postal_code": place.postal_code if place else None,
                "departement": place.departement if place else None,
                "epci": place.epci if place else None,
                "lat": place.lat if place else None,
                "lon": place.lon if place else None,
                "level": place.level if place else None,
            },
            "remote": self.remote,
            "positions": self.positions,
            "apply_url": self.apply_url,
            "partners": self.partners,
            "flags": self.flags,
        }
