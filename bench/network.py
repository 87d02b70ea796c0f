"""Employers' network benchmark: SIRET checks, member-offer submission (normalise → upsert → dedupe against
N crawled postings), talent-digest preparation over M prospects, and visibility re-application.

``python -m bench.network`` (full: 5,000 crawled postings, 5,000 prospects), ``--quick`` for a few seconds.
No target in issue 10; the figures say whether the web requests stay interactive as the database grows.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from matching.employers import check_siret, luhn_ok
from matching.normalize import normalize_posting
from matching.types import RawPosting
from services.network.digests import digest_profiles, profile_card
from services.network.members import approve_member, check_join_form, submit_join
from services.network.offers import apply_visibility, check_offer_form, submit_member_offer
from store.db import open_database
from store.dedup import dedupe_database
from store.models import Candidate, Employer
from store.postings import PostingInput, ensure_source, upsert_postings

TITLES = [
    "Cuisinier",
    "Serveur",
    "Aide-soignant",
    "Maçon",
    "Ouvrier agricole",
    "Vendeur",
    "Boulanger",
    "Agent d'entretien",
    "Mécanicien",
    "Électricien",
    "Infirmier",
    "Chauffeur",
]
PLACES = ["Cahors", "Figeac", "Gramat", "Souillac", "Gourdon", "Saint-Céré", "Puy-l'Évêque", "Lalbenque"]


def _siret(rng: random.Random) -> str:
    while True:
        siren = "".join(rng.choice("0123456789") for _ in range(9))
        if luhn_ok(siren):
            break
    while True:
        value = siren + "".join(rng.choice("0123456789") for _ in range(5))
        if luhn_ok(value):
            return value


def run(quick: bool = False) -> dict[str, object]:
    rng = random.Random(46)
    postings = 120 if quick else 5000
    prospects = 200 if quick else 5000
    submissions = 2 if quick else 20
    figures: dict[str, object] = {"crawled_postings": postings, "prospects": prospects}

    sirets = [_siret(rng) for _ in range(2000)]
    start = time.perf_counter()
    for _ in range(5):
        for value in sirets:
            check_siret(value)
    figures["siret_checks_per_s"] = round(10000 / (time.perf_counter() - start))

    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        now = datetime.now(UTC)
        with db.session() as session:
            _seed_postings(session, rng, now, postings)
            _seed_prospects(session, rng, now, prospects)
            employer = _approved_member(session, rng)
            figures.update(_time_submissions(session, rng, employer, submissions))
            started = time.perf_counter()
            chosen = digest_profiles(session, days=30, limit=50)
            cards = [profile_card(c) for c in chosen]
            figures["digest_prepare_ms"] = round(1000 * (time.perf_counter() - started), 1)
            figures["digest_profiles"] = len(cards)
            started = time.perf_counter()
            apply_visibility(session)
            figures["visibility_all_ms"] = round(1000 * (time.perf_counter() - started), 1)
        db.engine.dispose()
    return figures


def _seed_postings(session: Session, rng: random.Random, now: datetime, postings: int) -> None:
    """``postings`` crawled postings, normalised, stored and deduplicated."""
    ensure_source(session, "bench-crawl", platform="jsonld")
    items = []
    for i in range(postings):
        raw = RawPosting(
            source="bench-crawl",
            source_id=f"c{i}",
            url=f"https://bench.example/{i}",
            title=f"{rng.choice(TITLES)} {i % 97}",
            employer=f"Employeur {i % 400}",
            location=rng.choice(PLACES),
            contract=rng.choice(["CDI", "CDD 6 mois", "Saisonnier"]),
            description=f"Poste n° {i} dans le Lot, équipe accueillante, débutant accepté.",
            published_at=(now - timedelta(days=i % 30)).isoformat(),
        )
        items.append(PostingInput(normalize_posting(raw), raw))
    upsert_postings(session, "bench-crawl", items)
    dedupe_database(session)


def _seed_prospects(session: Session, rng: random.Random, now: datetime, prospects: int) -> None:
    """``prospects`` prospects, two in three sharing their profile."""
    for i in range(prospects):
        session.add(
            Candidate(
                first_name=f"P{i}",
                last_name="Bench",
                email=f"p{i}@example.org",
                desired_jobs=rng.choice(TITLES),
                commune_insee="46042",
                consent_share=i % 3 != 0,
                rome_codes=[rng.choice(["G1602", "A1416", "J1501", "F1703"])],
                last_contact_at=now - timedelta(days=i % 60),
            )
        )


def _approved_member(session: Session, rng: random.Random) -> Employer:
    """A member employer who joined through the form and was approved."""
    form = {
        "company": "Ferme du banc d'essai",
        "siret": _siret(rng),
        "naf": "01",
        "commune": "Gramat",
        "contact_name": "Jeanne Essai",
        "email": "jeanne@essai.example",
        "consent": "oui",
    }
    member = submit_join(session, check_join_form(form))
    approve_member(session, member, "bench")
    session.commit()
    return member.employer


def _time_submissions(session: Session, rng: random.Random, employer: Employer, submissions: int) -> dict[str, float]:
    """Median and maximum time of one member-offer submission (normalise, upsert, dedupe, commit)."""
    timings = []
    for i in range(submissions):
        offer = {
            "title": f"{rng.choice(TITLES)} saisonnier {i}",
            "place": rng.choice(PLACES),
            "contract": "CDD",
            "duration_months": "4",
            "description": "Saison d'été, logement possible, équipe de cinq.",
            "apply": "jeanne@essai.example",
        }
        started = time.perf_counter()
        submit_member_offer(
            session, employer, check_offer_form(offer), actor="bench", base_url="https://emploi.example"
        )
        session.commit()
        timings.append(time.perf_counter() - started)
    timings.sort()
    return {
        "offer_submit_ms_median": round(1000 * timings[len(timings) // 2], 1),
        "offer_submit_ms_max": round(1000 * timings[-1], 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), ensure_ascii=False, indent=2))
