"""The France Travail imitation behaves like the real API: token, 206/200/204 paging, cap, 401, 429."""

from __future__ import annotations

import httpx
import pytest

from crawlers.sandbox.francetravail import FranceTravailMock
from crawlers.sandbox.server import serve


def _offers(n: int) -> list[dict]:
    return [
        {
            "id": f"{100000 + i}X",
            "intitule": "Aide-soignant de nuit (H/F)",
            "romeCode": "J1501" if i % 2 else "J1506",
            "typeContrat": "CDI" if i % 3 else "CDD",
            "dateCreation": f"2026-11-{1 + i % 20:02d}T08:00:00.000Z",
            "lieuTravail": {"libelle": "46 - CAHORS", "commune": "46042", "codePostal": "46000"},
        }
        for i in range(n)
    ]


@pytest.fixture
def api():
    mock = FranceTravailMock(_offers(320), max_results=300)
    with serve(lambda r: mock.handle(r, "/ft")) as base:
        yield mock, base + "/ft"


def _token(base: str) -> str:
    response = httpx.post(
        base + "/connexion/oauth2/access_token",
        params={"realm": "/partenaire"},
        data={"grant_type": "client_credentials", "client_id": "sandbox", "client_secret": "sandbox", "scope": "api_offresdemploiv2 o2dsoffre"},
    )
    assert response.status_code == 200
    return response.json()["access_token"]


def test_paging_206_then_200_then_204(api) -> None:
    mock, base = api
    headers = {"Authorization": f"Bearer {_token(base)}"}
    url = base + "/partenaire/offresdemploi/v2/offres/search"
    first = httpx.get(url, params={"departement": "46", "codeROME": "J1501", "range": "0-149"}, headers=headers)
    assert first.status_code == 206
    assert first.headers["Content-Range"] == "offres 0-149/160"
    last = httpx.get(url, params={"departement": "46", "codeROME": "J1501", "range": "150-299"}, headers=headers)
    assert last.status_code == 200
    assert len(last.json()["resultats"]) == 10
    none = httpx.get(url, params={"departement": "12", "range": "0-149"}, headers=headers)
    assert none.status_code == 204


def test_cap_forces_splitting_and_facets_help(api) -> None:
    mock, base = api
    headers = {"Authorization": f"Bearer {_token(base)}"}
    url = base + "/partenaire/offresdemploi/v2/offres/search"
    beyond = httpx.get(url, params={"departement": "46", "range": "300-449"}, headers=headers)
    assert beyond.status_code == 400
    page = httpx.get(url, params={"departement": "46", "range": "0-149"}, headers=headers)
    facets = {f["filtre"]: f for f in page.json()["filtresPossibles"]}
    assert sum(a["nbResultats"] for a in facets["typeContrat"]["agregation"]) == 320


def test_bad_credentials_expired_token_and_rate_limit(api) -> None:
    mock, base = api
    bad = httpx.post(base + "/connexion/oauth2/access_token", data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"})
    assert bad.status_code == 401
    token = _token(base)
    url = base + "/partenaire/offresdemploi/v2/offres/search"
    mock.expire_tokens()
    assert httpx.get(url, params={"range": "0-9"}, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    token = _token(base)
    mock.rate_limit = 2
    statuses = [httpx.get(url, params={"range": "0-9"}, headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(4)]
    assert 429 in statuses
    limited = [s for s in mock.searches if s[1] == 429]
    assert limited
