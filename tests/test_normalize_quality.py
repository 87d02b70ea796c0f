"""``ohmylot sources quality``: per-source share of postings with each field resolved."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from jobs.cmd_quality import source_quality
from matching.normalize import normalize_posting
from matching.types import RawPosting

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def _no_classifier():
    """The counts below assume only the source's ROME codes (the classifier has its own tests)."""
    from matching import normalize as normalize_module

    normalize_module.set_rome_classifier(None)
    yield
    normalize_module.reset_rome_classifier()


def _store(session, source: str, raws: list[RawPosting], status: str = "open") -> None:  # type: ignore[no-untyped-def]
    from store.models import Posting, Source

    if session.get(Source, source) is None:
        session.add(Source(id=source, platform="jsonld", name=source))
        session.flush()
    for raw in raws:
        n = normalize_posting(raw)
        place = n.place
        session.add(Posting(
            source_id=source, source_ref=n.source_id, url=n.url, title=n.title, title_clean=n.title_clean,
            employer_name=n.employer, description_text=n.description_text, contract_type=n.contract_type,
            working_time=n.working_time, salary_min=n.salary_min, salary_max=n.salary_max,
            experience=n.experience, rome_code=n.rome_code, published_at=n.published_at,
            expires_at=n.expires_at, location_label=n.location_label,
            commune_insee=place.insee if place else None, departement=place.departement if place else None,
            location_level=place.level if place else None, flags=n.flags, status=status,
        ))


def test_quality_counts_per_source(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        _store(session, "ehpad-gramat", [
            RawPosting(source="ehpad-gramat", source_id="1", title="Aide-soignant(e) H/F", location="Gramat",
                       contract="CDI", salary="Mensuel de 1880,71 Euros sur 12 mois", rome_code="J1501"),
            RawPosting(source="ehpad-gramat", source_id="2", title="ASH", location="46 - Lot", contract="CDD - 6 mois"),
            RawPosting(source="ehpad-gramat", source_id="3", title="Cuisinier", location="Bridgwater"),
            RawPosting(source="ehpad-gramat", source_id="4", title="Infirmier", location="Figeac", contract="CDI"),
        ])
        _store(session, "ehpad-gramat", [RawPosting(source="ehpad-gramat", source_id="5", title="Fermée",
                                                    location="Cahors")], status="closed")
        _store(session, "mairie-cahors", [RawPosting(source="mairie-cahors", source_id="1", title="Agent",
                                                     location="Cahors", salary="selon profil")])
    with db.session() as session:
        rows = {r.source_id: r for r in source_quality(session)}
        assert rows["ehpad-gramat"].postings == 4
        assert rows["ehpad-gramat"].share("commune") == 0.5
        assert rows["ehpad-gramat"].share("lieu") == 0.75
        assert rows["ehpad-gramat"].share("contrat") == 0.75
        assert rows["ehpad-gramat"].share("salaire") == 0.25
        assert rows["ehpad-gramat"].share("rome") == 0.25
        assert rows["mairie-cahors"].share("salaire") == 0.0
        assert rows["mairie-cahors"].share("commune") == 1.0
        with_closed = {r.source_id: r for r in source_quality(session, include_closed=True)}
        assert with_closed["ehpad-gramat"].postings == 5
        assert [r.source_id for r in source_quality(session, source="mairie-cahors")] == ["mairie-cahors"]


def test_quality_command(db, database_url: str) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        _store(session, "ehpad-gramat", [
            RawPosting(source="ehpad-gramat", source_id="1", title="Aide-soignant(e) H/F", location="Gramat"),
            RawPosting(source="ehpad-gramat", source_id="2", title="ASH", location="Bridgwater"),
        ])
    env = {**os.environ, "OHMYLOT_DATABASE_URL": database_url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "jobs", "sources", "quality", *args], capture_output=True,
                              text=True, env=env, timeout=120)

    table = run()
    assert table.returncode == 0, table.stderr
    assert "ehpad-gramat" in table.stdout
    assert "50 %" in table.stdout
    data = json.loads(run("--format", "json").stdout)
    assert data["source_id"] == "ehpad-gramat"
    assert data["postings"] == 2
    assert data["shares"]["commune"] == 0.5
    csv_out = run("-f", "csv").stdout.splitlines()
    assert csv_out[0].startswith("source,annonces,commune")
    assert csv_out[1].startswith("ehpad-gramat,2,0.5000")
    missing = run("--source", "nope")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1].startswith("Erreur : aucune annonce")
    bad = run("--format", "xml")
    assert bad.returncode == 1
    assert "format inconnu" in bad.stderr
