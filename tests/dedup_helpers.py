"""Helpers shared by the deduplication tests: realistic Lot postings as database rows or JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from store.models import Posting, Source

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)

NURSE_DESC = (
    "Le centre hospitalier de Cahors recrute un infirmier diplômé d'État pour son service de {service}. "
    "Vous assurez les soins techniques et relationnels auprès des patients, la surveillance clinique, "
    "la traçabilité dans le dossier de soins informatisé et la coordination avec l'équipe médicale. "
    "Travail en 12 heures, un week-end sur deux. Diplôme d'État infirmier exigé."
)


def add_sources(session, trust: dict[str, float] | None = None) -> None:  # type: ignore[no-untyped-def]
    trust = trust or {"ch-cahors": 0.9, "francetravail": 0.7, "hellowork": 0.5}
    for source_id, value in trust.items():
        session.add(Source(id=source_id, platform="jsonld", name=source_id, trust=value))
    session.flush()


def posting(source: str, ref: str, **fields: Any) -> Posting:
    """A posting row with sensible Lot defaults (Cahors hospital nurse)."""
    values: dict[str, Any] = {
        "title": "Infirmier H/F",
        "title_clean": "Infirmier",
        "employer_name": "Centre hospitalier de Cahors",
        "employer_siret": None,
        "description_text": NURSE_DESC.format(service="médecine polyvalente"),
        "contract_type": "CDI",
        "commune_insee": "46042",
        "commune_name": "Cahors",
        "epci": "200023737",
        "departement": "46",
        "lat": 44.4475,
        "lon": 1.4419,
        "rome_code": "J1506",
        "published_at": T0,
        "first_seen_at": T0,
        "last_seen_at": T0,
        "url": f"https://{source}.example/offres/{ref}",
        "partners": [],
    }
    values.update(fields)
    return Posting(source_id=source, source_ref=ref, **values)


def days(n: float) -> timedelta:
    return timedelta(days=n)
