"""Database settings.

Environment variables:
- ``OHMYLOT_DATABASE_URL``: SQLAlchemy URL of the database (default: a SQLite file ``ohmylot.sqlite3``
  in the data directory). PostgreSQL example: ``postgresql+psycopg://user@127.0.0.1:5432/ohmylot``.
- ``OHMYLOT_DATA_DIR``: the data directory (default: the per-user data directory of the platform,
  e.g. ``~/.local/share/ohmylot`` on Linux).
- ``OHMYLOT_MIGRATION_WAIT_SECONDS``: how long a process waits for another process's schema migration
  before refusing with "schéma en cours de mise à jour" (default 300).
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreSettings(BaseSettings):
    """Where the data lives."""

    model_config = SettingsConfigDict(env_prefix="OHMYLOT_", extra="ignore")

    database_url: str | None = Field(default=None, description="SQLAlchemy database URL")
    data_dir: Path | None = Field(default=None, description="Directory for the SQLite file and other data")
    migration_wait_seconds: float = Field(default=300, ge=0, description="wait for another process's migration")

    def resolved_data_dir(self) -> Path:
        """The data directory, from ``OHMYLOT_DATA_DIR`` or the platform's per-user data directory."""
        if self.data_dir is not None:
            return Path(self.data_dir).expanduser()
        return Path(platformdirs.user_data_dir("ohmylot", appauthor=False))

    def resolved_database_url(self) -> str:
        """The database URL; the SQLite default lives in the data directory."""
        if self.database_url:
            url = self.database_url
            # Accept plain postgresql:// URLs and use psycopg 3, the driver we ship.
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{self.resolved_data_dir() / 'ohmylot.sqlite3'}"


def get_store_settings() -> StoreSettings:
    """Read the settings from the environment (no caching: tests change the environment)."""
    return StoreSettings()
