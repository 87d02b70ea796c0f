"""Web app settings (``OHMYLOT_*`` environment variables).

- ``OHMYLOT_ENV``: ``production`` (default) or ``development``. Outside development the app refuses to
  start without a real secret key (RELIABILITY.md W3).
- ``OHMYLOT_SECRET_KEY``: the key that signs employer links; at least 32 characters, not a placeholder.
  In development a random key is generated at start (links then die with the process).
- ``OHMYLOT_PUBLIC_URL``: the address the app is reached at (``https://emploi.ohmylot.fr``), used in
  e-mails, the RSS feed, JSON-LD and for the ``Origin`` check of forms.
- ``OHMYLOT_COOKIE_SECURE``: ``1`` (default); may be ``0`` only in development (plain http on a LAN).
- ``OHMYLOT_TRUSTED_PROXIES``: addresses or networks (comma-separated) of the reverse proxies whose
  ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed (default ``127.0.0.1,::1``; empty: none).
  From anyone else these headers are ignored: the client address is the connection's.
- ``OHMYLOT_SESSION_HOURS``: how long a staff session lives without activity (default 12).
- ``OHMYLOT_EMPLOYER_LINK_DAYS``: how long an employer link is valid (default 30).
- ``OHMYLOT_LOGIN_MAX_FAILURES``: failed logins per address within 15 minutes before a pause (default 5).
- ``OHMYLOT_SMTP_HOST``, ``OHMYLOT_SMTP_PORT`` (587), ``OHMYLOT_SMTP_USER``, ``OHMYLOT_SMTP_PASSWORD``,
  ``OHMYLOT_SMTP_FROM``, ``OHMYLOT_SMTP_STARTTLS`` (1), ``OHMYLOT_SMTP_SSL`` (0),
  ``OHMYLOT_SMTP_TIMEOUT`` (30 s): the server that sends shortlists to employers.
- ``OHMYLOT_PUBLIC_CACHE_SECONDS``: how long an anonymous public board answer is reused (default 10; 0: off;
  ``web.public_cache``).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that ship in examples and must never sign anything in production.
PLACEHOLDER_SECRETS = {
    "",
    "changeme",
    "change-me",
    "secret",
    "dev",
    "development",
    "ohmylot",
    "please-change-me",
}
MIN_SECRET_LENGTH = 32


class SettingsError(RuntimeError):
    """The settings cannot be used; the message says what to set."""


class WebSettings(BaseSettings):
    """Everything the web app reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="OHMYLOT_", extra="ignore")

    env: str = Field(default="production", description="production | development")
    secret_key: str | None = Field(default=None, description="key signing employer links (>= 32 chars)")
    public_url: str = Field(default="http://127.0.0.1:8000", description="public address of the app")
    database_url: str | None = Field(default=None, description="see store.settings")
    cookie_secure: bool = Field(default=True, description="Secure flag on the session cookie")
    trusted_proxies: str = Field(default="127.0.0.1,::1", description="reverse proxies believed")
    session_hours: float = Field(default=12, description="session lifetime without activity")
    employer_link_days: int = Field(default=30, description="validity of an employer link")
    login_max_failures: int = Field(default=5, description="failed logins per address in 15 min")
    smtp_host: str | None = Field(default=None)
    smtp_port: int = Field(default=587)
    smtp_user: str | None = Field(default=None)
    smtp_password: str | None = Field(default=None)
    smtp_from: str = Field(default="Oh my Lot ! <ne-pas-repondre@ohmylot.fr>")
    smtp_starttls: bool = Field(default=True)
    smtp_ssl: bool = Field(default=False)
    smtp_timeout: float = Field(default=30)
    contact_email: str = Field(default="contact@ohmylot.fr",
                               description="the programme's address shown to the public and employers")
    contact_phone: str | None = Field(default=None, description="the programme's phone shown next to it")
    warm_up: bool = Field(default=True, description="warm the caches in the background at start-up")
    public_cache_seconds: float = Field(default=10, ge=0, le=3600,
                                        description="how long an anonymous public board page is reused (0: off)")

    @property
    def is_development(self) -> bool:
        return self.env.strip().lower() in {"development", "dev"}

    def checked(self) -> WebSettings:
        """Return settings safe to run with, or raise ``SettingsError`` (W3: no default secret)."""
        key = (self.secret_key or "").strip()
        if self.is_development:
            if not key or key.lower() in PLACEHOLDER_SECRETS:
                self.secret_key = secrets.token_urlsafe(48)
            return self
        if not key or key.lower() in PLACEHOLDER_SECRETS:
            raise SettingsError(
                "OHMYLOT_SECRET_KEY manquant ou par défaut : définissez une clé aléatoire d'au moins "
                f"{MIN_SECRET_LENGTH} caractères (python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
                "ou OHMYLOT_ENV=development pour un essai local"
            )
        if len(key) < MIN_SECRET_LENGTH:
            raise SettingsError(f"OHMYLOT_SECRET_KEY trop courte : au moins {MIN_SECRET_LENGTH} caractères")
        if not self.cookie_secure:
            raise SettingsError("OHMYLOT_COOKIE_SECURE=0 n'est permis qu'avec OHMYLOT_ENV=development")
        return self

    @property
    def trusted_proxy_list(self) -> list[str]:
        """``OHMYLOT_TRUSTED_PROXIES`` as a list (addresses or CIDR networks)."""
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]

    @property
    def public_origin(self) -> str:
        """``scheme://host[:port]`` of the public URL, for the ``Origin`` check."""
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()


def get_web_settings() -> WebSettings:
    """Read the settings from the environment (not cached: tests change the environment)."""
    return WebSettings()
