"""The keys that sign the links sent by e-mail, and their rotation.

``OHMYLOT_SECRET_KEY`` signs every new link (employer shortlists, members' sign-in links, interest and
unsubscribe links). ``OHMYLOT_PREVIOUS_SECRET_KEYS`` (comma-separated, oldest first) lists the keys it
replaced: they still *verify* links, never sign new ones, so that rotating the key breaks no link already
sent. Keep a previous key listed at least as long as the longest link it signed may live (60 days for the
interest links, 30 for employer links, 7 for sign-in links); unsubscribe links live ten years, so keep it
listed as long as possible, unless the key leaked (then remove it at once: its links stop working).
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class SigningSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OHMYLOT_", extra="ignore")

    previous_secret_keys: str = ""


def key_ring(current: str) -> list[str]:
    """Keys for ``itsdangerous`` (oldest first: it signs with the last one and verifies with each)."""
    previous = [key.strip() for key in SigningSettings().previous_secret_keys.split(",") if key.strip()]
    return [key for key in previous if key != current] + [current]
