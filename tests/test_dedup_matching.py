"""Pure deduplication functions: URLs, employers, blocking, comparison, clustering that cannot chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from matching.dedup import (
    DedupRecord,
    blocking_keys,
    candidate_pairs,
    canonical_url,
    cluster,
    compare,
    dedupe_records,
    employer_key,
    prepare,
)

T0 = datetime(2026, 10, 1, tzinfo=UTC)
DESC = (
    "L'EHPAD Les Tilleuls à Gourdon recrute un aide-soignant de nuit. Vous accompagnez les résidents dans les "
    "actes de la vie quotidienne, assurez les soins d'hygiène et de confort, les transmissions écrites et "
    "orales. Diplôme d'État d'aide-soignant exigé. Poste en 10 heures, 3 nuits par semaine."
)


def rec(key: str, source: str = "site", **kw) -> DedupRecord:  # type: ignore[no-untyped-def]
    values = {
        "title": "Aide-soignant de nuit H/F",
        "employer": "EHPAD Les Tilleuls",
        "description": DESC,
        "contract_type": "CDI",
        "published_at": T0,
        "commune_insee": "46127",
        "epci": "200066744",
        "departement": "46",
        "lat": 44.737,
        "lon": 1.383,
        "rome_code": "J1501",
    }
    values.update(kw)
    return prepare(DedupRecord(key=key, source=source, source_ref=kw.pop("source_ref", key), **values))


def test_canonical_url_drops_tracking_and_www() -> None:
    assert canonical_url("https://www.Hellowork.com/fr-fr/emplois/41990977.html?utm_source=x&utm_medium=y#top") == (
        "hellowork.com/fr-fr/emplois/41990977.html"
    )
    assert canonical_url("not a url") is None
    assert canonical_url(None) is None


def test_employer_key_spells_out_abbreviations_and_drops_legal_forms() -> None:
    assert employer_key("CH de Cahors") == employer_key("Centre Hospitalier de CAHORS")
    assert employer_key("Mairie de Figeac") == employer_key("Ville de Figeac")
    assert employer_key("Andros SAS") == "andros"


def test_blocking_keeps_a_pair_when_one_field_is_missing() -> None:
    a = rec("a")
    b = rec("b", source="hellowork", employer=None, commune_insee=None, epci=None, lat=None, lon=None)
    assert blocking_keys(a) & blocking_keys(b)
    c = rec("c", employer="Andros", title="Conducteur de ligne", rome_code="H2102", commune_insee="46035",
            epci="244600589", lat=44.95, lon=1.82)
    assert candidate_pairs([a, b, c]).tolist() == [[0, 1]]


def test_cross_posting_with_reworded_title_and_truncated_description_is_a_duplicate() -> None:
    a = rec("a")
    b = rec("b", source="francetravail", title="AIDE SOIGNANT / AIDE SOIGNANTE DE NUIT (H/F)",
            description=DESC[:160] + "…", published_at=T0 + timedelta(days=3), employer="Ehpad les tilleuls")
    f = compare(a, b)
    assert f.veto is None
    assert f.score >= 0.62


def test_other_service_other_employer_other_place_are_vetoed() -> None:
    a = rec("a", title="Infirmier H/F - Service pneumologie", description=DESC.replace("nuit", "pneumologie"))
    b = rec("b", title="Infirmier H/F - Service cardiologie", description=DESC.replace("nuit", "cardiologie"))
    assert compare(a, b).veto == "title"
    assert compare(rec("a"), rec("b", employer="EHPAD Le Bon Accueil")).veto == "employer"
    assert compare(rec("a"), rec("b", commune_insee="31555", lat=43.60, lon=1.44, departement="31")).veto == "place"
    assert compare(rec("a", contract_type="CDD"), rec("b", contract_type="interim")).veto is None
    assert compare(rec("a"), rec("b", contract_type="interim")).veto == "contract"
    assert compare(rec("a"), rec("b", contract_type="apprentissage")).veto == "contract"


def test_same_source_two_ids_are_two_vacancies_unless_identical() -> None:
    a = rec("a", source="site")
    b = rec("b", source="site", title="Aide-soignant de jour H/F", description=DESC.replace("nuit", "jour"))
    assert compare(a, b).veto is not None
    assert compare(a, rec("c", source="site")).veto is None


def test_clustering_cannot_chain_two_different_vacancies() -> None:
    # B is vague (no description, generic title): it looks like A and like C, but A and C differ.
    a = rec("a", title="Infirmier H/F - Service pneumologie", description=DESC + " pneumologie")
    b = rec("b", source="hellowork", title="Infirmier H/F", description=None)
    c = rec("c", title="Infirmier H/F - Service cardiologie", description=DESC + " cardiologie")
    labels = dedupe_records([a, b, c])
    assert labels[0] != labels[2]
    assert len(set(labels)) == 2


def test_repost_after_closing_is_not_merged_unless_same_posting() -> None:
    a = rec("a", closed_at=T0 + timedelta(days=10))
    b = rec("b", source="hellowork", published_at=T0 + timedelta(days=40))
    assert len(set(dedupe_records([a, b]))) == 2
    b_open = rec("b", source="hellowork", published_at=T0 + timedelta(days=5))
    assert len(set(dedupe_records([a, b_open]))) == 1


def test_staff_split_is_respected_and_staff_merge_forces() -> None:
    a, b = rec("a"), rec("b", source="hellowork")
    assert len(set(cluster([a, b], [], staff_links=[(0, 1)]))) == 1
    from matching.dedup import Edge

    assert len(set(cluster([a, b], [Edge(0, 1, 0.99)], forbidden=[(0, 1)]))) == 2


def test_quick_benchmark_reports_figures() -> None:
    from bench.dedup import run

    figures = run(quick=True)
    assert figures["db_full_rebuild"]["offers"] > 0
    assert figures["db_incremental"]["ms_per_posting_median"] > 0
    engine = figures["engine_scale"][0]
    assert engine["offers"] < engine["postings"]
    assert engine["pairwise_precision"] > 0.9


def test_canonical_url_keeps_route_fragments_and_drops_bare_site_roots() -> None:
    # real France Travail partner links: the job id of an applicant-tracking site sits in the fragment
    a = canonical_url("https://app.beetween.com/WeaselWeb/p/#/apply/job/xyfmo22h388/medecin-gastro-enterologue")
    b = canonical_url("https://app.beetween.com/WeaselWeb/p/#/apply/job/oz09jb7i5f8/medecin-endocrinologue")
    assert a
    assert b
    assert a != b
    assert canonical_url("https://f.candidatus.com/?ref=blachere-58016") is None  # only a tracking-like ref left
    assert canonical_url("https://www.example.fr/") is None


def test_one_source_listing_one_template_at_two_communes_is_two_vacancies() -> None:
    # a neighbouring commune 3 km away, same EPCI: the same text posted for each commune a service covers
    a = rec("a", source="francetravail")
    b = rec("b", source="francetravail", commune_insee="46222", lat=44.760, lon=1.398)
    assert compare(a, b).veto == "same_source"
    assert compare(a, rec("c", source="hellowork", commune_insee="46222", lat=44.760, lon=1.398)).veto is None
