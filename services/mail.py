"""Sending e-mail over SMTP (digests to référents, crawl-health reports, shortlists, selections).

Settings (environment), the same names and defaults as the web app's (``services/settings.py``):
- ``OHMYLOT_SMTP_HOST`` (no host: e-mails are not sent, the caller is told so), ``OHMYLOT_SMTP_PORT`` (587),
  ``OHMYLOT_SMTP_USER`` / ``OHMYLOT_SMTP_PASSWORD`` (optional), ``OHMYLOT_SMTP_STARTTLS`` (true),
  ``OHMYLOT_SMTP_SSL`` (false: implicit TLS, port 465), ``OHMYLOT_SMTP_TIMEOUT`` (30 s),
  ``OHMYLOT_SMTP_FROM`` (sender address), ``OHMYLOT_STAFF_EMAILS`` (comma-separated, for staff reports).

This is the one SMTP path of the project: the commands read these settings from the environment
(``MailSettings()``), the web app passes its own (``MailSettings.of_web(settings)``, the same variables read
by ``services/settings.py``); ``services/letters.compose`` builds answerable messages on ``build_message``.

``dialogue(to)`` sends a test message and returns the SMTP conversation (``ohmylot mail test``).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from services.settings import WebSettings


class MailSettings(BaseSettings):
    """SMTP configuration."""

    model_config = SettingsConfigDict(env_prefix="OHMYLOT_SMTP_", extra="ignore")

    host: str | None = None
    port: int = 587
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    ssl: bool = False
    # ``OHMYLOT_SMTP_FROM``: ``from`` is a Python keyword, hence the field name
    from_: str = Field(default="Oh my Lot ! <ne-pas-repondre@ohmylot.fr>", validation_alias="OHMYLOT_SMTP_FROM")
    timeout: float = 30.0

    @classmethod
    def of_web(cls, web: WebSettings) -> MailSettings:
        """The web app's SMTP settings (``WebSettings.smtp_*``, the same environment variables)."""
        return cls(
            host=web.smtp_host,
            port=web.smtp_port,
            user=web.smtp_user,
            password=web.smtp_password,
            starttls=web.smtp_starttls,
            ssl=web.smtp_ssl,
            timeout=web.smtp_timeout,
            **{"OHMYLOT_SMTP_FROM": web.smtp_from},
        )


class StaffSettings(BaseSettings):
    """Who receives staff reports."""

    model_config = SettingsConfigDict(env_prefix="OHMYLOT_", extra="ignore")

    staff_emails: str = ""

    def recipients(self) -> list[str]:
        return [address.strip() for address in self.staff_emails.split(",") if address.strip()]


class MailNotConfigured(RuntimeError):
    """No SMTP host is configured."""


def build_message(
    to: list[str],
    subject: str,
    text: str,
    *,
    html: str | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
    sender: str | None = None,
    reply_to: str | Address | None = None,
    headers: dict[str, str] | None = None,
    msgid_domain: str = "ohmylot.invalid",
) -> EmailMessage:
    """A MIME message with Date and Message-ID: plain text, optional HTML alternative and attachments
    ``(filename, data, mime)``; from ``sender`` (default ``OHMYLOT_SMTP_FROM``), answered to ``reply_to``."""
    message = EmailMessage()
    message["From"] = sender or MailSettings().from_
    message["To"] = ", ".join(to)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=msgid_domain)
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, data, mime in attachments or []:
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return message


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if not settings.host:
        raise MailNotConfigured("aucun serveur SMTP configuré (OHMYLOT_SMTP_HOST)")
    if settings.ssl:
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=ssl.create_default_context())
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)


def _deliver(smtp: smtplib.SMTP, message: EmailMessage, settings: MailSettings) -> None:
    if settings.starttls and not settings.ssl:
        smtp.starttls(context=ssl.create_default_context())
    if settings.user:
        smtp.login(settings.user, settings.password or "")
    smtp.send_message(message)


def send(message: EmailMessage, settings: MailSettings | None = None) -> None:
    """Send one message; raises ``MailNotConfigured`` without an SMTP host, ``OSError``/``SMTPException`` on failure."""
    settings = settings or MailSettings()
    with _connect(settings) as smtp:
        _deliver(smtp, message, settings)


_VERBS = re.compile(r"^send: '(EHLO|HELO|MAIL|RCPT|DATA|QUIT|STARTTLS|RSET|NOOP)\b", re.IGNORECASE)


def _hide_secrets(line: str) -> str:
    """Credentials travel base64-encoded in AUTH commands and their continuations: show the verb only."""
    if not line.startswith("send: '") or _VERBS.match(line):
        return line
    auth = re.match(r"^send: '(AUTH \w+)", line, re.IGNORECASE)
    return f"send: '{auth.group(1)} ********'" if auth else "send: '********'"


def dialogue(to: str, settings: MailSettings | None = None) -> tuple[bool, list[str]]:
    """Send a test message to ``to``; return (sent, the SMTP conversation as lines, password hidden)."""
    settings = settings or MailSettings()
    lines: list[str] = []
    message = build_message([to], "ohmylot — message de test",
                            "Ce message vérifie l'envoi des e-mails d'ohmylot. Aucune action n'est nécessaire.")
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        return False, [f"connexion à {settings.host}:{settings.port} impossible : {exc}"]
    smtp._print_debug = lambda *args: lines.append(" ".join(str(a) for a in args))  # type: ignore[method-assign]
    smtp.set_debuglevel(1)
    sent = False
    try:
        with smtp:
            _deliver(smtp, message, settings)
            sent = True
    except (OSError, smtplib.SMTPException) as exc:
        lines.append(f"échec : {exc}")
    return sent, [_hide_secrets(line) for line in lines]
