"""The short cache of the anonymous public board (web.public_cache, OHMYLOT_PUBLIC_CACHE_SECONDS)."""

from __future__ import annotations

import pytest

from tests.webutil import add_offer, add_user, login, web_settings

TTL = 10.0


class Clock:
    """``time.monotonic`` of the cache, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    import web.public_cache

    fake = Clock()
    monkeypatch.setattr(web.public_cache.time, "monotonic", fake)
    return fake


@pytest.fixture
def cached_client(db):
    from fastapi.testclient import TestClient

    from web.app import create_app

    app = create_app(web_settings(public_cache_seconds=TTL), database=db)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as test_client:
        yield test_client


def _withdraw(db, offer_id: int) -> None:
    from store.models import Offer

    with db.session() as session:
        session.get(Offer, offer_id).status = "closed"


def _add(db, title: str) -> int:
    with db.session() as session:
        return add_offer(session, title=title).id


def test_a_withdrawn_offer_leaves_the_cached_board_within_the_ttl(db, cached_client, clock) -> None:
    offer_id = _add(db, "Pâtissier tourier")
    for path in ("/offres", "/offres?q=patissier", "/api/offers?q=patissier", f"/offres/{offer_id}"):
        assert "tourier" in cached_client.get(path).text, path
    _withdraw(db, offer_id)
    clock.now += TTL - 1  # still within the TTL: the same answer is reused
    board = cached_client.get("/offres?q=patissier")
    assert "tourier" in board.text
    assert board.headers["x-request-id"]  # each answer still gets its own id and security headers
    assert "content-security-policy" in board.headers
    clock.now += 2  # past the TTL: every page is built again
    for path in ("/offres", "/offres?q=patissier", "/api/offers?q=patissier"):
        assert "tourier" not in cached_client.get(path).text, path
    assert cached_client.get(f"/offres/{offer_id}").status_code == 404


def test_the_key_is_the_full_address(db, cached_client, clock) -> None:
    _add(db, "Maçon VRD")
    assert "VRD" in cached_client.get("/offres?q=macon").text
    _add(db, "Boulanger de nuit")
    # Another query string is another page: built fresh, it shows the new offer.
    assert "Boulanger de nuit" in cached_client.get("/offres?q=boulanger").text
    assert "Boulanger de nuit" not in cached_client.get("/offres?q=macon").text


def test_signed_in_visits_are_never_cached(db, cached_client, clock) -> None:
    offer_id = _add(db, "Charpentier bois")
    add_user(db)
    login(cached_client)
    assert "Charpentier" in cached_client.get("/offres").text
    assert "Charpentier" in cached_client.get("/api/offers").text
    _withdraw(db, offer_id)
    # Same instant, same addresses, with the session cookie: fresh pages, and nothing was stored.
    assert "Charpentier" not in cached_client.get("/offres").text
    assert "Charpentier" not in cached_client.get("/api/offers").text
    cache = _cache_of(cached_client.app)
    assert cache.entries == {}
    # Staff pages are never kept, even without a cookie.
    cached_client.cookies.clear()
    assert cached_client.get("/equipe/offres").status_code in {303, 401}
    assert cache.entries == {}


def test_a_change_made_through_this_process_empties_the_cache(db, cached_client, clock) -> None:
    offer_id = _add(db, "Sommelier")
    assert "Sommelier" in cached_client.get("/offres").text
    assert _cache_of(cached_client.app).entries
    _withdraw(db, offer_id)
    cached_client.post("/login", data={"email": "nobody@example.org", "password": "wrong"})
    assert _cache_of(cached_client.app).entries == {}
    assert "Sommelier" not in cached_client.get("/offres").text


def test_errors_are_not_cached_and_zero_turns_it_off(db, clock) -> None:
    from fastapi.testclient import TestClient

    from web.app import create_app

    with TestClient(create_app(web_settings(public_cache_seconds=TTL), database=db),
                    base_url="https://testserver") as client:
        assert client.get("/offres/4242").status_code == 404
        assert _cache_of(client.app).entries == {}
    with TestClient(create_app(web_settings(public_cache_seconds=0), database=db),
                    base_url="https://testserver") as client:
        offer_id = _add(db, "Fromager")
        assert "Fromager" in client.get("/offres").text
        _withdraw(db, offer_id)
        assert "Fromager" not in client.get("/offres").text


def _cache_of(app):  # type: ignore[no-untyped-def]
    """The app's ``PublicCacheMiddleware`` (Starlette builds the middleware stack on first use)."""
    from web.public_cache import PublicCacheMiddleware

    layer = app.middleware_stack
    while layer is not None and not isinstance(layer, PublicCacheMiddleware):
        layer = getattr(layer, "app", None)
    assert layer is not None
    return layer
