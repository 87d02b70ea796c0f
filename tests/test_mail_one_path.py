"""One SMTP path: the web app's settings reach ``services.mail`` unchanged, and the answerable e-mails of
``services.letters`` are built on ``mail.build_message`` (Date, Message-ID, Reply-To, text and HTML)."""

from __future__ import annotations

import pytest

from services import mail
from services.letters import Signer, compose
from services.settings import WebSettings


def test_the_web_apps_smtp_settings_become_the_mail_settings() -> None:
    web = WebSettings(
        smtp_host="smtp.example.org", smtp_port=2525, smtp_user="u", smtp_password="p", smtp_starttls=False,
        smtp_ssl=True, smtp_timeout=7, smtp_from="Oh my Lot ! <envoi@example.org>",
    )
    settings = mail.MailSettings.of_web(web)
    assert (settings.host, settings.port, settings.user, settings.password) == ("smtp.example.org", 2525, "u", "p")
    assert (settings.starttls, settings.ssl, settings.timeout) == (False, True, 7)
    assert settings.from_ == "Oh my Lot ! <envoi@example.org>"


def test_no_host_is_refused_before_any_connection() -> None:
    web = WebSettings(smtp_host=None)
    message = mail.build_message(["a@example.org"], "sujet", "texte")
    with pytest.raises(mail.MailNotConfigured, match="OHMYLOT_SMTP_HOST"):
        mail.send(message, mail.MailSettings.of_web(web))


def test_a_letter_has_the_headers_and_both_parts() -> None:
    signer = Signer(name="Camille Agent", email="camille@ohmylot.fr", phone="05 65 00 00 00")
    message = compose(
        to=["employeur@example.org"], subject="Candidats", text="Bonjour,\n\nVoici la liste.", signer=signer,
        from_address="Oh my Lot ! <ne-pas-repondre@ohmylot.fr>",
    )
    assert message["Date"]
    assert message["Message-ID"].endswith("@ohmylot.fr>")
    assert message["Reply-To"] == "Camille Agent <camille@ohmylot.fr>"
    assert message["From"] == '"Camille Agent (Oh my Lot !)" <ne-pas-repondre@ohmylot.fr>'
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.endswith("-- \nCamille Agent\nÉquipe Oh my Lot !\nTél. 05 65 00 00 00\ncamille@ohmylot.fr\n")
    assert "Voici la liste." in html
    assert "Tél. 05 65 00 00 00" in html
