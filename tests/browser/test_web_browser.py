"""Browser flow with Playwright driving Debian's Chromium (headless, no network beyond 127.0.0.1).

log in → open a prospect → mark a match → build a shortlist → approve → send (local SMTP) → open the
employer link → answer → see the answer as staff. Screenshots go to ``$OHMYLOT_SCREENSHOTS_DIR`` when set
(``screenshots/`` is git-ignored), else to the pytest temporary directory.

Skipped, with the reason shown, when ``OHMYLOT_SKIP_BROWSER=1`` or when ``/usr/bin/chromium`` is missing.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest

from tests.webutil import PASSWORD, add_candidate, add_match, add_offer, add_user, free_port, smtp_settings

pytest_plugins = ["tests.webutil"]

CHROMIUM = os.environ.get("OHMYLOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.db,
    pytest.mark.skipif(os.environ.get("OHMYLOT_SKIP_BROWSER") == "1", reason="OHMYLOT_SKIP_BROWSER=1"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium absent ({CHROMIUM}): apt-get install chromium"),
]


@pytest.fixture
def live_server(db, smtp_server):
    """The app served by uvicorn on 127.0.0.1 (ephemeral port), with a local SMTP server behind it."""
    import uvicorn

    from web.app import create_app

    smtp_port, received = smtp_server
    port = free_port()
    settings = smtp_settings(smtp_port, public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings, database=db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the web server did not start"
    yield f"http://127.0.0.1:{port}", received
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("OHMYLOT_SCREENSHOTS_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    shot.folder = folder
    return shot


def _watch(page, problems: list[str]) -> None:
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))


def test_staff_to_employer_flow(live_server, browser, shots, db) -> None:
    base, received = live_server
    add_user(db, full_name="Camille Agent")
    with db.session() as session:
        offer = add_offer(session, title="Cuisinier / Cuisinière", employer_name="Hôtel du Lot")
        lea = add_candidate(session, "Léa", "Martin", skills="cuisine du terroir")
        add_match(session, lea, offer, 0.91, ["Métier recherché : cuisinière", "Habite à 0 km de Cahors"])
        lea_id, offer_id = lea.id, offer.id
    problems: list[str] = []
    staff = browser.new_context(locale="fr-FR")
    page = staff.new_page()
    page.set_default_timeout(8000)
    _watch(page, problems)

    # Log in.
    page.goto(f"{base}/login")
    page.get_by_label("Adresse e-mail").fill("agent@ohmylot.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    try:
        page.wait_for_url(re.compile(r"/equipe/offres$"))
    except Exception:
        print("URL", page.url, staff.cookies(), page.content()[:3000])
        raise
    cookies = {c["name"]: c for c in staff.cookies()}
    assert cookies["__Host-ohmylot_session"]["httpOnly"] is True
    assert cookies["__Host-ohmylot_session"]["sameSite"] == "Lax"
    shots(page, "01-offres")

    # Open a prospect and mark the proposed match.
    page.get_by_role("link", name="Prospects").click()
    page.get_by_role("link", name=re.compile("Léa Martin")).click()
    page.wait_for_url(re.compile(rf"/equipe/prospects/{lea_id}"))
    assert page.get_by_text("Habite à 0 km de Cahors").is_visible()
    page.get_by_label("Pertinente", exact=True).check()
    page.get_by_label("Raison").fill("Expérience en cuisine de terroir")
    page.get_by_role("button", name="Enregistrer l'avis").click()
    page.get_by_text("Avis enregistré.").wait_for()
    assert page.get_by_text("Jugée pertinente par Camille Agent").is_visible()
    shots(page, "02-prospect-avis")

    # Build a shortlist for the offer, preview, approve by name, send.
    page.goto(f"{base}/equipe/offres/{offer_id}")
    page.get_by_role("link", name="Préparer une liste pour l'employeur").click()
    page.get_by_label(re.compile("Léa Martin")).check()
    page.get_by_label("Adresse de l'employeur").fill("rh@hotel-du-lot.fr")
    page.get_by_role("button", name="Créer la liste (brouillon)").click()
    page.wait_for_url(re.compile(r"/equipe/listes/\d+"))
    preview = page.locator("section.preview")
    assert "Léa M." in preview.inner_text()
    assert "lea.martin@example.org" not in preview.inner_text()
    shots(page, "03-liste-apercu")
    page.get_by_label(re.compile("Votre nom")).fill("Camille Agent")
    page.get_by_role("button", name="Approuver la liste").click()
    page.get_by_text("Liste approuvée.").wait_for()
    page.get_by_role("button", name="Envoyer à l'employeur").click()
    page.get_by_text("Liste envoyée à rh@hotel-du-lot.fr.").wait_for()
    shots(page, "04-liste-envoyee")
    shortlist_url = page.url.split("?")[0]

    # The employer opens the link from the e-mail (another browser context: no staff cookie).
    [(recipients, message)] = received
    assert recipients == ["rh@hotel-du-lot.fr"]
    link = re.search(r"http://127\.0\.0\.1:\d+/employeur/\S+", message.get_body(("plain",)).get_content()).group(0)
    employer = browser.new_context(locale="fr-FR")
    employer_page = employer.new_page()
    employer_page.set_default_timeout(8000)
    _watch(employer_page, problems)
    response = employer_page.goto(link)
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    employer_page.get_by_label("Intéressé", exact=True).check()
    employer_page.get_by_label("Commentaire (facultatif)").fill("Pouvez-vous lui proposer un essai mardi ?")
    employer_page.get_by_role("button", name="Envoyer mes réponses").click()
    employer_page.get_by_text("Merci, vos réponses sont enregistrées.").wait_for()
    shots(employer_page, "05-employeur-reponse")

    # Staff see the answer.
    page.goto(shortlist_url)
    answers = page.locator("section[aria-labelledby='h-reponses']").inner_text()
    assert "intéressé" in answers
    assert "Pouvez-vous lui proposer un essai mardi ?" in answers
    shots(page, "06-reponse-vue-par-l-equipe")

    # Logout kills the session: the old cookie no longer opens staff pages.
    old_cookie = staff.cookies()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/login"))
    replay = browser.new_context()
    replay.add_cookies(old_cookie)
    replay_page = replay.new_page()
    replay_page.goto(f"{base}/equipe/prospects/{lea_id}")
    assert "/login" in replay_page.url
    for context in (staff, employer, replay):
        context.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert len(list(shots.folder.glob("*.png"))) >= 6


def test_public_board_in_the_browser(live_server, browser, shots, db) -> None:
    base, _ = live_server
    with db.session() as session:
        add_offer(session, title="Infirmier de nuit", contract_type="CDD")
        add_offer(session, title="Boulanger", contract_type="CDI")
    page = browser.new_page()
    page.set_default_timeout(8000)
    problems: list[str] = []
    _watch(page, problems)
    page.goto(f"{base}/offres")
    page.get_by_label("Mots-clés").fill("infirmier")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r"q=infirmier"))
    assert page.get_by_role("link", name="Infirmier de nuit").is_visible()
    assert page.get_by_role("link", name="Boulanger").count() == 0
    page.get_by_role("link", name="Infirmier de nuit").click()
    ld = page.locator('script[type="application/ld+json"]').text_content()
    assert '"@type":"JobPosting"' in ld
    shots(page, "07-offre-publique")
    assert problems == []
