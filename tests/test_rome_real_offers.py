"""The real-offer builder (bench/real_offers.py) reads every kind of source the same way."""

from __future__ import annotations

import csv
import io
import json

from bench import real_offers


def _csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def test_flat_csv_offers_come_back_to_the_api_shape_and_fiche_codes_to_their_parent() -> None:
    row = {
        "id": "207ABCD",
        "intitule": "Data analyst (H/F)",
        "description": "Analyser des données.",
        "rome_code": "M1419",
        "appellation_libelle": "Data analyst",
        "lieu_libelle": "06 - VALBONNE",
        "code_postal": "6560.0",
        "commune": "6152.0",
        "latitude": "43.62",
        "longitude": "7.01",
        "nom_entreprise": "",
        "date_creation": "2026-02-27T15:43:37.002Z",
        "type_contrat": "CDI",
    }
    offers = list(real_offers._api_offers("csv_flat", _csv([row, {**row, "id": "X", "rome_code": ""}])))
    assert offers[0]["lieuTravail"]["commune"] == "06152"  # the CSV lost the leading zero
    parents = real_offers._parents()
    records = [real_offers.record(o, "repo:file", parents) for o in offers]
    assert records[1] is None  # no code: not usable as truth
    first = records[0]
    assert first is not None
    assert (first["title"], first["rome_code"], first["insee"], first["company"]) == (
        "Data analyst (H/F)",
        parents["M1419"],
        "06152",
        None,
    )


def test_raw_api_pages_are_read_from_their_results() -> None:
    page = {"resultats": [{"id": "1", "intitule": "Boulanger H/F", "romeCode": "D1102"}]}
    offers = list(real_offers._api_offers("json", json.dumps(page).encode()))
    assert [o["id"] for o in offers] == ["1"]


def test_every_recorded_source_has_a_known_kind_and_repository() -> None:
    kinds = {"json", "sqlite_offers", "sqlite_offres", "csv_flat"}
    assert {kind for _, _, _, kind in real_offers.SOURCES} <= kinds
    assert set(real_offers.REPOS) == {repo for repo, _, _, _ in real_offers.SOURCES}
    assert all(len(blob) == 40 for _, _, blob, _ in real_offers.SOURCES)
