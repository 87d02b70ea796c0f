"""Offers sent as CSV/XLSX by partners without a website: headers, separators, encodings, bad rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.sheets import cell_text, derived_id, field_for_header, read_spreadsheet, sniff_delimiter
from crawlers.spiders.spreadsheet import SpreadsheetSpider
from tests.feeds_support import BROKEN, DATA, drops, replay

SHEETS = DATA / "synthetic"


@pytest.mark.parametrize(("header", "field"), [
    ("Intitulé du poste", "title"), ("TITRE", "title"), ("Poste", "title"), ("Employeur", "employer"),
    ("Entreprise", "employer"), ("Lieu", "city"), ("Commune", "city"), ("Code postal", "postal_code"),
    ("CP", "postal_code"), ("Contrat", "contract"), ("Type de contrat", "contract"),
    ("Durée du contrat", "contract_duration"), ("Description", "description"), ("Missions", "description"),
    ("Date de publication", "published_at"), ("Date", "published_at"), ("Date limite", "expires_at"),
    ("Date limite de candidature", "expires_at"), ("Salaire", "salary"), ("Rémunération brute", "salary"),
    ("Lien/Contact", "link"), ("Lien", "link"), ("Contact", "contact"), ("Courriel", "contact"),
    ("Référence", "source_id"), ("Réf.", "source_id"), ("N°", "source_id"), ("Profil recherché", "profile"),
    ("Temps de travail", "working_time"), ("Nombre de postes", "positions"), ("SIRET", "employer_siret"),
    ("Date de début", "start_date"), ("Adresse", "location"), ("Remarque interne", None), ("", None),
])
def test_french_headers(header: str, field: str | None):
    assert field_for_header(header) == field


def test_delimiter_sniffing():
    assert sniff_delimiter("Titre;Lieu;Salaire (brut, mensuel)\n") == ";"
    assert sniff_delimiter("Titre,Lieu,Contrat\n") == ","
    assert sniff_delimiter("Titre\tLieu\tContrat\n") == "\t"
    assert sniff_delimiter('"Titre";"Lieu"\n') == ";"


def test_csv_semicolon_windows_1252_with_bad_rows():
    items, stats, spider = replay(SpreadsheetSpider, SHEETS / "offres-ferme-cp1252.csv")
    assert [p.source_id for p in items] == ["FC-01", "FC-02", "FC-05"]
    ouvrier, noix, vendeur = items
    assert ouvrier.title == "Ouvrier agricole polyvalent (H/F)"
    assert ouvrier.employer == "Ferme du Causse"
    assert (ouvrier.city, ouvrier.postal_code) == ("Gramat", "46500")
    assert ouvrier.contract == "CDD 6 mois"
    assert ouvrier.description == "Soins aux brebis, entretien des clôtures.\r\nPermis B exigé."  # quoted, 2 lines
    assert (ouvrier.published_at, ouvrier.expires_at) == ("02/11/2026", "30/11/2026")
    assert ouvrier.salary == "12,02 € brut/heure"
    assert ouvrier.url is None
    assert ouvrier.extra["contact"] == "emploi@fermeducausse.fr"
    assert ouvrier.extra["line"] == 4  # the header is on line 3, after a title line and an empty line
    assert noix.url == "https://www.fermeducausse.fr/offres/fc-02"
    assert noix.expires_at is None
    assert vendeur.postal_code == "4610"  # a typo in a CSV is passed on as written
    assert vendeur.url == "https://www.fermeducausse.fr/offres/fc-05"
    assert drops(stats) == {"missing_title": 1, "invalid_row": 1}
    details = sorted(p.detail for p in spider.dropped)
    assert details == ["ligne 8 : intitulé manquant",
                       "ligne 9 : 12 cellules remplies pour 11 colonnes (séparateur dans un texte ?)"]
    assert stats["feeds/repair/cp1252_in_utf8"] > 0


def test_csv_comma_utf8_bom_without_reference_gets_a_stable_id():
    items, stats, _ = replay(SpreadsheetSpider, SHEETS / "offres-boulangerie-utf8-bom.csv")
    assert drops(stats) == {}
    boulanger, apprenti = items
    assert boulanger.title == "Boulanger(ère)"  # the BOM is not part of the first header
    assert (boulanger.employer, boulanger.city, boulanger.postal_code) == ("Boulangerie Delpech", "Souillac", "46200")
    assert boulanger.description == "Fabrication du pain, viennoiseries; four à bois."
    assert boulanger.salary == "1 900 €, 39 h"
    assert boulanger.published_at == "2026-10-28"
    assert boulanger.source_id.startswith("sheet-")
    assert boulanger.extra["id_derived"] is True
    assert boulanger.source_id != apprenti.source_id
    # the same offer typed again with other spacing/case gets the same id; another offer does not
    assert derived_id({"title": "BOULANGER(ÈRE) ", "employer": "Boulangerie  Delpech", "city": "souillac",
                       "postal_code": "46200", "contract": "CDI"}) == boulanger.source_id
    assert derived_id({"title": "Boulanger(ère)", "employer": "Boulangerie Delpech", "city": "Gourdon",
                       "postal_code": "46300", "contract": "CDI"}) != boulanger.source_id


def test_tab_separated_with_profile_and_registry_employer():
    items, stats, _ = replay(SpreadsheetSpider, SHEETS / "offres-mairie.tsv", employer="Mairie de Labastide-Murat")
    assert drops(stats) == {}
    (secretaire,) = items
    assert secretaire.title == "Secrétaire de mairie (F/H)"
    assert secretaire.employer == "Mairie de Labastide-Murat"  # from -a employer= (the sheet has no column)
    assert secretaire.working_time == "24 h/semaine"
    assert secretaire.contract == "Contractuel"
    assert secretaire.expires_at == "2026-11-20"
    assert secretaire.description == ("Accueil, état civil, urbanisme, budget.\n\nProfil recherché :\n"
                                      "Connaissance des collectivités appréciée.")


def test_xlsx_workbook():
    items, stats, spider = replay(SpreadsheetSpider, SHEETS / "offres-batiment.xlsx")
    assert [p.source_id for p in items] == ["M-2026-14", "M-2026-15", "M-2026-17"]
    macon, aide, couvreur = items
    assert macon.title == "Maçon qualifié H/F"
    assert (macon.employer, macon.city, macon.postal_code) == ("SARL Bâti Quercy", "Saint-Céré", "46400")
    assert (macon.contract, macon.contract_duration) == ("CDD", "6 mois")
    assert (macon.published_at, macon.expires_at) == ("2026-11-02", "2026-12-31")  # date cells
    assert macon.salary == "2100.5"
    assert macon.positions == "2"
    assert macon.extra["Remarque interne"] == "urgent"  # an unknown column is kept under its header
    assert aide.postal_code == "46130"  # 46130.0 in the cell
    assert aide.published_at == "2026-11-03T14:30"
    assert aide.contract_duration is None
    assert couvreur.postal_code == "09000"  # the number 9000: Excel dropped the leading zero
    assert stats["feeds/repair/postal_code_leading_zero"] == 1
    assert drops(stats) == {"missing_title": 1}
    assert spider.dropped[0].detail == "ligne 5 : intitulé manquant"


def test_header_found_on_a_later_sheet(tmp_path: Path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Mode d'emploi : une offre par ligne"])
    sheet = workbook.create_sheet("Offres")
    sheet.append(["Titre", "Lieu"])
    sheet.append(["Cariste", "Figeac"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = read_spreadsheet(buffer.getvalue())
    assert [r.values for r in result.rows] == [{"title": "Cariste", "city": "Figeac"}]


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "empty_response"),
    (b"Nom;Adresse;Telephone\nDupont;Cahors;0565000000\n", "not_a_feed"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "unsupported_format"),
    (b"PK\x03\x04 not really a zip", "invalid_spreadsheet"),
])
def test_unusable_files_are_one_drop(body: bytes, reason: str):
    items, stats, _ = replay(SpreadsheetSpider, body)
    assert items == []
    assert drops(stats) == {reason: 1}


def test_html_page_and_truncated_workbook():
    items, stats, _ = replay(SpreadsheetSpider, BROKEN / "error-page.html")
    assert (items, drops(stats)) == ([], {"not_a_feed": 1})
    whole = (SHEETS / "offres-batiment.xlsx").read_bytes()
    items, stats, _ = replay(SpreadsheetSpider, whole[: len(whole) // 2])
    assert (items, drops(stats)) == ([], {"invalid_spreadsheet": 1})


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=1024))
def test_arbitrary_bytes_never_raise(body: bytes):
    read_spreadsheet(body)
    read_spreadsheet(b"Titre;Lieu\n" + body)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]), max_size=12), min_size=3,
                         max_size=3), max_size=6))
def test_arbitrary_tables_round_trip(rows: list[list[str]]):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Intitulé", "Lieu", "Contrat"])
    writer.writerows(rows)
    sheet = read_spreadsheet(buffer.getvalue().encode("utf-8"))
    cleaned = [[cell_text(c) for c in row] for row in rows]
    expected = [row[0] for row in cleaned if row[0]]
    assert [r.values["title"] for r in sheet.rows] == expected
    assert len(sheet.problems) == sum(1 for row in cleaned if not row[0] and any(row))
