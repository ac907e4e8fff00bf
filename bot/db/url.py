"""The database URL alone, for tools (Alembic) that must not need the bot's secrets."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from common.settings import ENV_FILE, Settings


class DatabaseSettings(BaseSettings):
    """Reads only ``DATABASE_URL`` (environment or ``.env``), with the bot's default."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = Settings.model_fields["database_url"].default


def database_url() -> str:
    return DatabaseSettings().database_url
