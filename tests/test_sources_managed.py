"""Sources managed by staff from the web app (``services.managed_sources``, ``crawlers.managed``,
``web/routers/sources.py``), on SQLite and PostgreSQL (``-m db``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.webutil import add_user, csrf_of, login

pytest_plugins = ["tests.webutil"]
pytestmark = pytest.mark.db

DATA = Path(__file__).resolve().parent / "data" / "feeds"
LAPOSTE = DATA / "laposte.xml"
FERME = DATA / "synthetic" / "offres-ferme-cp1252.csv"


def _form(**changes):
    from services.managed_sources import SourceForm

    values = {"id": "ferme-causse", "name": "Ferme du Causse", "platform": "spreadsheet",
              "url": "https://ferme.example/offres.csv", "schedule": "0 6 * * 1", "trust": "0,8"}
    values.update(changes)
    return SourceForm(**values)


def _audit(session, action):
    from store.models import AuditLog

    return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_saved_source_is_one_of_the_sources_and_audited(db) -> None:
    from crawlers.managed import find_source, load_sources
    from services.managed_sources import save_source
    from store.models import Source

    with db.session() as session:
        save_source(session, _form(employer="Ferme du Causse"), actor="admin@ohmylot.fr")
        session.commit()
    with db.session() as session:
        entries = {entry.id: entry for entry in load_sources(session)}
        entry = entries["ferme-causse"]
        assert entry.origin == "web"
        assert entry.active
        assert entry.trust == 0.8
        assert entry.args == {"employer": "Ferme du Causse"}
        assert "francetravail-lot" in entries  # the file's sources are still there
        assert session.get(Source, "ferme-causse").name == "Ferme du Causse"  # on the crawl-health page
        (row,) = _audit(session, "sources.add")
        assert row.actor == "admin@ohmylot.fr"
        assert row.object_id == "ferme-causse"
        assert row.detail["declaration"]["platform"] == "spreadsheet"
    # without a session: the configured database (what the runner and the scheduler use)
    assert find_source("ferme-causse").url == "https://ferme.example/offres.csv"


def test_id_of_the_registry_file_is_refused_in_french(db) -> None:
    from services.managed_sources import ManagedSourceError, save_source
    from store.models import ManagedSource

    with db.session() as session:
        with pytest.raises(ManagedSourceError, match="déjà celui d'une source de crawlers/sources.toml"):
            save_source(session, _form(id="francetravail-lot"), actor="admin@ohmylot.fr")
        save_source(session, _form(), actor="admin@ohmylot.fr")
        with pytest.raises(ManagedSourceError, match="existe déjà"):
            save_source(session, _form(name="Autre"), actor="admin@ohmylot.fr")
        assert session.get(ManagedSource, "francetravail-lot") is None


def test_file_id_added_later_wins(db, tmp_path, monkeypatch) -> None:
    from crawlers.managed import load_sources
    from services.managed_sources import save_source

    with db.session() as session:
        save_source(session, _form(id="doublon"), actor="admin@ohmylot.fr")
        session.commit()
    registry = tmp_path / "sources.toml"
    registry.write_text('[[source]]\nid = "doublon"\nplatform = "jsonld"\nurl = "https://it.example/"\n')
    monkeypatch.setenv("OHMYLOT_SOURCES", str(registry))
    with db.session() as session:
        entries = [entry for entry in load_sources(session) if entry.id == "doublon"]
    assert [(e.origin, e.url) for e in entries] == [("registry", "https://it.example/")]


def test_pause_excludes_from_schedule_and_crawl(db) -> None:
    from crawlers.runner import CrawlSetupError, run_crawl
    from jobs.scheduler import job_specs
    from services.managed_sources import save_source, set_paused

    with db.session() as session:
        save_source(session, _form(), actor="admin@ohmylot.fr")
        session.commit()
    assert "crawl:ferme-causse" in {spec.id for spec in job_specs()}
    with db.session() as session:
        set_paused(session, "ferme-causse", True, actor="admin@ohmylot.fr")
        session.commit()
    assert "crawl:ferme-causse" not in {spec.id for spec in job_specs()}
    with pytest.raises(CrawlSetupError, match="en pause"):
        run_crawl("ferme-causse")
    with db.session() as session:
        set_paused(session, "ferme-causse", False, actor="admin@ohmylot.fr")
        session.commit()
        assert len(_audit(session, "sources.pause")) == 1
        assert len(_audit(session, "sources.resume")) == 1
    assert "crawl:ferme-causse" in {spec.id for spec in job_specs()}


def test_removal_keeps_postings_and_history(db) -> None:
    from crawlers.managed import find_source
    from services.managed_sources import remove_source, save_source
    from store.models import ManagedSource, Posting, Source
    from tests.webutil import add_offer

    with db.session() as session:
        save_source(session, _form(), actor="admin@ohmylot.fr")
        offer = add_offer(session, source_id="ferme-causse", title="Ouvrier agricole")
        session.commit()
        offer_id = offer.id
    with db.session() as session:
        remove_source(session, "ferme-causse", actor="admin@ohmylot.fr")
        session.commit()
    with db.session() as session:
        assert session.get(ManagedSource, "ferme-causse") is None
        assert session.get(Source, "ferme-causse").active is False
        postings = list(session.scalars(select(Posting).where(Posting.source_id == "ferme-causse")))
        assert [p.offer_id for p in postings] == [offer_id]
        (row,) = _audit(session, "sources.remove")
        assert row.detail["declaration"]["url"] == "https://ferme.example/offres.csv"
    assert find_source("ferme-causse") is None


def test_uploaded_sample_is_stored_and_read_by_file_url(db) -> None:
    from services.managed_sources import keep_pending, preview, save_source, sources_dir

    token = keep_pending(FERME.read_bytes())
    report = preview(token=token)
    assert report.items > 0
    with db.session() as session:
        row = save_source(session, _form(url="", sample_token=token, sample_name="offres ferme.csv"),
                          actor="admin@ohmylot.fr")
        session.commit()
        stored = Path(row.sample_path)
    assert stored.parent == sources_dir() / "ferme-causse"
    assert stored.read_bytes() == FERME.read_bytes()
    assert row.declaration["url"] == stored.as_uri()


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"", "est vide"), (b"<html><body>Erreur 500</body></html>", "pas un flux"), (b"[]", "aucune offre"),
     (b"\x00\x01\x02binaire", "n'est pas un flux d'offres")],
)
def test_bad_file_is_one_french_line(db, body, message) -> None:
    from services.managed_sources import ManagedSourceError, keep_pending, preview

    with pytest.raises(ManagedSourceError, match=message) as caught:
        preview(token=keep_pending(body), name="« offres.xml »")
    assert "\n" not in str(caught.value)


def test_bad_declaration_is_one_french_line(db) -> None:
    from services.managed_sources import ManagedSourceError, save_source

    with db.session() as session:
        with pytest.raises(ManagedSourceError, match="crontab"):
            save_source(session, _form(schedule="tous les jours"), actor="a")
        with pytest.raises(ManagedSourceError, match="champ inconnu 'titel'"):
            save_source(session, _form(platform="feed", format_text='family = "xml"\n[fields]\ntitel = "t"\n'),
                        actor="a")
        with pytest.raises(ManagedSourceError, match="TOML"):
            save_source(session, _form(platform="feed", format_text="family = xml"), actor="a")
        with pytest.raises(ManagedSourceError, match="adresse du flux ou déposez"):
            save_source(session, _form(url=""), actor="a")


def test_pages_are_for_admins_with_csrf(db, client) -> None:
    add_user(db)  # staff
    add_user(db, email="admin@ohmylot.fr", role="admin")
    login(client)
    assert client.get("/equipe/sources").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    login(client, email="admin@ohmylot.fr")
    page = client.get("/equipe/sources")
    assert page.status_code == 200
    assert "francetravail-lot" in page.text
    assert client.post("/equipe/sources/nouvelle", files={"file": ("o.xml", b"<x/>")}).status_code == 403
    token = csrf_of(client, "/equipe/sources/nouvelle")
    answer = client.post("/equipe/sources/nouvelle", data={"csrf_token": token},
                         files={"file": ("laposte.xml", LAPOSTE.read_bytes(), "application/xml")})
    assert answer.status_code == 200, answer.text
    assert re.search(r"<strong>\d+ offre\(s\)</strong>", answer.text)
    bad = client.post("/equipe/sources/nouvelle", data={"csrf_token": token},
                      files={"file": ("vide.xml", b"", "application/xml")})
    assert bad.status_code == 422
    assert "est vide" in bad.text


def test_pause_and_remove_from_the_page(db, client) -> None:
    from services.managed_sources import save_source
    from store.models import ManagedSource

    add_user(db, email="admin@ohmylot.fr", role="admin")
    with db.session() as session:
        save_source(session, _form(), actor="admin@ohmylot.fr")
        session.commit()
    login(client, email="admin@ohmylot.fr")
    token = csrf_of(client, "/equipe/sources")
    assert client.post("/equipe/sources/ferme-causse/pause", data={}).status_code == 403
    answer = client.post("/equipe/sources/ferme-causse/pause", data={"csrf_token": token})
    assert answer.status_code == 303
    assert "en pause" in client.get(answer.headers["location"]).text
    client.post("/equipe/sources/ferme-causse/retirer", data={"csrf_token": token})
    with db.session() as session:
        assert session.get(ManagedSource, "ferme-causse") is None
        assert [a.actor for a in _audit(session, "sources.remove")] == ["admin@ohmylot.fr"]
    unknown = client.post("/equipe/sources/inconnue/retirer", data={"csrf_token": token})
    assert "source inconnue" in client.get(unknown.headers["location"]).text


def test_newer_file_replaces_the_sample_and_a_bad_one_is_refused(db) -> None:
    from services.managed_sources import ManagedSourceError, keep_pending, replace_sample, save_source

    boulangerie = DATA / "synthetic" / "offres-boulangerie-utf8-bom.csv"
    with db.session() as session:
        row = save_source(session, _form(url="", sample_token=keep_pending(FERME.read_bytes()),
                                         sample_name="ferme.csv"), actor="a")
        with pytest.raises(ManagedSourceError, match="pas un flux d'offres"):
            replace_sample(session, "ferme-causse", b"\x00\x01binaire", "photo.jpg", actor="a")
        assert Path(row.sample_path).read_bytes() == FERME.read_bytes()
        row = replace_sample(session, "ferme-causse", boulangerie.read_bytes(), "offres juin.csv", actor="a")
        assert Path(row.sample_path).read_bytes() == boulangerie.read_bytes()
        assert row.declaration["url"] == Path(row.sample_path).as_uri()
        assert not (Path(row.sample_path).parent / "ferme.csv").exists()
        assert [a.detail["sample"] for a in _audit(session, "sources.update")] == ["offres juin.csv"]
        save_source(session, _form(id="avec-adresse"), actor="a")
        with pytest.raises(ManagedSourceError, match="lit une adresse"):
            replace_sample(session, "avec-adresse", FERME.read_bytes(), "x.csv", actor="a")


def test_bad_id_and_stale_pending_samples(db) -> None:
    import os
    import time

    from services.managed_sources import ManagedSourceError, keep_pending, save_source, sources_dir

    with db.session() as session, pytest.raises(ManagedSourceError, match="identifiant invalide"):
        save_source(session, _form(id="Ferme du Causse"), actor="a")
    old = keep_pending(b"ancien")
    path = sources_dir() / "_en-attente" / old
    os.utime(path, (time.time() - 25 * 3600,) * 2)
    fresh = keep_pending(b"nouveau")
    assert not path.exists()
    assert (sources_dir() / "_en-attente" / fresh).read_bytes() == b"nouveau"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8046/offres.xml", "http://localhost/flux.xml",
                                 "http://169.254.169.254/latest/meta-data/", "http://[::1]/x.xml",
                                 "http://10.0.0.7/offres.csv", "file:///etc/passwd"])
def test_web_declared_address_must_be_public(db, url, monkeypatch) -> None:
    from services.managed_sources import ManagedSourceError, preview, save_source

    monkeypatch.delenv("OHMYLOT_SOURCES_ALLOW_PRIVATE", raising=False)
    with pytest.raises(ManagedSourceError) as caught:
        preview(url=url)
    assert "\n" not in str(caught.value)
    with db.session() as session, pytest.raises(ManagedSourceError, match="interne|http"):
        save_source(session, _form(url=url), actor="a")


def test_preview_does_not_follow_a_redirect_inside(db, monkeypatch) -> None:
    """A public address that redirects to the internal network is refused at the redirect."""
    import urllib.request

    from services import address_guard
    from services.address_guard import AddressRefused, PublicRedirects

    monkeypatch.delenv("OHMYLOT_SOURCES_ALLOW_PRIVATE", raising=False)
    request = urllib.request.Request("https://partenaire.example/offres.xml")
    handler = PublicRedirects()
    with pytest.raises(AddressRefused, match="interne"):
        handler.redirect_request(request, None, 302, "Found", {}, "http://127.0.0.1:5432/")
    monkeypatch.setattr(address_guard, "_addresses", lambda host, port: [__import__("ipaddress").ip_address("93.184.215.14")])
    assert handler.redirect_request(request, None, 302, "Found", {}, "https://ailleurs.example/o.xml") is not None


def test_private_addresses_allowed_by_it(db, monkeypatch) -> None:
    from services.address_guard import check_public_address

    monkeypatch.setenv("OHMYLOT_SOURCES_ALLOW_PRIVATE", "1")
    check_public_address("http://10.0.0.7/offres.csv")  # the intranet feed IT allowed
    with pytest.raises(ValueError, match="http"):
        check_public_address("file:///etc/passwd")  # never a file of the server
