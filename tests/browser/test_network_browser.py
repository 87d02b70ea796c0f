"""The employers' network in Chromium (Playwright, Debian's /usr/bin/chromium, headless, 127.0.0.1 only).

Flows: an employer joins → staff validate → the employer signs in from the e-mailed link and submits an offer
→ staff publish it → it shows once on the public board, merged with the same offer crawled elsewhere; a
talent digest goes to the members of a sector and an interest answer reaches staff; staff send a selection of
offers to a prospect, who unsubscribes and then receives nothing more.
Accessibility: axe-core (bundled by ``axe-playwright-python``) finds no serious or critical violation on the
public pages and forms, and keyboard-only navigation reaches every field and the submit button with a
visible focus.

Skipped, with the reason shown, when ``OHMYLOT_SKIP_BROWSER=1`` or Chromium is missing.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest

from tests.browser.test_web_browser import CHROMIUM, CHROMIUM_ARGS, browser  # noqa: F401 - the web area's fixture
from tests.network_support import CRAWLED_OFFER, JOIN_FORM, OFFER_FORM, body, crawl_posting, free_port, link_in
from tests.webutil import PASSWORD, SECRET, add_candidate, add_match, add_offer, add_user, web_settings

pytest_plugins = ["tests.webutil", "tests.network_support"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.db,
    pytest.mark.skipif(os.environ.get("OHMYLOT_SKIP_BROWSER") == "1", reason="OHMYLOT_SKIP_BROWSER=1"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium absent ({CHROMIUM}): apt-get install chromium"),
]

BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture
def server(db, mailbox):
    """The app served by uvicorn on 127.0.0.1 (ephemeral port); e-mails go to the local ``mailbox``."""
    import uvicorn

    from web.app import create_app

    port = free_port()
    app = create_app(web_settings(public_url=f"http://127.0.0.1:{port}"), database=db)
    uvicorn_server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uvicorn_server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uvicorn_server.started, "the web server did not start"
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def chromium(browser):  # noqa: F811 - the imported fixture, requested by name
    """The web area's Chromium fixture (Debian's /usr/bin/chromium, headless)."""
    return browser


def _page(chromium, **options):
    context = chromium.new_context(locale="fr-FR", **options)
    page = context.new_page()
    page.set_default_timeout(8000)
    return context, page


def _staff_login(chromium, base: str):
    context, page = _page(chromium)
    page.goto(f"{base}/login")
    page.get_by_label("Adresse e-mail").fill("agent@ohmylot.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/equipe/"))
    return context, page


def _axe_blocking(page) -> list[str]:
    """Serious and critical axe-core violations of the page, as readable lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING_IMPACTS
    ]


def _wait_mail(mailbox, count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while len(mailbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mailbox) >= count, mailbox


def test_join_validate_offer_publish_and_merge(server, chromium, db, mailbox) -> None:
    base = server
    add_user(db, full_name="Camille Agent")
    with db.session() as session:
        crawled_id = crawl_posting(session, "hellowork-test", "hw-1", **CRAWLED_OFFER)

    # The employer joins through the public form (keyboard and mouse as a visitor would).
    visitor, page = _page(chromium)
    page.goto(f"{base}/reseau/adherer")
    page.get_by_label("Nom de l'entreprise ou de la structure").fill(JOIN_FORM["company"])
    page.get_by_label("Numéro SIRET").fill("732 829 320 00075")  # wrong checksum first
    page.get_by_label("Secteur d'activité").select_option(JOIN_FORM["naf"])
    page.get_by_label("Commune de l'établissement").fill(JOIN_FORM["commune"])
    page.get_by_label("Prénom et nom").fill(JOIN_FORM["contact_name"])
    page.get_by_label("Adresse e-mail").fill(JOIN_FORM["email"])
    page.get_by_label(re.compile("J'accepte que le programme")).check()
    page.get_by_role("button", name="Envoyer ma demande d'adhésion").click()

    page.get_by_role("alert").wait_for()
    assert "clé de contrôle" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Numéro SIRET").get_attribute("aria-invalid") == "true"
    page.get_by_label("Numéro SIRET").fill(JOIN_FORM["siret"])
    # a person takes more than the form's minimum fill time (3 s, services/abuse.py) from its first display
    page.wait_for_timeout(3200)
    page.get_by_role("button", name="Envoyer ma demande d'adhésion").click()
    page.wait_for_url(re.compile(r"/reseau/merci$"))
    visitor.close()

    # Staff validate the request from the directory.
    staff, page = _staff_login(chromium, base)
    page.get_by_role("link", name="Réseau").click()
    page.get_by_role("link", name="Ferme des Causses").click()
    page.get_by_role("button", name="Valider l'adhésion").click()
    page.get_by_text("lien de connexion envoyé").wait_for()
    _wait_mail(mailbox, 1)
    link = link_in(mailbox[0][1], "/membre/connexion/")

    # The employer signs in from the e-mail and submits an offer.
    employer, member_page = _page(chromium)
    member_page.goto(link)
    member_page.get_by_role("button", name="Ouvrir mon espace membre").click()
    member_page.wait_for_url(re.compile(r"/membre$"))
    member_page.get_by_role("link", name="Déposer une offre d'emploi").click()
    member_page.get_by_label("Intitulé du poste").fill(OFFER_FORM["title"])
    member_page.get_by_label("Commune du poste").fill(OFFER_FORM["place"])
    member_page.get_by_label("Type de contrat").select_option("CDD")
    member_page.get_by_label("Durée en mois").fill("6")
    member_page.get_by_label("Description du poste").fill(OFFER_FORM["description"])
    member_page.get_by_label("Comment postuler").fill(OFFER_FORM["apply"])
    member_page.get_by_role("button", name="Envoyer l'offre").click()
    member_page.get_by_text("l'équipe Oh my Lot ! la relit avant publication").wait_for()
    mine = member_page.locator("section[aria-labelledby='h-offres']").inner_text()
    assert "hellowork-test" in mine
    assert "votre formulaire" in mine

    # Staff publish it; it shows once on the public board: the offer crawled elsewhere.
    page.goto(f"{base}/equipe/reseau/offres")
    assert "2 annonce(s) regroupée(s)" in page.locator("ul.cards").inner_text()
    page.get_by_role("button", name=re.compile("Publier « Ouvrier agricole")).click()
    page.wait_for_url(re.compile(r"/equipe/reseau/offres"))
    public, board = _page(chromium)
    board.goto(f"{base}/offres")
    assert board.get_by_role("link", name=re.compile(r"^Ouvrier agricole")).count() == 1
    board.get_by_role("link", name=re.compile(r"^Ouvrier agricole")).click()
    board.wait_for_url(re.compile(rf"/offres/{crawled_id}$"))
    for context in (staff, employer, public):
        context.close()


def test_digest_interest_selection_and_unsubscribe(server, chromium, db, mailbox) -> None:
    from services.network import approve_member, check_join_form, submit_join
    from store.models import Candidate

    base = server
    add_user(db)
    with db.session() as session:
        member = submit_join(session, check_join_form(JOIN_FORM))
        approve_member(session, member, "agent@ohmylot.fr")
        lea = add_candidate(
            session,
            "Léa",
            "Martin",
            email="lea.martin@example.org",
            desired_jobs="bergère",
            skills="tonte, agnelage",
            phone="0611223344",
        )
        offer = add_offer(session, title="Berger / Bergère", employer_name="GAEC du Causse", commune_name="Gramat")
        add_match(session, lea, offer, 0.9)
        lea_id, offer_id = lea.id, offer.id

    staff, page = _staff_login(chromium, base)
    # Talent digest to the members of sector A (agriculture).
    page.goto(f"{base}/equipe/reseau/profils?secteur=A")
    assert "Ferme des Causses" in page.content()
    page.get_by_role("button", name="Envoyer les profils aux membres").click()
    page.get_by_text("Envoyé à 1 membre(s)").wait_for()
    _wait_mail(mailbox, 1)
    recipients, digest = mailbox[0]
    assert recipients == ["jeanne@ferme-causses.fr"]
    assert "tonte, agnelage" in body(digest)
    assert "Martin" not in body(digest)
    assert "0611223344" not in body(digest)

    # The member answers "ce profil m'intéresse" from the e-mail; staff see it.
    employer, member_page = _page(chromium)
    member_page.goto(link_in(digest, "/reseau/interet/"))
    member_page.get_by_role("button", name="Ce profil m'intéresse").click()
    member_page.get_by_text("l'équipe Oh my Lot ! est prévenue").wait_for()
    page.goto(f"{base}/equipe/reseau/interets")
    row = page.locator("tbody tr").first.inner_text()
    assert "Ferme des Causses" in row
    assert "Léa Martin" in row

    # A selection of offers to the prospect, who unsubscribes.
    count = len(mailbox)
    page.goto(f"{base}/equipe/reseau/selection/{lea_id}")
    page.get_by_label(re.compile("Berger / Bergère")).check()
    page.get_by_role("button", name=re.compile("Envoyer la sélection")).click()
    page.get_by_text("Sélection envoyée à lea.martin@example.org.").wait_for()
    _wait_mail(mailbox, count + 1)
    recipients, selection = mailbox[-1]
    assert recipients == ["lea.martin@example.org"]
    assert f"/offres/{offer_id}" in body(selection)
    assert "GAEC du Causse" in body(selection)
    prospect, prospect_page = _page(chromium)
    prospect_page.goto(link_in(selection, "/desinscription/"))
    prospect_page.get_by_role("button", name="Confirmer ma désinscription").click()
    prospect_page.get_by_text("vous ne recevrez plus").wait_for()
    with db.session() as session:
        assert session.get(Candidate, lea_id).unsubscribed_at is not None

    # Nothing more reaches her: no selection form, and the next digest leaves her out.
    count = len(mailbox)
    page.goto(f"{base}/equipe/reseau/selection/{lea_id}")
    assert "s'est désinscrit" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("button", name=re.compile("Envoyer la sélection")).count() == 0
    page.goto(f"{base}/equipe/reseau/profils?secteur=A")
    assert page.get_by_role("button", name="Envoyer les profils aux membres").is_disabled()
    time.sleep(0.3)
    assert len(mailbox) == count
    assert not [r for r, _ in mailbox[count:] if "lea.martin@example.org" in r]
    for context in (staff, employer, prospect):
        context.close()


def test_public_pages_pass_axe_core(server, chromium, db) -> None:
    """No serious or critical axe-core violation on the public board, an offer, the join form (also with
    its errors shown), the sign-in link page and the booth form when the web app has it."""
    from services.network import OutreachSettings, unsubscribe_link

    base = server
    add_user(db)
    with db.session() as session:
        offer = add_offer(session, title="Infirmier de nuit", contract_type="CDD")
        lea = add_candidate(session, "Léa", "Martin", email="lea.martin@example.org")
        offer_id, lea_id = offer.id, lea.id
    settings = OutreachSettings(secret_key=SECRET, public_url=base)
    pages = [
        "/offres",
        "/offres?q=infirmier",
        f"/offres/{offer_id}",
        "/reseau/adherer",
        "/reseau/merci",
        "/membre/lien",
        unsubscribe_link(settings, lea_id).replace(base, ""),
    ]
    context, page = _page(chromium, bypass_csp=True)
    problems: dict[str, list[str]] = {}
    for path in pages:
        page.goto(f"{base}{path}")
        found = _axe_blocking(page)
        if found:
            problems[path] = found
    # The join form with its error messages displayed.
    page.goto(f"{base}/reseau/adherer")
    page.get_by_role("button", name="Envoyer ma demande d'adhésion").click()
    page.get_by_role("alert").wait_for()
    problems.update({"/reseau/adherer (erreurs)": v for v in [_axe_blocking(page)] if v})
    context.close()
    # The member space: home and the offer form (also with its errors shown).
    from services.network import approve_member, check_join_form, login_link, submit_join

    with db.session() as session:
        member = submit_join(session, check_join_form(JOIN_FORM))
        approve_member(session, member, "agent@ohmylot.fr")
        link = login_link(session, member, settings)
    context, page = _page(chromium, bypass_csp=True)
    page.goto(link)
    page.get_by_role("button", name="Ouvrir mon espace membre").click()
    page.wait_for_url(re.compile(r"/membre$"))
    for path in ["/membre", "/membre/offres/nouvelle", "/membre/kit", "/membre/profils"]:
        page.goto(f"{base}{path}")
        found = _axe_blocking(page)
        if found:
            problems[path] = found
    page.goto(f"{base}/membre/offres/nouvelle")
    page.get_by_role("button", name="Envoyer l'offre").click()
    page.get_by_role("alert").wait_for()
    problems.update({"/membre/offres/nouvelle (erreurs)": v for v in [_axe_blocking(page)] if v})
    context.close()
    # The booth form (staff, signed in) — part of the web area's app.
    staff, page = _staff_login(chromium, base)
    response = page.goto(f"{base}/equipe/salon")
    if response is not None and response.status == 200:
        found = _axe_blocking(page)
        if found:
            problems["/equipe/salon"] = found
    staff.close()
    assert problems == {}


def _tab_through(page, stop_at: str, limit: int = 80) -> list[dict[str, str]]:
    """Press Tab from the top of the page until ``stop_at`` (a CSS selector) has the focus."""
    page.locator("body").focus()
    seen: list[dict[str, str]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """(stop) => { const el = document.activeElement; const style = getComputedStyle(el);
            return {id: el.id || '', tag: el.tagName.toLowerCase(), text: (el.innerText || '').trim().slice(0, 60),
                    outline: style.outlineStyle + ' ' + style.outlineWidth, shadow: style.boxShadow,
                    stop: String(el.matches(stop))}; }""",
            stop_at,
        )
        seen.append(info)
        if info["stop"] == "true":
            break
    return seen


def _assert_keyboard_reaches(page, field_ids: list[str], submit: str) -> None:
    seen = _tab_through(page, submit)
    assert seen[-1]["stop"] == "true", f"the submit button is not reachable with Tab: {seen}"
    ids = [s["id"] for s in seen]
    positions = [ids.index(field) for field in field_ids]  # ValueError: a field is not reachable
    assert positions == sorted(positions), f"Tab order differs from the visual order: {ids}"
    for info in seen:
        visible = (info["outline"].split()[0] not in {"none", ""} and info["outline"].split()[1] != "0px") or (
            info["shadow"] not in {"none", ""}
        )
        assert visible, f"no visible focus on {info}"


def test_keyboard_only_navigation(server, chromium, db) -> None:
    base = server
    add_user(db)
    context, page = _page(chromium)
    page.goto(f"{base}/reseau/adherer")
    _assert_keyboard_reaches(
        page,
        ["company", "siret", "naf", "commune", "contact_name", "contact_role", "email", "phone", "consent", "digests"],
        "form.network-form button[type=submit]",
    )
    # Typing and submitting with the keyboard only.
    page.goto(f"{base}/reseau/adherer")
    page.locator("#company").focus()
    page.keyboard.type("Boulangerie Martin")
    page.keyboard.press("Enter")
    page.get_by_role("alert").wait_for()
    page.goto(f"{base}/offres")
    _assert_keyboard_reaches(page, ["q"], "form.filters button[type=submit]")
    # The other filters are folded (results first on a phone): the keyboard opens them.
    page.locator("details.more-filters summary").focus()
    page.keyboard.press("Enter")
    page.locator("#lieu").focus()
    assert page.evaluate("document.activeElement.id") == "lieu"
    assert page.locator("#lieu").is_visible()
    # The skip link is the first stop and leads to the content.
    page.goto(f"{base}/offres")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#contenu"
    context.close()
    staff, page = _staff_login(chromium, base)
    response = page.goto(f"{base}/equipe/salon")
    if response is not None and response.status == 200:
        fields = page.evaluate(
            "Array.from(document.querySelectorAll('form.stack input:not([type=hidden]), form.stack select,"
            " form.stack textarea')).map(e => e.id)"
        )
        _assert_keyboard_reaches(page, fields, "form.stack button[type=submit]")
    staff.close()
