"""HelloWork feed: every item of the real file, exact field values, offline replay with ``scrapy crawl``."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.spiders.hellowork import HelloWorkSpider
from tests.feeds_support import BROKEN, DATA, drops, replay


@pytest.fixture(scope="module")
def postings():
    items, stats, _ = replay(HelloWorkSpider, DATA / "hellowork.xml")
    return items


def test_every_job_of_the_real_feed_is_read(postings, feeds_dir: Path):
    expected = (feeds_dir / "hellowork.xml").read_bytes().count(b"<job>")
    assert expected == 5
    assert len(postings) == expected
    assert [p.source_id for p in postings] == ["68087320", "68090104", "68110296", "68111676", "68113693"]


def test_first_job_exact_fields(postings):
    first = postings[0]
    assert first.source == "hellowork"
    assert first.title == "Manager en Stratégie Management et Organisation H/F"
    assert first.url.startswith("https://r.holeest.com/redirect?poc=2&op=4368162035&o=0&from=https%3A%2F%2F")
    assert first.url.endswith("utm_term%3D41990977%26utm_content%3Dfluxexample")
    assert first.employer == "Software Consulting"
    assert first.employer_siret is None  # <siret /> is empty: nothing invented
    assert first.naf_code is None
    assert (first.city, first.postal_code, first.departement) == ("VINCENNES", "94300", "VAL DE MARNE")
    assert (first.lat, first.lon) == ("48.123456789", "2.123456789")
    assert first.contract == "CDI"
    assert first.contract_duration is None
    assert first.working_time == "Full time"
    assert first.published_at == "2024-01-30 23:21:39"
    assert first.expires_at is None
    assert first.salary is None
    assert first.experience == "Sup_7"
    assert first.remote == "Pas_teletravail"
    assert first.description.startswith("Vous développerez l'innovation pour créer les conditions favorables")
    # the profile section follows the missions, introduced by its heading
    assert "\n\nProfil recherché :\n-   Expert du conseil en management" in first.description
    assert first.description.endswith("Anglais : lu, écrit, parlé.")
    assert first.extra["guid"] == "1792883/10218731 MESMEO/94V"
    assert first.extra["updated_at"] == "2024-02-25 05:36:25"
    assert "address" not in first.extra  # <address /> is empty


def test_other_jobs_exact_fields(postings):
    lactalis = postings[1]
    assert lactalis.title == "Chargé de Communication Btob Laval 53 H/F"
    assert (lactalis.employer, lactalis.employer_siret, lactalis.naf_code) == ("Lactalis", "33114255400012", "4633Z")
    assert (lactalis.city, lactalis.postal_code) == ("LAVAL", "53000")
    assert (lactalis.lat, lactalis.lon) == ("48.123456789", "-0.123456789")
    assert lactalis.working_time is None
    assert lactalis.experience is None
    assert "Profil recherché" not in lactalis.description  # its <profile> is empty

    photo = postings[4]
    assert photo.title == "Chef de Projet Photo H/F"
    assert photo.employer == "ME GROUP"
    assert (photo.city, photo.postal_code, photo.departement) == ("ECHIROLLES", "38130", "Isère")
    assert photo.published_at == "2024-01-31 23:22:17"
    assert photo.extra["address"] == "Photo-Me,Échirolles,38130"
    assert photo.description.endswith("LANGUES - Anglais courant.\n\nRef : 1jvie4rokd")


def test_empty_feed_yields_nothing_and_no_drop():
    items, stats, _ = replay(HelloWorkSpider, BROKEN / "hellowork-empty.xml")
    assert items == []
    assert drops(stats) == {}


def test_declared_utf8_written_in_windows_1252_is_decoded():
    body = (BROKEN / "hellowork-cp1252-declared-utf8.xml").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # the file really is not UTF-8
    items, stats, _ = replay(HelloWorkSpider, BROKEN / "hellowork-cp1252-declared-utf8.xml")
    assert [p.source_id for p in items] == ["46000001", "46000002"]
    cahors = items[0]
    assert cahors.employer == "Centre hospitalier Jean Rougier – Cahors"
    assert (cahors.city, cahors.postal_code, cahors.departement) == ("Cahors", "46000", "Lot")
    assert cahors.description.startswith("Le centre hospitalier recrute un(e) aide-soignant(e) pour son service de médecine. Équipe")
    assert "Diplôme d'État d'aide-soignant exigé. Débutant(e) accepté(e)." in cahors.description
    assert cahors.salary == "1 900 € brut mensuel"
    assert cahors.contract_duration == "6 mois"
    assert items[1].title == "Cuisinier(ère) saisonnier(ère) H/F"
    assert stats["feeds/repair/cp1252_in_utf8"] > 5
    assert drops(stats) == {}


def test_truncated_feed_keeps_complete_jobs_and_counts_the_cut_one():
    items, stats, spider = replay(HelloWorkSpider, BROKEN / "hellowork-truncated.xml")
    assert [p.source_id for p in items] == ["68087320", "68090104"]
    assert drops(stats) == {"invalid_xml": 1}
    assert "offre n° 3 illisible" in spider.dropped[0].detail


def test_html_error_page_with_status_200_is_not_a_feed():
    items, stats, spider = replay(HelloWorkSpider, BROKEN / "error-page.html")
    assert items == []
    assert drops(stats) == {"not_a_feed": 1}


def test_job_without_title_is_yielded_with_title_none():
    items, stats, _ = replay(HelloWorkSpider, BROKEN / "hellowork-missing-title.xml")
    assert len(items) == 5
    assert items[2].source_id == "68110296"
    assert items[2].title is None
    assert items[2].employer == "CGR"  # the rest of the item is still read
