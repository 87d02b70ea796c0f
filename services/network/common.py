"""What the employers' network modules share: settings, the refusal error, form checks, signed links."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.signing import key_ring

MEMBER_PLATFORM = "manual"
MEMBER_TRUST = 0.85
#: ``Posting.closed_reason`` of a member posting waiting for staff review
PENDING_REASON = "pending_review"
LOGIN_LINK_DAYS = 7
INTEREST_LINK_DAYS = 60
CONTRACT_CHOICES = {
    "CDI": "CDI",
    "CDD": "CDD",
    "saisonnier": "Saisonnier",
    "interim": "Intérim",
    "apprentissage": "Apprentissage",
    "professionnalisation": "Contrat de professionnalisation",
    "stage": "Stage",
    "independant": "Indépendant / reprise",
    "autre": "Autre",
}


class OutreachSettings(BaseSettings):
    """What outreach needs from the environment (the same variables as the web app)."""

    model_config = SettingsConfigDict(env_prefix="OHMYLOT_", extra="ignore")

    secret_key: str | None = Field(default=None)
    public_url: str = Field(default="http://127.0.0.1:8000")

    def base_url(self) -> str:
        return self.public_url.rstrip("/")

    def key(self) -> str:
        if not self.secret_key or len(self.secret_key) < 32:
            raise NetworkError("OHMYLOT_SECRET_KEY manquante ou trop courte : elle signe les liens envoyés par e-mail")
        return self.secret_key


class NetworkError(ValueError):
    """A refused action, with a French message for staff or members."""


@dataclass
class FormCheck:
    """Cleaned values and per-field French errors of a submitted form."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def field_text(fields: Mapping[str, Any], name: str, limit: int) -> str:
    value = fields.get(name)
    return " ".join(str(value).split())[:limit] if value is not None else ""


def field_checked(fields: Mapping[str, Any], name: str) -> bool:
    return str(fields.get(name) or "").strip().lower() in {"1", "on", "oui", "true", "yes"}


def email_ok(email: str) -> bool:
    local, _, domain = email.partition("@")
    return bool(local) and "." in domain and " " not in email and not domain.startswith(".")


# --------------------------------------------------------------------------------------------------
# Signed links
# --------------------------------------------------------------------------------------------------


def sign(secret: str, purpose: str, payload: dict[str, Any]) -> str:
    """A URL-safe signed token carrying ``payload`` for one ``purpose``."""
    return URLSafeTimedSerializer(key_ring(secret), salt=f"ohmylot.{purpose}").dumps(payload)


def unsign(secret: str, purpose: str, token: str, *, max_age_days: float) -> dict[str, Any] | None:
    """The payload of a valid token, or None (bad signature, wrong purpose or expired); the previous keys
    of a rotation still verify (services/signing.py)."""
    try:
        payload = URLSafeTimedSerializer(key_ring(secret), salt=f"ohmylot.{purpose}").loads(
            token, max_age=int(max_age_days * 86400)
        )
    except (BadSignature, SignatureExpired):
        return None
    return payload if isinstance(payload, dict) else None
