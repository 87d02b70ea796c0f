"""Safe text: one nh3 allowlist for descriptions and a plain-text version."""

from __future__ import annotations

from matching.sanitize import html_to_text, sanitize_html

APEC = (
    "<p><b>Contexte :</b></p><br><p>Au sein de l’équipe IKOS Raccordement, tu contribueras au pilotage.</p>"
    "<p><br> </p><br><p><b>Vos futures responsabilités :</b></p><ul><li>Coordination de projet</li>"
    "<li>Suivi des affaires</li></ul>"
)
PASS_FP = (  # the public-service RSS feed escapes its HTML twice
    "&lt;p&gt;Au sein du ministère de l’Économie, la DGFiP.&lt;/p&gt;&lt;p&gt;Dans le département des "
    "Alpes-Maritimes, la DDFIP 06 pilote l&amp;#039;animation.&lt;/p&gt;"
)


def test_allowlist_keeps_structure_and_drops_the_rest() -> None:
    html = sanitize_html(APEC + '<script>alert(1)</script><div style="color:red" onclick="x()">Texte</div>')
    assert "<ul><li>Coordination de projet</li>" in html
    assert "<b>Contexte :</b>" in html
    assert "script" not in html
    assert "alert" not in html
    assert "style" not in html
    assert "onclick" not in html
    assert "<div" not in html
    assert "Texte" in html


def test_links_keep_http_https_mailto_only_with_rel() -> None:
    html = sanitize_html(
        '<a href="https://ex.fr/postuler">Postuler</a> <a href="javascript:alert(1)">x</a> '
        '<a href="mailto:rh@ex.fr">RH</a> <a href="data:text/html,hi">d</a> <img src=x onerror=alert(1)>'
    )
    assert '<a href="https://ex.fr/postuler" rel="nofollow noopener">Postuler</a>' in html
    assert '<a href="mailto:rh@ex.fr" rel="nofollow noopener">RH</a>' in html
    assert "javascript" not in html
    assert "data:" not in html
    assert "<img" not in html


def test_plain_text_keeps_lines_and_lists() -> None:
    text = html_to_text(APEC)
    assert text.startswith("Contexte :\n")
    assert "\n- Coordination de projet\n- Suivi des affaires" in text
    assert "<" not in text
    assert "\n\n\n" not in text


def test_double_escaped_html_is_unescaped_once() -> None:
    html = sanitize_html(PASS_FP)
    assert html.startswith("<p>Au sein du ministère")
    assert "&lt;" not in html
    text = html_to_text(PASS_FP)
    assert text == (
        "Au sein du ministère de l’Économie, la DGFiP.\n\nDans le département des Alpes-Maritimes, "
        "la DDFIP 06 pilote l'animation."
    )


def test_plain_text_input_becomes_paragraphs() -> None:
    plain = "Missions :\nDévelopper des applications & tester <3.\n\nProfil : Bac+3"
    assert sanitize_html(plain) == (
        "<p>Missions :<br>Développer des applications &amp; tester &lt;3.</p><p>Profil : Bac+3</p>"
    )
    assert html_to_text(plain) == "Missions :\nDévelopper des applications & tester <3.\n\nProfil : Bac+3"


def test_entities_and_spaces() -> None:
    assert html_to_text("<p>Vous êtes doté de&nbsp;qualités&#8239;!</p>") == "Vous êtes doté de qualités !"
    assert html_to_text("<table><tr><td>a</td><td>b</td></tr></table>") == "a b"


def test_empty_and_odd_inputs() -> None:
    assert sanitize_html(None) == ""
    assert html_to_text(None) == ""
    assert sanitize_html("   ") == ""
    assert html_to_text("") == ""
    assert html_to_text(b"<p>caf\xc3\xa9</p>") == "café"
    assert "\x00" not in sanitize_html("<p>a\x00b</p>")
    huge = "<p>" + "x" * 2_000_000 + "</p>"
    assert len(html_to_text(huge)) <= 1_000_000
