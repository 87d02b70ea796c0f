"""Dashboard charts (pygal SVG) and crawl health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from tests.webutil import add_candidate, add_offer, add_user, login

pytest_plugins = ["tests.webutil"]
pytestmark = pytest.mark.db


def _seed(db):
    from store.models import CandidateEvent, CandidateStatus, Event

    with db.session() as session:
        add_offer(session, title="Cuisinier", rome_code="G1602")
        add_offer(session, title="Infirmier", rome_code="J1506")
        add_offer(session, title="Aide-soignant", rome_code="J1501", epci="200066439")
        fair = Event(name="Salon de l'agriculture 2026")
        session.add(fair)
        session.flush()
        a = add_candidate(session, "Léa", "Martin", status="settled")
        b = add_candidate(session, "Tom", "Durand", status="met")
        c = add_candidate(session, "Zoé", "Petit", status="gave_up")
        session.add(CandidateStatus(candidate_id=c.id, status="interviewing"))
        session.add(CandidateStatus(candidate_id=a.id, status="hired"))
        for candidate in (a, b, c):
            session.add(CandidateEvent(candidate_id=candidate.id, event_id=fair.id))


def test_dashboard_figures(db) -> None:
    from web.charts import offers_by_epci, offers_by_month_and_sector, path_by_event, yearly_figures

    _seed(db)
    with db.session() as session:
        monthly = offers_by_month_and_sector(session)
        assert len(monthly.rows) == 12
        this_month = monthly.rows[-1]
        assert sum(this_month[1:]) == 3
        assert any(c.startswith("J — ") for c in monthly.columns)
        epcis = offers_by_epci(session)
        assert [row[1] for row in epcis.rows] == [2, 1]
        [fair] = path_by_event(session).rows
        # met, accompanied, interviewing, hired, settled: Zoé reached interviewing before giving up.
        assert fair == ["Salon de l'agriculture 2026", 3, 2, 2, 1, 1]
        year = str(datetime.now(UTC).year)
        [row] = yearly_figures(session).rows
        assert row[:3] == [year, 3, 3]
        assert row[3] == 1


def test_dashboard_page_and_svg_charts(client, db) -> None:
    _seed(db)
    add_user(db)
    login(client)
    page = client.get("/equipe/tableau")
    assert page.status_code == 200
    assert page.text.count('<img src="/equipe/tableau/') == 5
    for name in ("offres-par-mois", "offres-par-epci", "parcours-par-evenement", "chiffres-annuels", "accueil-par-territoire"):
        response = client.get(f"/equipe/tableau/{name}.svg")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        root = etree.fromstring(response.content)
        assert root.tag.endswith("svg")
        assert not root.xpath("//*[local-name()='script']")
    assert client.get("/equipe/tableau/inconnu.svg").status_code == 404


def test_crawl_health_alerts_on_a_drop(client, db) -> None:
    from store.models import CrawlRun

    add_user(db)
    now = datetime.now(UTC)
    with db.session() as session:
        from tests.webutil import add_source

        add_source(session, "hellowork-lot", "HelloWork Lot")
        add_source(session, "cdg46", "Centre de gestion du Lot")
        for days, items in ((6, 100), (5, 110), (4, 90), (3, 105), (2, 95)):
            session.add(CrawlRun(source_id="hellowork-lot", started_at=now - timedelta(days=days),
                                 finished_at=now - timedelta(days=days) + timedelta(seconds=40),
                                 status="success", items_scraped=items))
        session.add(CrawlRun(source_id="hellowork-lot", started_at=now - timedelta(days=1),
                             finished_at=now - timedelta(days=1), status="success", items_scraped=30))
        session.add(CrawlRun(source_id="cdg46", started_at=now, status="failed", finish_reason="rate_limited"))
        add_source(session, "apec", "APEC")
        session.add(CrawlRun(source_id="apec", started_at=now, status="success", items_scraped=12, stats={
            "health": [{"kind": "field_coverage", "message": "champ « salary » rempli pour 10 % des offres",
                        "severity": "warning"}]}))
    login(client)
    page = client.get("/equipe/collecte").text
    assert "30 offres contre 100 d&#39;habitude" in page or "30 offres contre 100 d'habitude" in page
    assert "rate_limited" in page
    assert "dernière collecte échouée" in page
    assert "champ « salary » rempli pour 10 % des offres" in page  # stored by the crawl monitors
