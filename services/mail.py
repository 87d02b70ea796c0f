"""Sending e-mail over SMTP (digests to référents, crawl-health reports, shortlists, selections).

Settings (environment):
- ``OHMYLOT_SMTP_HOST`` (no host: e-mails are not sent, the caller is told so), ``OHMYLOT_SMTP_PORT`` (25),
  ``OHMYLOT_SMTP_USER`` / ``OHMYLOT_SMTP_PASSWORD`` (optional), ``OHMYLOT_SMTP_STARTTLS`` (false),
  ``OHMYLOT_SMTP_FROM`` (sender address), ``OHMYLOT_STAFF_EMAILS`` (comma-separated, for staff reports).
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from pydantic_settings import BaseSettings, SettingsConfigDict


class MailSettings(BaseSettings):
    """SMTP configuration."""

    model_config = SettingsConfigDict(env_prefix="OHMYLOT_SMTP_", extra="ignore")

    host: str | None = None
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "Oh my Lot ! <ne-pas-repondre@ohmylot.invalid>"
    timeout: float = 20.0


class StaffSettings(BaseSettings):
    """Who receives staff reports."""

    model_config = SettingsConfigDict(env_prefix="OHMYLOT_", extra="ignore")

    staff_emails: str = ""

    def recipients(self) -> list[str]:
        return [address.strip() for address in self.staff_emails.split(",") if address.strip()]


class MailNotConfigured(RuntimeError):
    """No SMTP host is configured."""


def build_message(
    to: list[str], subject: str, text: str, *, html: str | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None, sender: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A MIME message: plain text, optional HTML alternative and attachments ``(filename, data, mime)``."""
    settings = MailSettings()
    message = EmailMessage()
    message["From"] = sender or settings.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="ohmylot.invalid")
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, data, mime in attachments or []:
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return message


def send(message: EmailMessage, settings: MailSettings | None = None) -> None:
    """Send one message; raises ``MailNotConfigured`` without an SMTP host, ``OSError``/``SMTPException`` on failure."""
    settings = settings or MailSettings()
    if not settings.host:
        raise MailNotConfigured("aucun serveur SMTP configuré (OHMYLOT_SMTP_HOST)")
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message)
