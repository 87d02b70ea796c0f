"""The shortlist PDF and the employer page show a prospect with one template block
(``services/templates/_candidate_facts.html``): the same facts, in the same order."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

from services import documents
from web.templating import templates

FACT = re.compile(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>")


def _view() -> SimpleNamespace:
    candidate = SimpleNamespace(
        entry_id=1, first_name="Léa", last_initial="M.", desired_jobs="bergère", skills="traite", experience_years=2.0,
        experience_level=None, diplomas=None, languages="anglais", driving_licence=False,
        available_from=date(2026, 1, 5), contracts=["CDI"], mobility="Figeac", current_place="Lyon", answer=None,
        comment=None,
    )
    return SimpleNamespace(
        offer_title="Berger", employer_name="Ferme", commune_name="Figeac", approved_by="agent", candidates=[candidate]
    )


def test_pdf_and_employer_page_show_the_same_facts() -> None:
    view = _view()
    pdf = FACT.findall(documents.render("shortlist_pdf.html", view=view))
    page = FACT.findall(templates.env.get_template("employer/_candidates.html").render(view=view))
    assert ("Permis B", "non") in pdf
    assert ("Disponibilité", "à partir du 5 janvier 2026") in pdf
    assert "Diplômes" not in dict(pdf)  # empty facts are left out
    assert pdf[:-1] == page[:-1]
    assert pdf[-1] == ("Vit à", "Lyon")
    assert page[-1] == ("Vit actuellement à", "Lyon")
