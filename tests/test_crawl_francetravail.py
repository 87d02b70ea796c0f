"""The France Travail spider against the local imitation of the API (crawlers/sandbox/francetravail.py):
paging 206/200/204, query splitting beyond the cap, token renewal on 401, Retry-After on 429."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.runner import run_crawl
from crawlers.sandbox.francetravail import FranceTravailMock
from crawlers.sandbox.server import serve
from crawlers.spiders.francetravail import departement_communes, offer_to_raw, parse_content_range

FAST = {"DOWNLOAD_DELAY": "0", "RETRY_AFTER_MAX": "2", "DOWNLOAD_TIMEOUT": "5"}
COMMUNES = departement_communes("46")


def ft_offer(n: int, *, contract: str = "CDI", commune: str | None = None, rome: str = "J1506") -> dict:
    insee = commune or COMMUNES[n % len(COMMUNES)]
    return {
        "id": f"{190000 + n}X",
        "intitule": f"Infirmier / Infirmière n° {n}",
        "description": "Vous assurez les soins infirmiers au sein du service de médecine.",
        "dateCreation": "2026-11-10T09:30:00.000Z",
        "lieuTravail": {
            "libelle": f"46 - COMMUNE {insee}",
            "commune": insee,
            "codePostal": "46000",
            "latitude": 44.45,
            "longitude": 1.44,
        },
        "romeCode": rome,
        "romeLibelle": "Soins infirmiers généralistes",
        "typeContrat": contract,
        "typeContratLibelle": "Contrat à durée indéterminée",
        "entreprise": {"nom": "Centre hospitalier de Cahors", "siret": "26460001000019"},
    }


class Recorder:
    """The imitation mounted under /ft, with the time of every search request."""

    def __init__(self, mock: FranceTravailMock) -> None:
        self.mock = mock
        self.times: list[float] = []

    def __call__(self, request):  # type: ignore[no-untyped-def]
        if request.path.endswith("/search"):
            self.times.append(time.monotonic())
        return self.mock.handle(request, "/ft")


def crawl(base: str, env: dict[str, str], **args: str):  # type: ignore[no-untyped-def]
    spider_args = {
        "token_url": f"{base}/ft/connexion/oauth2/access_token?realm=/partenaire",
        "client_id": "sandbox",
        "client_secret": "sandbox",
        **args,
    }
    return run_crawl(
        "ft-test",
        spider="francetravail",
        url=f"{base}/ft/partenaire/offresdemploi/v2/offres/search",
        settings=FAST,
        spider_args=spider_args,
        timeout=90,
        env=env,
    )


def stored(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    count = conn.execute("SELECT count(*) FROM posting WHERE source_id = 'ft-test'").fetchone()[0]
    conn.close()
    return count


def test_offer_mapping_keeps_insee_rome_partners_and_drops_contacts() -> None:
    offer = {
        **ft_offer(1, commune="46042"),
        "lieuTravail": {
            "libelle": "46 - CAHORS",
            "latitude": 44.4475,
            "longitude": 1.4419,
            "codePostal": "46000",
            "commune": "46042",
        },
        "typeContrat": "CDD",
        "typeContratLibelle": "Contrat à durée déterminée - 6 Mois",
        "dureeTravailLibelle": "35H Horaires normaux",
        "dureeTravailLibelleConverti": "Temps plein",
        "salaire": {"libelle": "Mensuel de 1880,71 Euros à 2100,00 Euros sur 12 mois", "commentaire": "selon grille"},
        "experienceLibelle": "Débutant accepté",
        "nombrePostes": 2,
        "codeNAF": "86.10Z",
        "contact": {
            "nom": "Mme Durand",
            "courriel": "rh@ch-cahors.fr",
            "urlPostulation": "https://ch-cahors.fr/postuler",
        },
        "origineOffre": {
            "origine": "2",
            "urlOrigine": "https://ch-cahors.fr/offres/1",
            "partenaires": [{"nom": "HELLOWORK", "url": "https://www.hellowork.com/fr-fr/emplois/1.html"}],
        },
    }
    raw = offer_to_raw(offer, source="francetravail-lot")
    assert raw.source_id == "190001X"
    assert raw.url == "https://candidat.francetravail.fr/offres/recherche/detail/190001X"
    assert (raw.insee, raw.postal_code, raw.departement, raw.location) == ("46042", "46000", "46", "46 - CAHORS")
    assert (raw.lat, raw.lon) == (44.4475, 1.4419)
    assert (raw.rome_code, raw.rome_label) == ("J1506", "Soins infirmiers généralistes")
    assert raw.contract == "Contrat à durée déterminée - 6 Mois"
    assert raw.working_time == "Temps plein - 35H Horaires normaux"
    assert raw.salary == "Mensuel de 1880,71 Euros à 2100,00 Euros sur 12 mois ; selon grille"
    assert (raw.employer, raw.employer_siret, raw.naf_code) == (
        "Centre hospitalier de Cahors",
        "26460001000019",
        "86.10Z",
    )
    assert raw.partners == [{"name": "HELLOWORK", "url": "https://www.hellowork.com/fr-fr/emplois/1.html"}]
    assert raw.apply_url == "https://ch-cahors.fr/postuler"
    assert raw.positions == 2
    assert "rh@ch-cahors.fr" not in repr(raw)
    assert "Mme Durand" not in repr(raw)
    only_dep = offer_to_raw({"id": "1", "intitule": "x", "lieuTravail": {"libelle": "46 - Lot"}}, source="s")
    assert (only_dep.departement, only_dep.insee) == ("46", None)


def test_content_range() -> None:
    assert parse_content_range(b"offres 0-149/1234") == (0, 149, 1234)
    assert parse_content_range("garbage") is None
    assert parse_content_range(None) is None


@dataclass
class Case:
    """One crawl of the imitation: its mock, the crawl arguments, and what happened."""

    mock: FranceTravailMock
    args: dict[str, str] = field(default_factory=dict)
    recorder: Recorder | None = None
    outcomes: list[Any] = field(default_factory=list)
    db_path: Path | None = None


def cases() -> dict[str, Case]:
    paging = FranceTravailMock(
        [ft_offer(n) for n in range(320)]
        + [{**ft_offer(999), "lieuTravail": {"libelle": "12 - RODEZ", "commune": "12202"}}]
    )
    paging.fail_next = [401, 429]  # the first search: expired token, then rate limited
    split = FranceTravailMock(
        [ft_offer(n, contract="CDI") for n in range(260)]
        + [ft_offer(1000 + n, contract="CDD") for n in range(90)]
        + [ft_offer(2000 + n, contract="SAI") for n in range(40)],
        max_results=150,
    )
    without_commune = FranceTravailMock(
        [ft_offer(n) for n in range(200)]
        + [{**ft_offer(5000 + n), "lieuTravail": {"libelle": "46 - Lot"}} for n in range(3)],
        max_results=150,
    )
    limited = FranceTravailMock([ft_offer(n) for n in range(10)], retry_after=0)
    limited.fail_next = [429] * 20
    return {
        "paging": Case(paging),
        "split": Case(split, {"cap": "150"}),
        "without_commune": Case(without_commune, {"cap": "150"}),
        "limited": Case(limited),
        "refused": Case(FranceTravailMock([ft_offer(1)]), {"client_secret": "wrong"}),
    }


def _run(name: str, case: Case, tmp: Path) -> None:
    case.recorder = Recorder(case.mock)
    case.db_path = tmp / f"{name}.sqlite3"
    env = {"OHMYLOT_DATABASE_URL": f"sqlite:///{case.db_path}", "OHMYLOT_DATA_DIR": str(tmp / name)}
    with serve(case.recorder) as base:
        case.outcomes.append(crawl(base, env, **case.args))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    tmp = tmp_path_factory.mktemp("francetravail")
    all_cases = cases()
    with ThreadPoolExecutor(max_workers=3) as pool:
        for future in [pool.submit(_run, name, case, tmp) for name, case in all_cases.items()]:
            future.result()
    return all_cases


def test_paging_token_renewal_and_retry_after(runs: dict[str, Case]) -> None:
    case = runs["paging"]
    (outcome,) = case.outcomes
    assert outcome.status == "success", outcome
    assert outcome.items_scraped == 320
    assert stored(case.db_path) == 320
    statuses = [status for _, status in case.mock.searches]
    assert statuses == [401, 429, 206, 206, 200]
    assert [query["range"] for query, _ in case.mock.searches] == ["0-149", "0-149", "0-149", "150-299", "300-449"]
    assert all(query["departement"] == "46" for query, _ in case.mock.searches)
    assert case.mock.tokens_issued == 2
    # Retry-After: 1 → the retry waited at least a second
    assert case.recorder.times[2] - case.recorder.times[1] >= 0.95


def test_query_beyond_the_cap_is_split(runs: dict[str, Case]) -> None:
    case = runs["split"]
    (outcome,) = case.outcomes
    assert outcome.status == "success", outcome
    assert outcome.items_scraped == 390
    assert stored(case.db_path) == 390
    queries = [query for query, status in case.mock.searches]
    assert any(q.get("typeContrat") == "CDD" and "commune" not in q for q in queries)
    # CDI alone is still above the cap: split again by halves of the Lot's communes
    assert any(q.get("typeContrat") == "CDI" and "commune" in q for q in queries)
    assert all(int(q["range"].split("-")[1]) < 150 for q in queries)
    assert all(status != 400 for _, status in case.mock.searches)


def test_offers_without_commune_make_a_split_crawl_partial(runs: dict[str, Case]) -> None:
    (outcome,) = runs["without_commune"].outcomes
    assert outcome.status == "partial"
    assert "incomplete_pages" in outcome.partial_reasons
    assert outcome.items_scraped == 200


def test_sustained_429_closes_rate_limited(runs: dict[str, Case]) -> None:
    (limited,) = runs["limited"].outcomes
    assert limited.finish_reason == "rate_limited"
    assert limited.status == "failed"


def test_bad_credentials_fail_with_nothing_stored(runs: dict[str, Case]) -> None:
    (refused,) = runs["refused"].outcomes
    assert refused.status == "failed"
    assert refused.items_scraped == 0
    assert runs["refused"].mock.searches == []
    log = Path(refused.log_path).read_text(encoding="utf-8")
    assert "OHMYLOT_FT_CLIENT_ID" in log


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "intitule",
                "description",
                "lieuTravail",
                "entreprise",
                "salaire",
                "origineOffre",
                "contact",
                "typeContrat",
                "typeContratLibelle",
                "alternance",
                "natureContrat",
                "nombrePostes",
                "romeCode",
            ]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
            lambda children: (
                st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4)
            ),
            max_leaves=12,
        ),
    )
)
def test_offer_mapping_never_raises(offer: dict) -> None:
    raw = offer_to_raw(offer, source="s")
    assert raw.source == "s"


@given(st.one_of(st.text(), st.binary()))
def test_content_range_never_raises(value: str | bytes) -> None:
    parse_content_range(value)
