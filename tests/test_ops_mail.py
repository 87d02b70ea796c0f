"""``ohmylot mail test ADDRESS`` reports the SMTP conversation; a job whose e-mail is not sent fails."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.ops_support import run_cli


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    inbox = _Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = auth_data.login == b"ohmylot" and auth_data.password == b"s3cret-Password"
        return AuthResult(success=ok)

    controller = Controller(inbox, hostname="127.0.0.1", port=_port(), authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    yield inbox, controller.port
    controller.stop()


def test_mail_test_shows_the_smtp_dialogue_and_delivers(smtp_server) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp_server
    env = {"OHMYLOT_SMTP_HOST": "127.0.0.1", "OHMYLOT_SMTP_PORT": str(port), "OHMYLOT_SMTP_STARTTLS": "0",
           "OHMYLOT_SMTP_USER": "ohmylot", "OHMYLOT_SMTP_PASSWORD": "s3cret-Password",
           "OHMYLOT_SMTP_FROM": "Oh my Lot ! <emplois@lot.example>"}
    result = run_cli("mail", "test", "equipe@lot.example", env=env)
    assert result.returncode == 0, result.stderr
    assert "send: 'ehlo" in result.stdout.lower()
    assert "AUTH PLAIN ********" in result.stdout
    assert "250 Message accepted for delivery" in result.stdout.replace("b'", "")
    assert "s3cret" not in result.stdout
    assert "Message de test envoyé à equipe@lot.example" in result.stderr
    [(sender, recipients, content)] = inbox.messages
    assert sender == "emplois@lot.example"
    assert recipients == ["equipe@lot.example"]
    assert b"message de test" in content


def test_mail_test_reports_a_refused_login(smtp_server) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp_server
    env = {"OHMYLOT_SMTP_HOST": "127.0.0.1", "OHMYLOT_SMTP_PORT": str(port), "OHMYLOT_SMTP_STARTTLS": "0",
           "OHMYLOT_SMTP_USER": "ohmylot", "OHMYLOT_SMTP_PASSWORD": "wrong", "OHMYLOT_SMTP_TIMEOUT": "5"}
    result = run_cli("mail", "test", "equipe@lot.example", env=env)
    assert result.returncode == 1
    assert "send: 'AUTH PLAIN ********'" in result.stdout
    assert "échec :" in result.stdout
    assert "Traceback" not in result.stderr
    assert "non envoyé" in result.stderr
    assert inbox.messages == []


def test_mail_test_without_a_server_is_one_line() -> None:
    result = run_cli("mail", "test", "equipe@lot.example", env={"OHMYLOT_SMTP_HOST": ""})
    assert result.returncode == 1
    assert result.stderr.strip() == "Erreur : aucun serveur SMTP configuré (OHMYLOT_SMTP_HOST)"


@pytest.mark.db
def test_weekly_report_without_smtp_is_a_failed_run(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from jobs import ledger
    from jobs.tasks import crawl_health_report

    monkeypatch.setenv("OHMYLOT_STAFF_EMAILS", "equipe@lot.example")
    monkeypatch.delenv("OHMYLOT_SMTP_HOST", raising=False)
    outcome = ledger.run_once(db, "report:crawl-health", "2026-12-07T07:00", lambda: crawl_health_report(db))
    assert outcome.status == "failed"
    assert "OHMYLOT_SMTP_HOST" in (outcome.error or "")
    monkeypatch.setenv("OHMYLOT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OHMYLOT_SMTP_PORT", str(_port()))  # nobody listens there
    refused = ledger.run_once(db, "report:crawl-health", "2026-12-14T07:00", lambda: crawl_health_report(db))
    assert refused.status == "failed"
    assert "non envoyé" in (refused.error or "")
