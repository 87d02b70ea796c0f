"""Accessible markup on every page (RGAA basics): French language, landmarks, one h1, labelled fields."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from tests.webutil import add_candidate, add_match, add_offer, add_user, login

pytest_plugins = ["tests.webutil"]
pytestmark = pytest.mark.db


def _check(page_text: str, path: str) -> None:
    tree = lxml_html.fromstring(page_text)
    assert tree.get("lang") == "fr", path
    assert tree.xpath("//title/text()"), path
    assert len(tree.xpath("//h1")) == 1, path
    assert tree.xpath("//main[@id='contenu']"), path
    assert tree.xpath("//header"), path
    assert tree.xpath("//footer"), path
    assert tree.xpath("//a[@href='#contenu']"), path  # skip link
    labelled = set(tree.xpath("//label/@for"))
    for field in tree.xpath("//input[not(@type='hidden') and not(@type='submit')] | //select | //textarea"):
        inside_label = any(a.tag == "label" for a in field.iterancestors())
        assert inside_label or field.get("id") in labelled, f"{path}: unlabelled {field.tag} {field.get('name')}"
    for image in tree.xpath("//img"):
        assert image.get("alt"), f"{path}: image without alt"
    for table in tree.xpath("//table"):
        assert table.xpath(".//th"), f"{path}: table without header cells"


def test_pages_have_accessible_structure(client, db) -> None:
    add_user(db)
    with db.session() as session:
        offer = add_offer(session)
        lea = add_candidate(session)
        add_match(session, lea, offer)
        offer_id, lea_id = offer.id, lea.id
    for path in ("/offres", f"/offres/{offer_id}", "/login"):
        _check(client.get(path).text, path)
    login(client)
    for path in ("/equipe/offres", f"/equipe/offres/{offer_id}", "/equipe/prospects", f"/equipe/prospects/{lea_id}",
                 f"/equipe/listes/nouvelle?offre={offer_id}", "/equipe/listes", "/equipe/salon", "/equipe/collecte",
                 "/equipe/tableau"):
        response = client.get(path)
        assert response.status_code == 200, path
        _check(response.text, path)
