"""The welcome loop in Chromium (Playwright, Debian's /usr/bin/chromium, headless, 127.0.0.1 only).

A référent imports a directory file (a broken row is reported), opens a household's settling page (schools,
stations, hospitals and the directory for two communes), an ambassador signs up on the public page, is
proposed for the household with reasons, staff send the introduction, both accept through their e-mailed
links, steps are recorded, the welcome pack PDF holds those contents, and the dashboard's CSV counts it.

Skipped, with the reason shown, when ``OHMYLOT_SKIP_BROWSER=1`` or Chromium is missing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_network_browser import _axe_blocking
from tests.browser.test_web_browser import CHROMIUM, browser, live_server  # noqa: F401 - the web area's fixtures
from tests.test_welcome_web import DIRECTORY, pdf_text
from tests.webutil import PASSWORD, add_candidate, add_match, add_offer, add_user

pytest_plugins = ["tests.webutil"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.db,
    pytest.mark.skipif(os.environ.get("OHMYLOT_SKIP_BROWSER") == "1", reason="OHMYLOT_SKIP_BROWSER=1"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium absent ({CHROMIUM}): apt-get install chromium"),
]

GRAND_FIGEAC = "200067361"


def _seed(db) -> int:  # type: ignore[no-untyped-def]
    from store.models import User

    add_user(db, email="figeac@ohmylot.fr", role="referent", territory=[GRAND_FIGEAC], full_name="Anne Référente")
    with db.session() as session:
        referent = session.query(User).filter_by(email="figeac@ohmylot.fr").one()
        lea = add_candidate(session, target_area={"communes": ["46102"]}, rome_codes=["G1602"],
                            commune_insee="46102", current_place="Figeac", referent_id=referent.id)
        offer = add_offer(session, title="Cuisinier", commune_insee="46042", commune_name="Cahors",
                          lat=44.4475, lon=1.4419)
        add_match(session, lea, offer)
        session.commit()
        return lea.id


def _login(context, base: str, email: str):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.set_default_timeout(8000)
    page.goto(f"{base}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/equipe/"))
    return page


def _links(received, path: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    found = {}
    for recipients, message in received:
        match = re.search(rf"https?://\S+{re.escape(path)}\S+", message.get_body(("plain",)).get_content())
        if match:
            found[recipients[0]] = match.group(0)
    return found


def test_welcome_loop_in_chromium(db, live_server, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, received = live_server
    lea_id = _seed(db)
    referent = browser.new_context(locale="fr-FR", accept_downloads=True)
    page = _login(referent, base, "figeac@ohmylot.fr")

    # 1. the référent imports the directory: good rows in, the broken one reported
    directory_file = tmp_path / "annuaire.csv"
    directory_file.write_bytes(DIRECTORY.encode("cp1252"))
    page.goto(f"{base}/equipe/accueil/annuaire")
    page.get_by_label("Fichier").set_input_files(str(directory_file))
    page.get_by_role("button", name="Importer").click()
    report = page.locator("#rapport-import")
    assert "2 ajoutée(s)" in report.inner_text()
    assert "ligne 4 : commune manquante" in report.inner_text()

    # 2. the settling page: two communes side by side, each with schools, stations, hospitals, directory
    page.goto(f"{base}/equipe/prospects/{lea_id}/accueil")
    for insee in ("46102", "46042"):
        commune = page.locator(f"#commune-{insee}")
        assert commune.locator(".schools li").count() >= 4
        assert commune.locator(".stations li").count() >= 1
        assert commune.locator(".hospitals li").count() >= 1
    assert "Crèche Les Petits Loups" in page.locator("#commune-46102 .directory").inner_text()
    assert "vol d'oiseau" in page.inner_text("main")
    assert _axe_blocking(page) == []

    # 3. an ambassador signs up on the public page, with explicit consent
    public = browser.new_context(locale="fr-FR").new_page()
    public.goto(f"{base}/ambassadeurs")
    public.get_by_label("Prénom *").fill("Ines")
    public.get_by_label("Nom *", exact=True).fill("Vidal")
    public.get_by_label("Adresse e-mail *").fill("ines@example.net")
    public.get_by_label("Commune *").fill("Figeac")
    public.get_by_label("Secteur").select_option("G")
    assert _axe_blocking(public) == []
    public.locator("#consent").check()
    public.get_by_role("button", name="Devenir ambassadeur").click()
    assert "Merci Ines" in public.inner_text("main")
    assert "Martin" not in public.content()  # nothing about any household on a public page

    # 4. proposed for the household with reasons; the introduction goes to both
    page.goto(f"{base}/equipe/prospects/{lea_id}/accueil")
    proposals = page.locator("#propositions").inner_text()
    assert "Ines Vidal" in proposals
    assert "habite Figeac" in proposals
    assert "même secteur" in proposals
    page.get_by_role("button", name="Proposer la mise en relation à Ines").click()
    page.wait_for_url(re.compile(r"message="))
    links = _links(received, "/accueil/mise-en-relation/")
    assert set(links) == {"léa.martin@example.org", "ines@example.net"}

    # 5. both accept through their own links (double opt-in)
    for address in ("ines@example.net", "léa.martin@example.org"):
        answer = browser.new_context(locale="fr-FR").new_page()
        answer.goto(links[address])
        answer.get_by_role("button", name="J'accepte la mise en relation").click()
        assert "accord est enregistré" in answer.inner_text("#reponse")
    assert "les coordonnées vous ont été envoyées" in answer.inner_text("#reponse")

    # 6. steps recorded, pack chosen, the PDF produced with those contents
    page.goto(f"{base}/equipe/prospects/{lea_id}/accueil")
    assert "acceptée par les deux" in page.inner_text("#mises-en-relation")
    page.get_by_label("Étape", exact=True).select_option("first_visit")
    page.get_by_role("button", name="Enregistrer l'étape").click()
    page.wait_for_url(re.compile(r"message="))
    page.get_by_label("Étape", exact=True).select_option("moved_in")
    page.get_by_role("button", name="Enregistrer l'étape").click()
    page.wait_for_url(re.compile(r"message="))
    steps = page.inner_text("#etapes")
    assert "Première visite" in steps
    assert "Installation" in steps
    page.get_by_label("Commune choisie").select_option("46102")
    page.get_by_label("Crèche Les Petits Loups (Petite enfance (crèche, assistantes maternelles))").check()
    page.get_by_role("button", name="Enregistrer le livret").click()
    page.wait_for_url(re.compile(r"message="))
    with page.expect_download() as download:
        page.locator("#livret-pdf").click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    for expected in ("Bienvenue à Figeac", "Anne Référente", "Ines Vidal", "Crèche Les Petits Loups",
                     "Première visite", "Installation", "Lycée"):
        assert expected in text, expected

    # 7. the report counts it (the référent sees the dashboard like staff)
    csv = page.request.get(f"{base}/equipe/tableau/accueil.csv").text()
    assert "CC Grand-Figeac : foyers installés;1" in csv
    assert "mises en relation acceptées;1" in csv
