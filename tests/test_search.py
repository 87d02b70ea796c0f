"""Full-text search by the database (SQLite FTS5 / PostgreSQL tsvector + unaccent), offers and prospects.

Runs on SQLite, and on PostgreSQL when ``OHMYLOT_TEST_DATABASE_URL`` is set (like every ``db`` test).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import inspect, text

from matching.search_terms import prefix, search_prefixes
from tests.webutil import add_candidate, add_offer, app, client  # noqa: F401 - fixtures
from web.offer_search import OfferFilters, search_offers
from web.prospect_search import search_prospects

pytestmark = pytest.mark.db

TITLES = {
    "infirmiere": "Infirmière de nuit (H/F)",
    "infirmier": "Infirmier diplômé d'État",
    "infirmiers": "INFIRMIERS DE BLOC",
    "aide_soignant": "Aide-soignant(e) en EHPAD",
    "aides_soignantes": "Aides soignantes — remplacements d'été",
    "vendeur": "Vendeur / Vendeuse en boulangerie",
    "vendeuse": "Vendeuse",
    "animatrice": "Animatrice périscolaire",
    "cuisinier": "Cuisinier",
    "chef": "Chef de partie",
    "electricien": "Électricien bâtiment",
}


@pytest.fixture
def offers(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = {}
    with db.session() as session:
        for key, title in TITLES.items():
            ids[key] = add_offer(session, title=title, rome_label="Libellé", employer_name="Employeur",
                                 commune_name="Figeac").id
    return ids


def found(db, q: str, **filters) -> set[int]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        page = search_offers(session, OfferFilters(q=q, **filters), public=True)
        return {offer.id for offer in page.offers}


def keys(offers: dict[str, int], *names: str) -> set[int]:
    return {offers[name] for name in names}


def test_accents_and_case_do_not_matter(db, offers) -> None:  # type: ignore[no-untyped-def]
    nurses = keys(offers, "infirmiere", "infirmier", "infirmiers")
    for typed in ("infirmiere", "INFIRMIÈRE", "infirmière", "Infirmiéres", "infirmier", "INFIRMIERS"):
        assert found(db, typed) == nurses, typed
    assert found(db, "electricien") == found(db, "ÉLECTRICIEN") == keys(offers, "electricien")


def test_hyphens_plurals_and_feminine_forms(db, offers) -> None:  # type: ignore[no-untyped-def]
    carers = keys(offers, "aide_soignant", "aides_soignantes")
    for typed in ("aide soignante", "aide-soignant", "Aides-Soignants", "aide soignant(e)", "soignantes"):
        assert found(db, typed) == carers, typed
    sellers = keys(offers, "vendeur", "vendeuse")
    assert found(db, "vendeuse") == sellers
    assert found(db, "vendeurs") == sellers
    assert found(db, "animateur") == keys(offers, "animatrice")
    assert found(db, "cuisinière") == keys(offers, "cuisinier")
    # every word must match
    assert found(db, "infirmier nuit") == keys(offers, "infirmiere")
    assert found(db, "chef cuisinier") == set()


def test_hostile_input_never_errors(db, offers, client) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    hostile = [
        '"', '""', "'", '"infirm', "infirm*", "*", "NEAR(a b)", "a OR b", "AND", "NOT infirmier", "-infirmier",
        "infirmier:*", "!!(", "a & | !b", "(", ")", "^", "col:val", "title:infirmier", "%", "_", "\\", "\x00",
        "'; DROP TABLE offer; --", "é" * 300, "<script>", "\u202e", "🙂 infirmière",
    ]
    for typed in hostile:
        with db.session() as session:
            search_offers(session, OfferFilters(q=typed), public=True)
        assert client.get("/offres", params={"q": typed}).status_code == 200, typed
    # operators are words like the others: every one must match
    assert found(db, '"infirmière" OR (chef)') == set()
    assert found(db, "🙂 infirmière") == keys(offers, "infirmiere", "infirmier", "infirmiers")


def test_the_public_board_ranks_by_relevance_with_the_filters(db, client) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with db.session() as session:
        in_label = add_offer(session, title="Agent de service", rome_label="Soins infirmiers").id
        in_title = add_offer(session, title="Infirmier / Infirmière", rome_label="Soins infirmiers").id
        elsewhere = add_offer(session, title="Infirmier", commune_name="Gourdon", commune_insee="46127").id
        closed = add_offer(session, title="Infirmière", status="closed").id
        cdd = add_offer(session, title="Infirmière remplaçante", contract_type="CDD").id
    assert found(db, "infirmière", contrat="CDD") == {cdd}
    assert closed not in found(db, "infirmiere")
    page = client.get("/offres", params={"q": "INFIRMIERE"}).text
    assert page.index("Infirmier / Infirmière") < page.index("Agent de service")
    with db.session() as session:
        ranked = [o.id for o in search_offers(session, OfferFilters(q="infirmier"), public=True).offers]
    assert ranked.index(in_title) < ranked.index(in_label)
    assert {in_label, in_title, elsewhere, cdd} <= set(ranked)


def test_the_index_follows_updates_and_deletes(db, offers) -> None:  # type: ignore[no-untyped-def]
    from store.models import Offer

    with db.session() as session:
        session.get(Offer, offers["chef"]).title = "Plongeur"
    assert found(db, "chef") == set()
    assert found(db, "plongeur") == {offers["chef"]}
    with db.session() as session:
        session.delete(session.get(Offer, offers["electricien"]))
    assert found(db, "electricien") == set()


def test_prospects_are_searched_by_name_job_and_place_without_accents(db) -> None:  # type: ignore[no-untyped-def]
    staff = SimpleNamespace(role="staff", id=0, territory=None)
    with db.session() as session:
        lea = add_candidate(session, first="Léa", last="Lefèvre", desired_jobs="aide-soignante, infirmière").id
        paul = add_candidate(session, first="Paul", last="Durand", desired_jobs="électricien",
                             current_place="Saint-Céré").id
    with db.session() as session:
        def ids(q: str) -> set[int]:
            return {c.id for c in search_prospects(session, staff, q=q).prospects}

        assert ids("lefevre") == ids("LEFÈVRE") == {lea}
        assert ids("aide soignant") == {lea}
        assert ids("infirmier") == {lea}
        assert ids("saint cere") == ids("Saint-Céré") == {paul}
        assert ids("paul electricienne") == {paul}
        assert ids("lea durand") == set()
        for typed in ('"', "NOT", "a:*", "(", "*", "'"):
            search_prospects(session, staff, q=typed)
    from store.models import Candidate

    with db.session() as session:
        anonymised = session.get(Candidate, lea)
        anonymised.last_name = anonymised.email = None  # no longer found by name
    with db.session() as session:
        assert {c.id for c in search_prospects(session, staff, q="lefevre").prospects} == set()


def test_the_search_objects_exist_at_head(db) -> None:  # type: ignore[no-untyped-def]
    """A later migration that recreates ``offer`` or ``candidate`` on SQLite would drop the triggers."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            triggers = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
            for table in ("offer", "candidate"):
                assert {f"{table}_fts_ai", f"{table}_fts_ad", f"{table}_fts_au"} <= triggers
        else:
            for table in ("offer", "candidate"):
                columns = {c["name"] for c in inspect(conn).get_columns(table)}
                assert "search_vector" in columns


def test_search_prefixes() -> None:
    assert search_prefixes("INFIRMIÈRES de nuit") == ["infirmi", "nuit"]
    assert search_prefixes('"aide-soignant(e)" OR NEAR') == ["aid", "soignant", "or", "near"]
    assert search_prefixes("h/f") == []
    assert search_prefixes("de la") == ["de", "la"]
    assert search_prefixes("") == []
    assert search_prefixes("***") == []
    assert prefix("vendeuse") == prefix("vendeur") == "vende"
    assert prefix("animatrice") == prefix("animateur")
    assert prefix("soignantes") == prefix("soignant")
    assert prefix("bus") == "bus"
