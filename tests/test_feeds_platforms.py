"""Every real feed file replays through its platform spider with exact field values (issue 3, "Done when").

Raw postings are checked (strings as the source wrote them); one ``scrapy crawl -a url=file://… -O`` per
platform checks the offline replay end to end.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.spiders.apec import ApecSpider
from crawlers.spiders.fonction_publique_rss import FonctionPubliqueRssSpider
from crawlers.spiders.hellowork import HelloWorkSpider
from crawlers.spiders.indeed import IndeedSpider
from crawlers.spiders.talentsoft import TalentsoftSpider
from crawlers.spiders.talentsoft_json import TalentsoftJsonSpider
from tests.feeds_support import BROKEN, DATA, drops, replay, scrapy_crawls

SHEETS = DATA / "synthetic"

#: every real feed file, its spider and how many items it holds (counted independently of the spiders)
FIXTURES = {
    "hellowork.xml": (HelloWorkSpider, b"<job>"),
    "indeed-style-talentview.xml": (IndeedSpider, b"<job>"),
    "talentsoft-edf.xml": (TalentsoftSpider, b"<offer>"),
    "talentsoft-francetravail-careers.json": (TalentsoftJsonSpider, None),
    "pass-fonction-publique.rss": (FonctionPubliqueRssSpider, b"<item>"),
    "apec.xml": (ApecSpider, b"<Offre_emploi>"),
}


def _expected_count(path: Path, marker: bytes | None) -> int:
    if marker is None:
        return len(json.loads(path.read_text(encoding="utf-8")))
    return path.read_bytes().count(marker)


def test_every_fixture_file_has_a_spider(feeds_dir: Path):
    from tests.test_feeds_declared import DECLARED

    files = {p.name for p in feeds_dir.iterdir() if p.is_file() and not p.name.startswith("LICENSE")}
    assert files == set(FIXTURES) | {name for name, _ in DECLARED.values()}  # the others: by declaration


def test_shipped_copies_match_the_shared_fixtures(feeds_dir: Path):
    for name in FIXTURES:
        assert (DATA / name).read_bytes() == (feeds_dir / name).read_bytes(), name
    assert (DATA / "LICENSE-labonnealternance.txt").exists()


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_item_of_every_file_is_read(name: str, feeds_dir: Path):
    spider_cls, marker = FIXTURES[name]
    path = feeds_dir / name
    items, stats, _ = replay(spider_cls, path)
    assert len(items) == _expected_count(path, marker) > 0
    assert drops(stats) == {}
    for posting in items:
        assert posting.source == spider_cls.name
        assert posting.title, posting
        assert posting.source_id, posting
        assert (posting.url or "").startswith("https://"), posting
        assert len(posting.description or "") > 100, posting
        assert posting.published_at, posting


# -- Indeed-style ---------------------------------------------------------------------------------------------


def test_indeed_talentview_shape():
    items, _, _ = replay(IndeedSpider, DATA / "indeed-style-talentview.xml")
    first, second = items
    assert first.source_id == "147171"
    assert first.url == "https://tada.talentview.io/jobs/0gmq0v?source=la_bonne_alternance"
    assert first.title == "Alternance |Assistant(e) Chef de Projet H/F"
    assert first.employer == "Groupe Tada"
    assert (first.city, first.postal_code, first.lat, first.lon) == ("Neuilly-sur-Loire", "99200", "49.8809", "2.0675127")
    assert (first.contract, first.contract_duration, first.working_time) == ("Alternating", "12", "Full time")
    assert first.published_at == "2025-02-27 14:31:25 UTC"
    assert first.salary is None  # <salary> only holds empty <min/>/<max/> and a currency: nothing invented
    assert first.salary_min is None
    assert first.salary_max is None
    assert first.extra["salary_currency"] == "euro"
    assert first.extra["start_date"] == "2025-09-01"
    assert first.description.startswith('<p class="ql-align-justify"><span style="color: black;">Créé en 1987')
    assert "<p><strong>Profil recherché</strong></p>" in first.description  # the HTML profile follows
    assert second.source_id == "147682"
    assert second.title == "Alternance | Technicien supérieur audiovisuel H/F"
    assert (second.city, second.postal_code) == ("Neuilly-sur-Seine", "92200")
    assert second.employer == "Groupe TADA"
    assert second.published_at == "2025-03-05 09:34:40 UTC"


def test_indeed_classic_shape():
    items, stats, _ = replay(IndeedSpider, DATA / "synthetic" / "indeed-classic.xml")
    assert drops(stats) == {}
    ratier, ehpad = items
    assert ratier.source_id == "FIG-2026-118"
    assert ratier.title == "Technicien de maintenance aéronautique H/F"
    assert ratier.employer == "Ratier-Figeac"
    assert (ratier.city, ratier.postal_code) == ("Figeac", "46100")
    assert ratier.contract == "CDI, temps plein"
    assert ratier.salary == "24 000 € - 28 000 € par an"
    assert (ratier.published_at, ratier.expires_at) == ("Fri, 30 Oct 2026 10:15:00 GMT", "2026-12-31")
    assert ratier.extra["state"] == "Occitanie"
    assert ehpad.source_id == "GOU-77"
    assert ehpad.employer == "EHPAD Les Tilleuls"
    assert (ehpad.city, ehpad.postal_code, ehpad.location) == (None, None, "Gourdon (46300)")
    assert ehpad.contract == "CDD"
    assert ehpad.expires_at is None


# -- Talentsoft ----------------------------------------------------------------------------------------------


def test_talentsoft_xml():
    items, _, _ = replay(TalentsoftSpider, DATA / "talentsoft-edf.xml")
    assert [p.source_id for p in items] == ["2026-100001", "2026-100002", "2026-100003"]
    enedis = items[0]
    assert enedis.title == "Alternance - Développeur Web F/H"
    assert enedis.url == "https://www.edf.fr/edf-recrute/offre/detail/2026-100001?idOrigine=502"
    assert enedis.employer == "Enedis"  # salaryRange coded _TS_SOCIETE_ENEDIS names the company
    assert enedis.extra["entity"] == "ENE-EXPLOIT CC"
    assert (enedis.location, enedis.departement, enedis.city) == ("Lyon", "Rhône (69)", None)
    assert enedis.contract == "Alternance"
    assert enedis.salary == "De 820€ à 1 823€ par mois"
    assert enedis.experience == "Débutant"
    assert enedis.published_at == "20260101"
    assert enedis.extra["start_date"] == "01/09/2026"
    assert enedis.description.startswith("<p>Au sein du service Informatique, vous développerez des applications web")
    assert "<h3>Profil recherché</h3>" in enedis.description
    assert enedis.description.endswith("<li>Télétravail possible</li></ul>")
    assert "JEAN" not in json.dumps(enedis.as_dict())  # the supervisor's name is not copied
    uk = items[2]
    assert (uk.employer, uk.location, uk.contract) == ("EDF", "Bridgwater", "VIE")
    assert uk.description.startswith("<p>Dans le cadre du programme VIE, vous rejoindrez l'équipe d'ingénierie")


def test_talentsoft_json():
    items, stats, _ = replay(TalentsoftJsonSpider, DATA / "talentsoft-francetravail-careers.json")
    first = items[0]
    assert first.source_id == "2025-82802"
    assert first.title == "CONSEILLER(E) RELATION ENTREPRISE - 78"
    assert first.url == ("https://recrute.francetravail.org/Pages/Offre/detailoffre.aspx?idOffre=82802&idOrigine=502"
                         "&LCID=1036&offerReference=2025-82802")
    assert first.employer == "DT 78 (755A000016)"
    assert first.contract == "CDD"
    assert first.salary == "1 940 €"
    assert first.location == "Yvelines (78)"
    assert (first.lat, first.lon, first.departement) == (None, None, None)
    assert first.published_at == "2025-10-03T09:42:16.853"
    assert first.description.startswith("<p>Les conseillers forment le cœur de France Travail.")
    assert "<h3>Profil recherché</h3><p>Vous aimez être au contact d’un public varié.</p>" in first.description
    last = items[3]
    assert last.title == "CONSEILLER(E) EN CHARGE DE L'INDEMNISATION - 92"
    assert last.location == "Hauts-de-Seine (92)"
    # the file repeats reference 2025-82799 for another offer: kept, and counted for staff
    assert [p.source_id for p in items] == ["2025-82802", "2025-82799", "2025-82797", "2025-82799"]
    assert stats["feeds/duplicate_source_id"] == 1


# -- APEC ----------------------------------------------------------------------------------------------------


def test_apec():
    items, _, _ = replay(ApecSpider, DATA / "apec.xml")
    assert [p.source_id for p in items] == ["177777865W", "177810729W", "177812004W", "177860843W", "177861351W"]
    ikos = items[0]
    assert ikos.title == "Ingénieur d'études en génie électrique F/H"
    assert ikos.url.startswith("https://www.apec.fr/candidat/recherche-emploi.html/emploi/detail-offre/177777865W?")
    assert ikos.employer == "Ikos"
    assert (ikos.city, ikos.insee, ikos.postal_code) == ("ROUEN", "76540", None)
    assert (ikos.contract, ikos.contract_duration) == ("CDD - Alternance - Contrat d'apprentissage", "1")
    assert ikos.published_at == "11/12/2025 10:41:41"
    assert ikos.salary == "A négocier"
    assert ikos.naf_code == "7112B"
    assert ikos.positions == "1"
    assert ikos.extra["status"] == "Cadre du secteur privé"
    assert ikos.description.startswith("<p><b>Contexte :</b></p><br><p>Au sein de l’équipe IKOS Raccordement")
    sdr = items[2]
    assert (sdr.title, sdr.employer) == ("SDR (Sales Development Representative) F/H", "AROLLA")
    assert (sdr.city, sdr.insee) == ("PARIS 01", "75101")
    assert sdr.salary == "18 - 22 k€ brut annuel"
    assert sdr.contract == "CDI - Alternance - Contrat d'apprentissage"
    # HTML entities inside the CDATA text stay as written (the sanitizer reads them)
    assert "opportunit&eacute;" in items[1].description


# -- Public-service RSS --------------------------------------------------------------------------------------


def test_fonction_publique_rss():
    items, _, _ = replay(FonctionPubliqueRssSpider, DATA / "pass-fonction-publique.rss")
    assert len(items) == 7
    cnc = items[0]
    assert cnc.source_id == "8760e23b-b22d-4fe6-ab21-3327480cd0b1"
    assert cnc.title == "Contrat d'Apprentissage - financements H/F"  # the text of the link inside <title>
    assert cnc.url == "https://www.pass.fonction-publique.gouv.fr/offre/contrat-dapprentissage-financements-hf"
    assert cnc.employer == "Centre national du cinéma et de l'image animée"
    assert (cnc.city, cnc.departement) == ("PARIS 14ème arrondissement", "75")
    assert cnc.published_at == "2025-02-26T16:40:27+0100"
    assert cnc.expires_at is None  # dc:date is the start of the contract, not an expiry
    assert cnc.extra["start_date"] == "2025-09-15T00:00:00+02:00"
    assert cnc.extra["reference"] == "A-2025-159026"
    assert cnc.extra["ministry"] == "Ministère de la Culture"
    assert cnc.contract_duration == "Entre 12 et 0 mois"
    assert cnc.description.startswith("<p>Au sein du service, l’alternant(e) agira notamment")  # unescaped once
    nice = items[1]
    assert nice.title.startswith("APPRENTI(E) - Rédacteur en matière juridique et fiscal")
    assert (nice.city, nice.departement) == ("NICE", "6")  # as written; the normaliser pads it
    assert nice.extra["contact"] == "mail@mail.fr - 04.66.66.66.66"
    athis = items[6]
    assert (athis.source_id, athis.city, athis.departement) == ("c6e62fde-e1cb-4de6-901d-18df9ed8fb0d", "ATHIS MONS", "91")
    assert athis.employer == "DGAC - DO - DOM1 - INS"


# -- Bad input on the other formats --------------------------------------------------------------------------


def test_json_syntax_error_is_one_invalid_json_drop():
    items, stats, spider = replay(TalentsoftJsonSpider, BROKEN / "talentsoft-invalid.json")
    assert items == []
    assert drops(stats) == {"invalid_json": 1}
    assert "ligne 18" in spider.dropped[0].detail


@pytest.mark.parametrize("spider_cls", [IndeedSpider, TalentsoftSpider, ApecSpider, FonctionPubliqueRssSpider,
                                        TalentsoftJsonSpider])
def test_html_error_page_is_not_a_feed_for_every_format(spider_cls):
    items, stats, _ = replay(spider_cls, BROKEN / "error-page.html")
    assert items == []
    assert drops(stats) == {"not_a_feed": 1}


def test_empty_rss_and_json_yield_nothing_without_error():
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Offres</title></channel></rss>'
    items, stats, _ = replay(FonctionPubliqueRssSpider, rss)
    assert (items, drops(stats)) == ([], {})
    items, stats, _ = replay(TalentsoftJsonSpider, b"[]")
    assert (items, drops(stats)) == ([], {})


# -- Offline replay end to end -------------------------------------------------------------------------------


def test_scrapy_crawl_replays_every_platform(feeds_dir: Path, tmp_path: Path):
    """One real ``scrapy crawl <platform> -a url=file://… -O`` per platform (HelloWork: the lifecycle test),
    through the project's pipelines into a database, run side by side."""
    jobs = []
    names = sorted(set(FIXTURES) - {"hellowork.xml"})
    for index, name in enumerate(names):
        env = {"OHMYLOT_DATABASE_URL": f"sqlite:///{tmp_path / f'crawl-{index}.sqlite3'}"}
        jobs.append((FIXTURES[name][0].name, feeds_dir / name, tmp_path / f"{index}.jsonl", env))
    jobs.append(("spreadsheet", SHEETS / "offres-batiment.xlsx", tmp_path / "sheet.jsonl",
                 {"OHMYLOT_DATABASE_URL": f"sqlite:///{tmp_path / 'crawl-sheet.sqlite3'}"}))
    results = scrapy_crawls(jobs)
    for (spider, path, out, _), result in zip(jobs, results, strict=True):
        assert result.returncode == 0, (spider, result.stderr[-3000:])
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        expected = 3 if spider == "spreadsheet" else _expected_count(path, FIXTURES[path.name][1])
        assert len(rows) == expected, spider
        assert all(row["title"] and row["source_id"] and row["source"] == spider for row in rows), spider
        assert "Collecte n°" in result.stderr, spider  # the crawl run was recorded
    sheet_rows = [json.loads(line) for line in (tmp_path / "sheet.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["source_id"] for r in sheet_rows] == ["M-2026-14", "M-2026-15", "M-2026-17"]
    assert sheet_rows[0]["title"] == "Maçon qualifié H/F"
