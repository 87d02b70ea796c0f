"""A partner source added by an admin in Chromium, on a desktop screen and on a 375 px phone: the sample
file uploaded, the probe's preview read, the declaration saved; then the crawl reads the stored file and
stores its offers (desktop run). Every page is checked by axe-core (0 violations, any impact) and for
horizontal scrolling (``tests/browser/test_flows_browser.Walk``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.browser.test_flows_browser import SCREENS, Walk, _login
from tests.browser.test_web_browser import CHROMIUM, browser, live_server  # noqa: F401 - shared fixtures
from tests.webutil import add_user

pytest_plugins = ["tests.webutil"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.db,
    pytest.mark.skipif(os.environ.get("OHMYLOT_SKIP_BROWSER") == "1", reason="OHMYLOT_SKIP_BROWSER=1"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium absent ({CHROMIUM}): apt-get install chromium"),
]

LAPOSTE = Path(__file__).resolve().parents[1] / "data" / "feeds" / "laposte.xml"
FERME = Path(__file__).resolve().parents[1] / "data" / "feeds" / "synthetic" / "offres-ferme-cp1252.csv"


@pytest.mark.parametrize("screen", list(SCREENS))
def test_admin_adds_a_source_from_a_sample_file(live_server, browser, db, screen) -> None:  # noqa: F811
    base, _received = live_server
    add_user(db, email="admin@ohmylot.fr", role="admin", full_name="Alix Admin")
    walk = Walk(browser, screen)
    page = walk.page
    _login(walk, base, "admin@ohmylot.fr")

    page.goto(f"{base}/equipe/sources")
    walk.check("/equipe/sources")
    page.get_by_role("link", name="Ajouter une source").click()
    walk.check("/equipe/sources/nouvelle")

    # A file that is not a feed: one French line, the form again.
    page.get_by_label(re.compile("Ou le fichier envoyé")).set_input_files(
        {"name": "erreur.html", "mimeType": "text/html", "buffer": b"<html><body>Erreur</body></html>"})
    page.get_by_role("button", name="Examiner le flux").click()
    assert "n'est pas un flux d'offres" in page.get_by_role("alert").inner_text()
    walk.check("/equipe/sources/nouvelle (erreur)")

    page.get_by_label(re.compile("Ou le fichier envoyé")).set_input_files(str(LAPOSTE))
    page.get_by_role("button", name="Examiner le flux").click()
    summary = page.locator("#resume").inner_text()
    offers = LAPOSTE.read_bytes().count(b"<offre>")
    assert f"{offers} offre(s)" in summary
    assert "format deviné" in summary
    title_row = page.get_by_role("row", name=re.compile("^intitulé"))
    example = title_row.get_by_role("cell").nth(1).inner_text().splitlines()[0]
    assert example
    assert example in LAPOSTE.read_text(encoding="utf-8")
    walk.check("aperçu")

    # Adjust the declaration: the id, the name; the employer: the file's "company" holds placeholders
    # ("nom compagnie"), so the mapping goes and the employer becomes a fixed value of the format.
    source_id = f"laposte-{screen}"
    page.get_by_label("Identifiant").fill(source_id)
    page.get_by_label("Nom", exact=True).fill("La Poste recrute")
    fmt = page.get_by_label(re.compile(r"^Format"))
    guessed = fmt.input_value()
    assert 'employer = "company"' in guessed
    fmt.fill(guessed.replace('employer = "company"\n', "") + '\n[values]\nemployer = "La Poste Groupe"\n')
    page.get_by_label(re.compile("^Planification")).fill("0 4 * * 2")
    page.get_by_label(re.compile("^Confiance")).fill("0,8")
    page.get_by_role("button", name="Enregistrer la source").click()
    page.get_by_text(f"Source « {source_id} » enregistrée").wait_for()
    assert page.get_by_role("heading", name="La Poste recrute").is_visible()
    walk.check("/equipe/sources (enregistrée)")
    if screen != "ordinateur":  # the partner sends a newer file (the desktop run crawls the first one)
        page.get_by_label(f"Nouveau fichier de {source_id}").set_input_files(str(FERME))
        page.get_by_role("button", name="Remplacer le fichier").click()
        page.get_by_text(f"Fichier de la source « {source_id} » remplacé").wait_for()
        walk.check("/equipe/sources (fichier remplacé)")
    walk.close()
    assert walk.problems == []

    from store.models import AuditLog, ManagedSource

    with db.session() as session:
        row = session.get(ManagedSource, source_id)
        assert row.declaration["url"].startswith("file://")
        assert row.declaration["trust"] == 0.8
        sent = LAPOSTE if screen == "ordinateur" else FERME
        assert Path(row.declaration["url"].removeprefix("file://")).read_bytes() == sent.read_bytes()
        assert session.scalar(select(AuditLog.actor).where(AuditLog.action == "sources.add")) == "admin@ohmylot.fr"
    if screen != "ordinateur":
        return

    # The next crawl (what ``ohmylot crawl laposte-ordinateur`` runs) reads the stored file.
    from crawlers.runner import run_crawl
    from store.models import Posting

    outcome = run_crawl(source_id, timeout=300)
    assert outcome.status in ("success", "partial"), outcome
    assert outcome.items_scraped > 0
    with db.session() as session:
        stored = session.scalar(select(func.count()).select_from(Posting).where(Posting.source_id == source_id))
        employers = set(session.scalars(select(Posting.employer_name).where(Posting.source_id == source_id)))
    assert stored == outcome.new > 0
    assert employers == {"La Poste Groupe"}
